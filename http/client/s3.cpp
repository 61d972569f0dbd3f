// SPDX-License-Identifier: Apache-2.0
#include "http/client/s3.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace sbx::http::client {
namespace {

/// One easy handle per thread, reset before each request: its connection cache survives the
/// reset, so a thread's requests to one endpoint share a connection.
CURL* thread_handle() {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) throw s3_error(0, "libcurl could not be initialised");
  struct holder {
    CURL* easy = nullptr;
    ~holder() {
      if (easy) curl_easy_cleanup(easy);
    }
  };
  thread_local holder h;
  if (h.easy)
    curl_easy_reset(h.easy);
  else
    h.easy = curl_easy_init();
  if (!h.easy) throw s3_error(0, "libcurl could not make a handle");
  return h.easy;
}

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

/// Where a response body goes: into `out` for a 2xx response when there is one, otherwise
/// (error documents, listings) into `body`, of which the first MiB is kept.
struct sink {
  CURL* easy = nullptr;
  std::FILE* out = nullptr;
  /// Takes a 2xx body piece by piece instead of `out`; false aborts the transfer.
  const std::function<bool(CURL*, const char*, std::size_t)>* consume = nullptr;
  std::string body;
  bool write_failed = false;

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self) {
    auto& s = *static_cast<sink*>(self);
    long status = 0;
    curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &status);
    const auto bytes = size * n;
    if (s.consume && *s.consume && status >= 200 && status < 300) {
      if ((*s.consume)(s.easy, data, bytes)) return bytes;
      s.write_failed = true;
      return 0;
    }
    if (s.out && status >= 200 && status < 300) {
      if (std::fwrite(data, 1, bytes, s.out) != bytes) {
        s.write_failed = true;
        return 0;
      }
      return bytes;
    }
    if (s.body.size() < (16u << 20)) s.body.append(data, bytes);
    return bytes;
  }
};

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* file) {
  const auto got = std::fread(buffer, 1, size * n, static_cast<std::FILE*>(file));
  if (got == 0 && std::ferror(static_cast<std::FILE*>(file))) return CURL_READFUNC_ABORT;
  return got;
}

int on_seek(void* file, curl_off_t offset, int origin) {
  return std::fseek(static_cast<std::FILE*>(file), static_cast<long>(offset), origin) == 0
             ? CURL_SEEKFUNC_OK
             : CURL_SEEKFUNC_FAIL;
}

/// The text of the first `<tag>...</tag>` at or after `from`; `from` moves past it.
std::string element(const std::string& xml, const std::string& tag, std::size_t& from) {
  const auto open = "<" + tag + ">";
  const auto start = xml.find(open, from);
  if (start == std::string::npos) return {};
  const auto end = xml.find("</" + tag + ">", start);
  if (end == std::string::npos) return {};
  from = end;
  std::string raw = xml.substr(start + open.size(), end - start - open.size());
  // The five predefined XML entities; keys never hold other markup.
  static const std::pair<const char*, char> entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    bool replaced = false;
    if (raw[i] == '&') {
      for (const auto& [name, ch] : entities) {
        if (raw.compare(i, std::char_traits<char>::length(name), name) == 0) {
          out += ch;
          i += std::char_traits<char>::length(name);
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += raw[i++];
  }
  return out;
}

std::string element(const std::string& xml, const std::string& tag) {
  std::size_t from = 0;
  return element(xml, tag, from);
}

/// "2026-12-07T20:55:01.000Z" as milliseconds since the epoch (0 if unreadable).
std::int64_t parse_time(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

struct outcome {
  long status = 0;
  std::string body;
};

/// The fields of one request.
struct exchange {
  exchange(const char* m, std::string u) : method(m), url(std::move(u)) {}
  const char* method;
  std::string url;
  std::FILE* upload = nullptr;
  curl_off_t upload_size = 0;
  std::FILE* download = nullptr;
  std::function<bool(CURL*, const char*, std::size_t)> consume;  ///< instead of `download`
};

outcome perform(const s3_settings& s, const exchange& x) {
  CURL* easy = thread_handle();
  char error_text[CURL_ERROR_SIZE] = {};
  sink body{easy, x.download, &x.consume, {}, false};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_URL, x.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "slicebox");
  if (x.consume) {
    // A streamed body lasts as long as its reader takes: no limit on the whole transfer, but
    // one on a stall of S3 (a paused transfer, waiting for the reader, counts as a stall too, so
    // the bound is generous).
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<long long>(1, s.timeout.count() / 1000)));
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 64L * 1024);
  } else {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(s.timeout.count()));
  }
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &sink::on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
  // The payload is not hashed (S3's UNSIGNED-PAYLOAD): libcurl signs this header's value as the
  // payload hash, and TLS protects the body in transit.
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD"), &curl_slist_free_all);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  const std::string provider = "aws:amz:" + s.region + ":s3";
  if (!s.access_key_id.empty()) {
    curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, provider.c_str());
    curl_easy_setopt(easy, CURLOPT_USERNAME, s.access_key_id.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, s.secret_access_key.c_str());
  }
  const std::string method = x.method;
  if (method == "PUT") {
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, x.upload_size);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, x.upload);
    curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &on_seek);
    curl_easy_setopt(easy, CURLOPT_SEEKDATA, x.upload);
  } else if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, x.method);
  }
  const auto rc = curl_easy_perform(easy);
  if (body.write_failed) throw s3_error(0, std::string(x.method) + " " + x.url + ": cannot write");
  if (rc != CURLE_OK)
    throw s3_error(0, std::string(x.method) + " " + x.url + ": " +
                          (error_text[0] ? error_text : curl_easy_strerror(rc)));
  outcome o;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &o.status);
  o.body = std::move(body.body);
  return o;
}

