// SPDX-License-Identifier: Apache-2.0
#include "http/client/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sbx::http::client {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("libcurl could not be initialised");
  });
}

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

// One exchange: the request, its easy handle and where its bytes come from and go to. Every
// member is touched by the worker thread only.
struct transfer {
  request req;
  std::function<void(result)> done;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  file_ptr body_in;       // body_file, when set
  std::size_t sent = 0;   // offset in req.body, when the body is in memory
  file_ptr response_out;  // response_file, when set
  bool write_failed = false;
  // The stall watch: armed once the request is about to go out on a connection (connecting is
  // bounded by connect_timeout), pushed on by every byte read or written.
  bool under_way = false;
  std::chrono::steady_clock::time_point last_activity;
  response resp;
  char error_text[CURL_ERROR_SIZE] = {};

  ~transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(header_list);
  }

  void moved() { last_activity = std::chrono::steady_clock::now(); }

  static int on_request_ready(void* self, char*, char*, int, int) {
    auto& t = *static_cast<transfer*>(self);
    t.under_way = true;
    t.moved();
    return CURL_PREREQFUNC_OK;
  }

  /// When the stall watch runs out, if it is armed.
  std::optional<std::chrono::steady_clock::time_point> stall_deadline() const {
    if (!under_way) return std::nullopt;
    return last_activity + req.low_speed_window;
  }

  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* self) {
    auto& t = *static_cast<transfer*>(self);
    const auto room = size * count;
    if (t.body_in) {
      const auto n = std::fread(buffer, 1, room, t.body_in.get());
      t.moved();
      return std::ferror(t.body_in.get()) != 0 ? CURL_READFUNC_ABORT : n;
    }
    const auto n = std::min(room, t.req.body.size() - t.sent);
    t.req.body.copy(buffer, n, t.sent);
    t.sent += n;
    t.moved();
    return n;
  }

  // libcurl rewinds the body when it resends a request (a reused connection the peer had closed).
  static int on_seek(void* self, curl_off_t offset, int origin) {
    auto& t = *static_cast<transfer*>(self);
    if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
    if (t.body_in)
      return fseeko(t.body_in.get(), offset, SEEK_SET) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
    if (static_cast<std::size_t>(offset) > t.req.body.size()) return CURL_SEEKFUNC_FAIL;
    t.sent = static_cast<std::size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* self) {
    auto& t = *static_cast<transfer*>(self);
    const auto n = size * count;
    t.moved();
    if (!t.response_out) {
      t.resp.body.append(data, n);
      return n;
    }
    if (std::fwrite(data, 1, n, t.response_out.get()) != n) {
      t.write_failed = true;
      return 0;  // libcurl ends the exchange with CURLE_WRITE_ERROR
    }
    return n;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) {
    auto& t = *static_cast<transfer*>(self);
    const auto n = size * count;
    t.moved();
    const std::string_view line(data, n);
    // Each status line (100 Continue, then the final one) starts a new header block.
    if (line.starts_with("HTTP/")) {
      t.resp.headers.clear();
      return n;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos)
      t.resp.headers.push_back(
          {std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
    return n;
  }

  // Opens the files and configures the easy handle; an error message when that fails.
  std::optional<std::string> prepare(const options& opts) {
    if (!req.body_file.empty()) {
      body_in.reset(std::fopen(req.body_file.c_str(), "rb"));
      if (!body_in) return "cannot read body file " + req.body_file.string();
    }
    if (!req.response_file.empty()) {
      response_out.reset(std::fopen(req.response_file.c_str(), "wb"));
      if (!response_out) return "cannot write response file " + req.response_file.string();
    }
    easy = curl_easy_init();
    if (easy == nullptr) return "libcurl could not create a transfer";

    curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "slicebox");

    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(req.connect_timeout.count()));
    // libcurl's own low-speed check averages over 5 s and counts whole seconds; the worker
    // watches for stalls itself (stall_deadline).
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &transfer::on_request_ready);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, this);

    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, opts.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, opts.verify_tls ? 2L : 0L);
    if (!opts.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, opts.ca_file.c_str());
    if (!opts.proxy.empty()) curl_easy_setopt(easy, CURLOPT_PROXY, opts.proxy.c_str());

    for (const auto& h : req.headers) {
      // "Name;" is libcurl's way to send a header with an empty value.
      const auto line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
      auto* grown = curl_slist_append(header_list, line.c_str());
      if (grown == nullptr) return "out of memory building headers";
      header_list = grown;
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list);

    // A body goes out as an upload of known size, so libcurl adds no Content-Type of its own;
    // the method line is the request's.
    const bool has_body = body_in || !req.body.empty();
    if (has_body || req.method == "POST" || req.method == "PUT") {
      curl_off_t size = static_cast<curl_off_t>(req.body.size());
      if (body_in) {
        std::error_code ec;
        const auto file_size = std::filesystem::file_size(req.body_file, ec);
        if (ec) return "cannot read body file " + req.body_file.string();
        size = static_cast<curl_off_t>(file_size);
      }
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, size);
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &transfer::on_read);
      curl_easy_setopt(easy, CURLOPT_READDATA, this);
      curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &transfer::on_seek);
      curl_easy_setopt(easy, CURLOPT_SEEKDATA, this);
      if (req.method != "PUT") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    } else if (req.method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (req.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &transfer::on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &transfer::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    return std::nullopt;
  }

  // Closes both files; false when the response file could not be written completely.
  bool close_files() {
    body_in.reset();
    if (response_out && std::fclose(response_out.release()) != 0) write_failed = true;
    return !write_failed;
  }

  // What the exchange ended with, once libcurl reports `code`; closes the files first.
  result outcome(CURLcode code) {
    if (!close_files())
      return transport_error{"cannot write response file " + req.response_file.string()};
    if (code != CURLE_OK) {
      std::string message = curl_easy_strerror(code);
      if (error_text[0] != '\0') message += std::string(": ") + error_text;
      return transport_error{std::move(message), code == CURLE_OPERATION_TIMEDOUT};
    }
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp.status);
    return std::move(resp);
  }
};

void deliver(transfer& t, result r) {
  // An exception escaping a callback would end the worker thread and with it the process.
  try {
    t.done(std::move(r));
  } catch (...) {
  }
}

}  // namespace

std::optional<std::string> response::header_value(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

// The worker thread owns the multi handle; other threads only queue transfers and wake it.
struct client::worker {
  options opts;
  CURLM* multi = nullptr;
  std::mutex mutex;
  std::deque<std::unique_ptr<transfer>> queued;  // guarded by mutex
  bool stopping = false;                         // guarded by mutex
  std::unordered_map<CURL*, std::unique_ptr<transfer>> running;
  std::thread thread;

  explicit worker(options o) : opts(std::move(o)) {
    init_curl_once();
    multi = curl_multi_init();
    if (multi == nullptr) throw std::runtime_error("libcurl could not create a multi handle");
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(std::max<std::size_t>(1, opts.max_connections)));
    thread = std::thread([this] { run(); });
  }

  ~worker() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    curl_multi_wakeup(multi);
    thread.join();
    curl_multi_cleanup(multi);
  }

  void enqueue(std::unique_ptr<transfer> t) {
    {
      std::lock_guard lock(mutex);
      if (!stopping) {
        queued.push_back(std::move(t));
        t = nullptr;
      }
    }
    if (t) {
      deliver(*t, transport_error{"the HTTP client is stopping"});
      return;
    }
    curl_multi_wakeup(multi);
  }

  void run() {
    for (;;) {
      std::deque<std::unique_ptr<transfer>> incoming;
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
        incoming.swap(queued);
      }
      for (auto& t : incoming) begin(std::move(t));
      int still_running = 0;
      curl_multi_perform(multi, &still_running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg == CURLMSG_DONE) finish(msg->easy_handle, msg->data.result);
      }
      const auto wait = end_stalled();
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
    for (auto& [easy, t] : running) {
      curl_multi_remove_handle(multi, easy);
      t->close_files();
      deliver(*t, transport_error{"the HTTP client stopped before the exchange ended"});
    }
    running.clear();
    std::lock_guard lock(mutex);
    for (auto& t : queued) deliver(*t, transport_error{"the HTTP client is stopping"});
    queued.clear();
  }

  void begin(std::unique_ptr<transfer> t) {
    if (auto error = t->prepare(opts)) {
      t->close_files();
      deliver(*t, transport_error{std::move(*error)});
      return;
    }
    if (curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
      t->close_files();
      deliver(*t, transport_error{"libcurl refused the transfer"});
      return;
    }
    CURL* easy = t->easy;
    running.emplace(easy, std::move(t));
  }

  // Ends the exchanges whose stall watch ran out; returns how long the worker may wait for
  // socket activity before the next one runs out.
  std::chrono::milliseconds end_stalled() {
    const auto now = std::chrono::steady_clock::now();
    auto wait = std::chrono::milliseconds{1000};
    std::vector<CURL*> stalled;
    for (const auto& [easy, t] : running) {
      const auto deadline = t->stall_deadline();
      if (!deadline) continue;
      if (*deadline <= now) {
        stalled.push_back(easy);
        continue;
      }
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now);
      wait = std::min(wait, left);
    }
    for (CURL* easy : stalled) {
      curl_multi_remove_handle(multi, easy);
      auto t = std::move(running.at(easy));
      running.erase(easy);
      t->close_files();
      deliver(*t, transport_error{"no data moved for " +
                                      std::to_string(t->req.low_speed_window.count()) +
                                      " ms: the peer stalled",
                                  true});
    }
    return wait;
  }

  void finish(CURL* easy, CURLcode code) {
    curl_multi_remove_handle(multi, easy);
    const auto it = running.find(easy);
    if (it == running.end()) return;
    auto t = std::move(it->second);
    running.erase(it);
    deliver(*t, t->outcome(code));
  }
};

client::client(options opts) : worker_(std::make_unique<worker>(std::move(opts))) {}

client::~client() = default;

void client::start(request r, std::function<void(result)> done) {
  auto t = std::make_unique<transfer>();
  t->req = std::move(r);
  t->done = std::move(done);
  worker_->enqueue(std::move(t));
}

result client::perform(request r) {
  if (std::this_thread::get_id() == worker_->thread.get_id())
    throw std::logic_error("http client: perform() called from one of its own callbacks");
  std::promise<result> promise;
  auto future = promise.get_future();
  start(std::move(r), [&promise](result outcome) { promise.set_value(std::move(outcome)); });
  return future.get();
}

}  // namespace sbx::http::client