bool succeeded(const outcome& o) { return o.status >= 200 && o.status < 300; }

/// "HTTP 403 (AccessDenied: Access Denied)" from a response and its S3 error document.
std::string describe(const outcome& o) {
  std::string text = "HTTP " + std::to_string(o.status);
  const auto code = element(o.body, "Code");
  const auto message = element(o.body, "Message");
  if (!code.empty() || !message.empty()) text += " (" + code + ": " + message + ")";
  return text;
}

[[noreturn]] void fail(const char* method, const std::string& url, const outcome& o) {
  throw s3_error(o.status, std::string(method) + " " + url + ": " + describe(o));
}

}  // namespace

std::string s3_uri_encode(const std::string& s, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

s3_client::s3_client(s3_settings settings) : settings_(std::move(settings)) {
  std::string endpoint = settings_.endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + settings_.region + ".amazonaws.com";
  const auto colon = endpoint.find("://");
  if (colon == std::string::npos) throw s3_error(0, "S3 endpoint needs a scheme: " + endpoint);
  scheme_ = endpoint.substr(0, colon);
  if (scheme_ != "http" && scheme_ != "https")
    throw s3_error(0, "S3 endpoint must be http:// or https://: " + endpoint);
  auto rest = endpoint.substr(colon + 3);
  const auto slash = rest.find('/');
  authority_ = rest.substr(0, slash);
  base_path_ = slash == std::string::npos ? "" : rest.substr(slash);
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  if (authority_.empty()) throw s3_error(0, "S3 endpoint has no host: " + endpoint);
}

std::string s3_client::url(const std::string& key, const std::string& query) const {
  std::string u = scheme_ + "://";
  if (settings_.path_style) {
    u += authority_ + base_path_ + "/" + s3_uri_encode(settings_.bucket, false);
    if (!key.empty()) u += "/" + s3_uri_encode(key, true);
  } else {
    u += settings_.bucket + "." + authority_ + base_path_ + "/" + s3_uri_encode(key, true);
  }
  if (!query.empty()) u += "?" + query;
  return u;
}

void s3_client::put_file(const std::string& key, const std::filesystem::path& file) const {
  file_ptr in(std::fopen(file.c_str(), "rb"));
  if (!in) throw s3_error(0, "PUT " + key + ": cannot open " + file.string());
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw s3_error(0, "PUT " + key + ": " + ec.message());
  exchange x("PUT", url(key));
  x.upload = in.get();
  x.upload_size = static_cast<curl_off_t>(size);
  auto o = perform(settings_, x);
  if (!succeeded(o)) fail("PUT", x.url, o);
}

bool s3_client::get_file(const std::string& key, const std::filesystem::path& out) const {
  file_ptr f(std::fopen(out.c_str(), "wb"));
  if (!f) throw s3_error(0, "GET " + key + ": cannot create " + out.string());
  exchange x("GET", url(key));
  x.download = f.get();
  outcome o;
  try {
    o = perform(settings_, x);
    if (std::fflush(f.get()) != 0) throw s3_error(0, "GET " + key + ": cannot write");
  } catch (...) {
    f.reset();
    std::error_code ec;
    std::filesystem::remove(out, ec);
    throw;
  }
  f.reset();
  if (succeeded(o)) return true;
  std::error_code ec;
  std::filesystem::remove(out, ec);
  if (o.status == 404) return false;
  fail("GET", x.url, o);
}

/// What the transfer thread and the reader of a streamed GET share.
struct s3_download::state {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> pieces;  ///< arrived, not read yet
  std::size_t buffered = 0;        ///< bytes in `pieces`
  std::size_t max_buffered = 0;
  bool answered = false;   ///< a 2xx body has begun, or the exchange ended
  bool finished = false;   ///< the exchange ended
  bool cancelled = false;  ///< the reader is gone
  long status = 0;         ///< of an exchange that ended without a 2xx body: its status
  curl_off_t length = -1;  ///< Content-Length of a 2xx body, -1 if unknown
  std::string failure;     ///< why it failed, if it did
  std::string current;     ///< the piece handed out last
  std::thread transfer;
};

std::unique_ptr<s3_download> s3_client::open(const std::string& key,
                                             std::size_t max_buffered) const {
  auto st = std::make_shared<s3_download::state>();
  st->max_buffered = std::max<std::size_t>(max_buffered, 1);
  st->transfer = std::thread([st, settings = settings_, u = url(key)] {
    exchange x("GET", u);
    x.consume = [&st](CURL* easy, const char* data, std::size_t n) {
      curl_off_t length = -1;
      if (curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK)
        length = -1;
      std::unique_lock lock(st->mutex);
      if (!st->answered) st->length = length;
      st->answered = true;
      st->changed.notify_all();
      st->changed.wait(lock, [&] { return st->cancelled || st->buffered < st->max_buffered; });
      if (st->cancelled) return false;
      st->pieces.emplace_back(data, n);
      st->buffered += n;
      st->changed.notify_all();
      return true;
    };
    std::string failure;
    long status = 0;
    try {
      auto o = perform(settings, x);
      status = o.status;
      if (!succeeded(o) && o.status != 404) failure = "GET " + u + ": " + describe(o);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    std::lock_guard lock(st->mutex);
    st->status = status;
    st->failure = std::move(failure);
    st->answered = st->finished = true;
    st->changed.notify_all();
  });
  auto download = std::make_unique<s3_download>(st);
  std::unique_lock lock(st->mutex);
  st->changed.wait(lock, [&] { return st->answered; });
  const bool body = !st->pieces.empty() || (st->finished && st->status / 100 == 2);
  if (!body && st->finished) {
    if (st->status == 404) return nullptr;
    throw s3_error(st->status, st->failure);
  }
  return download;
}

s3_download::s3_download(std::shared_ptr<state> s) : state_(std::move(s)) {}

s3_download::~s3_download() {
  {
    std::lock_guard lock(state_->mutex);
    state_->cancelled = true;
    state_->changed.notify_all();
  }
  if (state_->transfer.joinable()) state_->transfer.join();
}

std::optional<std::uint64_t> s3_download::size() const {
  std::lock_guard lock(state_->mutex);
  if (state_->length < 0) return std::nullopt;
  return static_cast<std::uint64_t>(state_->length);
}

std::string_view s3_download::next() {
  auto& st = *state_;
  std::unique_lock lock(st.mutex);
  st.changed.wait(lock, [&] { return !st.pieces.empty() || st.finished; });
  if (st.pieces.empty()) {
    if (!st.failure.empty()) throw s3_error(st.status, st.failure);
    st.current.clear();
    return {};
  }
  st.current = std::move(st.pieces.front());
  st.pieces.pop_front();
  st.buffered -= st.current.size();
  st.changed.notify_all();
  return st.current;
}

bool s3_client::exists(const std::string& key) const {
  exchange x("HEAD", url(key));
  auto o = perform(settings_, x);
  if (succeeded(o)) return true;
  if (o.status == 404) return false;
  fail("HEAD", x.url, o);
}

void s3_client::remove(const std::string& key) const {
  exchange x("DELETE", url(key));
  auto o = perform(settings_, x);
  if (!succeeded(o) && o.status != 404) fail("DELETE", x.url, o);
}

std::vector<s3_object> s3_client::list(const std::string& prefix, int page_size) const {
  std::vector<s3_object> objects;
  std::string token;
  for (;;) {
    // The query is already in SigV4's canonical form (names sorted, values encoded): libcurl
    // signs it as it is sent.
    std::string query;
    if (!token.empty()) query += "continuation-token=" + s3_uri_encode(token, false) + "&";
    query += "list-type=2&max-keys=" + std::to_string(page_size) +
             "&prefix=" + s3_uri_encode(prefix, false);
    exchange x("GET", url({}, query));
    auto o = perform(settings_, x);
    if (!succeeded(o)) fail("GET", x.url, o);
    std::size_t at = 0;
    for (;;) {
      const auto start = o.body.find("<Contents>", at);
      if (start == std::string::npos) break;
      const auto end = o.body.find("</Contents>", start);
      if (end == std::string::npos) break;
      const auto entry = o.body.substr(start, end - start);
      s3_object obj;
      obj.key = element(entry, "Key");
      obj.size = std::atoll(element(entry, "Size").c_str());
      obj.last_modified_ms = parse_time(element(entry, "LastModified"));
      objects.push_back(std::move(obj));
      at = end;
    }
    if (element(o.body, "IsTruncated") != "true") break;
    token = element(o.body, "NextContinuationToken");
    if (token.empty()) break;
  }
  return objects;
}

void s3_client::check_bucket() const {
  exchange x("GET", url({}, "list-type=2&max-keys=1"));
  outcome o;
  try {
    o = perform(settings_, x);
  } catch (const s3_error& e) {
    throw s3_error(0, "S3 bucket \"" + settings_.bucket + "\" cannot be reached: " + e.what());
  }
  if (!succeeded(o))
    throw s3_error(o.status, "S3 bucket \"" + settings_.bucket + "\" cannot be used (GET " + x.url +
                                 ": " + describe(o) + ")");
}

}  // namespace sbx::http::client
