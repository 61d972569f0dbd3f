// SPDX-License-Identifier: Apache-2.0
// The only translation unit that includes Beast: CAF stays out of here (build time).
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/multipart.hpp"

namespace sbx::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class session;

/// A file response body read in 256 KiB pieces: Beast's file_body reads 4 KiB at a time, which
/// turns a 0.5 MB download into 128 socket writes. Bytes held in memory may come first.
struct chunked_file_body {
  static constexpr std::size_t chunk = 256 * 1024;

  struct value_type {
    std::string head;        ///< sent before the file's bytes
    beast::file file;        ///< positioned where its bytes start
    std::uint64_t size = 0;  ///< how many bytes of the file are sent
  };

  static std::uint64_t size(const value_type& v) { return v.head.size() + v.size; }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;

    template <bool is_request, class Fields>
    writer(bhttp::header<is_request, Fields>&, value_type& body)
        : body_(body), remain_(body.size) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      if (!head_sent_ && !body_.head.empty()) {
        head_sent_ = true;
        ec = {};
        return {{const_buffers_type{body_.head.data(), body_.head.size()}, remain_ > 0}};
      }
      auto amount = static_cast<std::size_t>(std::min<std::uint64_t>(remain_, chunk));
      if (amount == 0) {
        ec = {};
        return boost::none;
      }
      if (!buffer_) buffer_ = std::make_unique<char[]>(chunk);
      auto n = body_.file.read(buffer_.get(), amount, ec);
      if (ec) return boost::none;
      if (n == 0) {
        ec = bhttp::error::short_read;
        return boost::none;
      }
      remain_ -= n;
      return {{const_buffers_type{buffer_.get(), n}, remain_ > 0}};
    }

   private:
    value_type& body_;
    std::uint64_t remain_;
    bool head_sent_ = false;
    std::unique_ptr<char[]> buffer_;
  };
};

/// A body of unknown length pulled from a body_source (sent chunked).
struct source_body {
  using value_type = std::shared_ptr<body_source>;

  class writer {
   public:
    using const_buffers_type = net::const_buffer;

    template <bool is_request, class Fields>
    writer(bhttp::header<is_request, Fields>&, value_type& body) : body_(body) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      std::string_view piece;
      try {
        piece = body_->next();
      } catch (const std::exception& e) {
        spdlog::warn("response body aborted: {}", e.what());
        ec = net::error::operation_aborted;
        return boost::none;
      }
      if (piece.empty()) return boost::none;
      return {{const_buffers_type{piece.data(), piece.size()}, true}};
    }

   private:
    value_type& body_;
  };
};

/// What sessions share with the listener: options, the handler, and the registry used to stop.
struct shared_context {
  server_options options;
  request_handler handler;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};  ///< sessions alive
  std::atomic<std::size_t> uploads{0};      ///< upload slots held
  std::mutex mutex;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  std::function<void()> on_last_session_gone;
};

/// Whether an I/O error means the file system is full (no space, or the quota is used up).
bool out_of_space(const beast::error_code& ec) {
  return ec == boost::system::errc::no_space_on_device ||
         ec == boost::system::error_code(EDQUOT, boost::system::generic_category());
}

bool out_of_space(const std::error_code& ec) {
  return ec == std::errc::no_space_on_device ||
         ec == std::error_code(EDQUOT, std::generic_category());
}

/// How long a connection whose request body was refused unread drains the client's bytes.
constexpr std::chrono::seconds linger_time{2};
constexpr std::size_t drain_size = 64 * 1024;
/// What a 503 for a node at one of its limits asks the client to wait.
constexpr std::chrono::seconds retry_after{5};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, std::shared_ptr<shared_context> ctx)
      : stream_(std::move(socket)), answer_timer_(stream_.get_executor()), ctx_(std::move(ctx)) {
    ++ctx_->connections;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ip_ = ep.address().to_string();
    // Beast sizes each socket read by the buffer's free capacity (at least 512 bytes); without
    // room reserved an upload is read in ~1 KB pieces, and the per-read overhead dominates.
    buffer_.reserve(64 * 1024);
  }

  ~session() {
    release_upload_slot();
    --ctx_->connections;
    std::lock_guard lock{ctx_->mutex};
    ctx_->sessions.erase(this);
    if (ctx_->sessions.empty() && ctx_->stopping && ctx_->on_last_session_gone)
      ctx_->on_last_session_gone();
  }

  void run() {
    {
      std::lock_guard lock{ctx_->mutex};
      ctx_->sessions.emplace(this, weak_from_this());
    }
    if (ctx_->connections > ctx_->options.max_connections) {
      // Over the limit: answered without reading anything, so it costs no more than its socket.
      return net::dispatch(stream_.get_executor(),
                           [self = shared_from_this()] { self->refuse_busy("open connections"); });
    }
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read_header, shared_from_this()));
  }

  /// Called on stop: an idle connection closes now; a busy one closes after its response.
  void stop() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

 private:
  void do_read_header() {
    if (ctx_->stopping) return close();
    idle_ = true;
    header_parser_.emplace();
    // The Content-Length check against body_limit runs on this parser (Boost 1.74), so it is
    // unlimited here and enforced after the header; boost::none would reject every request.
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    header_parser_->header_limit(ctx_->options.max_header_bytes);
    if (buffer_.size() > 0) return read_rest_of_header();  // pipelined: already begun
    // Waiting for the next request is bounded by the idle timeout; once it has begun, its header
    // must be complete within the header timeout, however slowly it trickles in.
    stream_.expires_after(ctx_->options.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(std::max<std::size_t>(512, buffer_.capacity() - buffer_.size())),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          if (ec) return self->close();
          self->buffer_.commit(n);
          self->read_rest_of_header();
        });
  }

  void read_rest_of_header() {
    stream_.expires_after(ctx_->options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *header_parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  /// Answers 503 with Retry-After at once and closes: the node is at its limit of `what`.
  void refuse_busy(const std::string& what) {
    keep_alive_ = false;
    auto r = text_response(
        503, "The server is at its limit of " + what + ". Please try again in a short while!");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    write(std::move(r));
  }

  void on_header(beast::error_code ec, std::size_t) {
    idle_ = false;
    head_request_ = false;
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset)
      return close();
    const auto limit = std::to_string(ctx_->options.max_header_bytes);
    if (ec == bhttp::error::header_limit) {
      // Nothing of it can be answered but its size: 414 if even the request line is too long.
      if (header_parser_->get().target().empty())
        return reject(414, "The request's URI is longer than " + limit + " bytes");
      return reject(431, "The request's header fields are longer than " + limit + " bytes");
    }
    if (ec) return reject(400, "Malformed HTTP request: " + ec.message());
    auto& head = header_parser_->get();
    keep_alive_ = head.keep_alive();
    version_ = head.version();
    head_request_ = head.method() == bhttp::verb::head;
    // Beast applies its header limit to each read rather than to the whole header.
    std::size_t header_size = head.target().size();
    for (const auto& field : head)
      header_size += field.name_string().size() + field.value().size() + 4;
    if (header_size > ctx_->options.max_header_bytes)
      return reject(431, "The request's header fields are longer than " + limit + " bytes");
    if (head.target().size() > ctx_->options.max_target_bytes)
      return refuse_before_body(
          text_response(414, "The request's URI is longer than " +
                                 std::to_string(ctx_->options.max_target_bytes) + " bytes"));
    auto& o = ctx_->options;
    if (o.refuse) {
      const std::string_view method(head.method_string().data(), head.method_string().size());
      const std::string_view target(head.target().data(), head.target().size());
      if (auto refusal = o.refuse(method, target)) return refuse_before_body(std::move(*refusal));
    }
    const bool has_body =
        header_parser_->chunked() || header_parser_->content_length().value_or(0) > 0;
    if (o.admit && has_body) {
      // Nothing of the body is read until the front end has checked the header: an unknown or
      // unauthorized client cannot make the node store or buffer anything.
      o.admit(head_of(head), [self = shared_from_this()](admission_verdict verdict) {
        net::post(self->stream_.get_executor(),
                  [self, v = std::move(verdict)]() mutable { self->on_admitted(std::move(v)); });
      });
      return;
    }
    on_admitted({});
  }

  void on_admitted(admission_verdict verdict) {
    if (verdict.refusal) return refuse_before_body(std::move(*verdict.refusal));
    admitted_ = std::move(verdict.admitted);
    stream_.expires_after(ctx_->options.read_timeout);
    auto& o = ctx_->options;
    auto& head = header_parser_->get();
    if (o.streams_body && o.temp_file &&
        o.streams_body(std::string_view(head.method_string().data(), head.method_string().size()),
                       std::string_view(head.target().data(), head.target().size()))) {
      // Uploads have no size limit and never sit in memory: the body goes straight to a file.
      // Each holds an upload slot until it is answered, so a flood of them waits outside.
      if (ctx_->uploads.fetch_add(1) >= o.max_uploads) {
        --ctx_->uploads;
        keep_alive_ = false;
        linger_ = true;
        return refuse_busy("concurrent uploads");
      }
      upload_slot_ = true;
      file_parser_.emplace(std::move(*header_parser_));
      file_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
      body_path_ = o.temp_file();
      beast::error_code fec;
      file_parser_->get().body().open(body_path_.c_str(), beast::file_mode::write, fec);
      if (fec) {
        spdlog::error("cannot create upload file {}: {}", body_path_, fec.message());
        body_path_.clear();
        if (out_of_space(fec)) return refuse_before_body(insufficient_storage_response());
        return reject(500, "There was an internal server error.");
      }
    } else {
      if (auto length = header_parser_->content_length(); length && *length > o.max_body)
        return refuse_before_body(text_response(413, "The request content was too large (limit " +
                                                         std::to_string(o.max_body) + " bytes)"));
      body_parser_.emplace(std::move(*header_parser_));
      body_parser_->body_limit(o.max_body);
    }
    if (beast::iequals(head_field(bhttp::field::expect), "100-continue")) {
      auto cont =
          std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, version_);
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                           if (ec) return self->close();
                           self->do_read_body();
                         });
      return;
    }
    do_read_body();
  }

  /// Answers a request whose body is not wanted, then closes the connection without reading the
  /// body (see linger_close).
  void refuse_before_body(http_response refusal) {
    keep_alive_ = false;
    linger_ = true;
    write(std::move(refusal));
  }

  beast::string_view head_field(bhttp::field f) const {
    return file_parser_ ? file_parser_->get()[f] : body_parser_->get()[f];
  }

  void do_read_body() {
    if (file_parser_)
      read_body_piece(file_parser_, [](session& s, beast::error_code ec) { s.on_file_body(ec); });
    else
      read_body_piece(body_parser_, [](session& s, beast::error_code ec) { s.on_body(ec, 0); });
  }

  /// Reads a body piece by piece: the read timeout bounds the wait for each piece, not the whole
  /// body, so a slow but live client may take its time and a silent one is dropped.
  template <class Parser, class Done>
  void read_body_piece(std::optional<Parser>& parser, Done done) {
    if (parser->is_done()) return done(*this, {});  // e.g. Content-Length: 0
    stream_.expires_after(ctx_->options.read_timeout);
    bhttp::async_read_some(
        stream_, buffer_, *parser,
        [self = shared_from_this(), &parser, done](beast::error_code ec, std::size_t) {
          if (!ec && !parser->is_done()) return self->read_body_piece(parser, done);
          done(*self, ec);
        });
  }

  void drop_body_file() {
    if (body_path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove(body_path_, ec);
    body_path_.clear();
  }

  void on_file_body(beast::error_code ec) {
    auto message = file_parser_->release();
    file_parser_.reset();
    message.body().close();
    if (ec) {
      drop_body_file();
      if (out_of_space(ec)) {
        spdlog::warn("upload refused: the data folder is full ({})", ec.message());
        return refuse_before_body(insufficient_storage_response());
      }
      if (ec == beast::error::timeout || ec == net::error::operation_aborted ||
          ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
        return close();
      return reject(400, "Malformed HTTP request: " + ec.message());
    }
    http_request request = head_of(message);
    request.admitted = std::move(admitted_);
    request.body_file = std::move(body_path_);
    body_path_.clear();
    if (auto refusal = unwrap_multipart(request)) return refuse_before_body(std::move(*refusal));
    dispatch(std::move(request));
  }

  /// A multipart upload is reduced to its part named "file" (Slicebox's name for the DICOM file's
  /// field), on this thread like the rest of the body's file I/O.
  /// Returns the answer instead if the part cannot be written for want of space.
  std::optional<http_response> unwrap_multipart(http_request& request) const {
    auto type = request.header("content-type");
    if (!type) return std::nullopt;
    auto boundary = multipart_boundary(*type);
    if (!boundary) return std::nullopt;
    auto part = ctx_->options.temp_file();
    std::optional<http_response> refusal;
    try {
      auto found = extract_part(request.body_file, *boundary, "file", part);
      request.body_filename = found.filename;
    } catch (const std::exception& e) {
      request.body_error = e.what();
      if (auto s = dynamic_cast<const std::system_error*>(&e); s && out_of_space(s->code()))
        refusal = insufficient_storage_response();
      std::error_code ec;
      std::filesystem::remove(part, ec);
      part.clear();
    }
    std::error_code ec;
    std::filesystem::remove(request.body_file, ec);
    request.body_file = part;
    return refusal;
  }

  template <class Message>
  http_request head_of(const Message& message) const {
    http_request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.peer_ip = peer_ip_;
    request.headers.reserve(8);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    return request;
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit)
      return reject(413, "The request content was too large (limit " +
                             std::to_string(ctx_->options.max_body) + " bytes)");
    if (ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
      return close();
    if (ec) return reject(400, "Malformed HTTP request: " + ec.message());
    auto message = body_parser_->release();
    body_parser_.reset();
    http_request request = head_of(message);
    request.admitted = std::move(admitted_);
    request.body = std::move(message.body());
    dispatch(std::move(request));
  }

  void dispatch(http_request&& request) {
    // The handler answers from another thread; the answer is posted back onto this strand.
    // The request timeout lives here rather than in the actors: an answer that comes too late
    // finds its sequence number outdated and is dropped.
    auto self = shared_from_this();
    auto seq = ++sequence_;
    answer_timer_.expires_after(ctx_->options.request_timeout);
    answer_timer_.async_wait([self, seq](beast::error_code ec) {
      if (ec || seq != self->sequence_ || self->answered_) return;
      self->answered_ = true;
      self->keep_alive_ = false;
      self->write(text_response(503,
                                "The server was not able to produce a timely response to your "
                                "request.\nPlease try again in a short while!"));
    });
    answered_ = false;
    ctx_->handler(std::move(request), [self, seq](http_response response) {
      net::post(self->stream_.get_executor(), [self, seq, r = std::move(response)]() mutable {
        if (seq != self->sequence_ || self->answered_) return;
        self->answered_ = true;
        self->answer_timer_.cancel();
        self->write(std::move(r));
      });
    });
  }

  /// Answers a request that cannot be read to its end; the connection then closes (lingering).
  void reject(int status, std::string text) {
    refuse_before_body(text_response(status, std::move(text)));
  }

  /// With `head`, the answer to a HEAD request: its Content-Length is `get_length`, the length
  /// of the body a GET would get (left out if unknown), and no body follows.
  template <class Body>
  void send(std::shared_ptr<bhttp::response<Body>> res, const http_response& r,
            std::chrono::seconds extra_time = std::chrono::seconds{0}, bool head = false,
            std::optional<std::uint64_t> get_length = std::nullopt) {
    std::string temporary = r.remove_file ? r.file : std::string{};
    res->set(bhttp::field::server, "slicebox");
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) res->insert(name, value);
    res->keep_alive(keep_alive_ && !ctx_->stopping);
    res->prepare_payload();
    const auto status = res->result_int();
    if (head && status >= 200 && status != 204 && status != 304) {
      if (get_length)
        res->content_length(*get_length);
      else
        res->erase(bhttp::field::content_length);
    }
    stream_.expires_after(ctx_->options.write_timeout + extra_time);
    bhttp::async_write(
        stream_, *res,
        [self = shared_from_this(), res, temporary](beast::error_code ec, std::size_t) {
          if (!temporary.empty()) {
            std::error_code fec;
            std::filesystem::remove(temporary, fec);
          }
          if (ec || !res->keep_alive()) return self->end();
          self->do_read_header();
        });
  }

  /// Sends a response whose body is made while it is sent: piece by piece, each write bounded by
  /// the write timeout; a body that fails midway closes the connection.
  void send_stream(http_response r, unsigned version) {
    auto res = std::make_shared<bhttp::response<source_body>>(static_cast<bhttp::status>(r.status),
                                                              version);
    res->body() = std::move(r.source);
    res->set(bhttp::field::server, "slicebox");
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) res->insert(name, value);
    // HTTP/1.0 has no chunked encoding: the end of the connection ends the body.
    res->keep_alive(version == 11 && keep_alive_ && !ctx_->stopping);
    res->chunked(version == 11);
    auto serializer = std::make_shared<bhttp::response_serializer<source_body>>(*res);
    write_some(std::move(res), std::move(serializer));
  }

  void write_some(std::shared_ptr<bhttp::response<source_body>> res,
                  std::shared_ptr<bhttp::response_serializer<source_body>> serializer) {
    stream_.expires_after(ctx_->options.write_timeout);
    auto& s = *serializer;
    bhttp::async_write_some(
        stream_, s,
        [self = shared_from_this(), res = std::move(res), serializer = std::move(serializer)](
            beast::error_code ec, std::size_t) mutable {
          if (ec) return self->close();
          if (!serializer->is_done())
            return self->write_some(std::move(res), std::move(serializer));
          if (!res->keep_alive()) return self->close();
          self->do_read_header();
        });
  }

  void release_upload_slot() {
    if (!upload_slot_) return;
    upload_slot_ = false;
    --ctx_->uploads;
  }

  /// The answer to a HEAD request: the header a GET would get, Content-Length included, and no
  /// body (a streamed body's length is unknown, so it has none).
  void write_head(http_response r, unsigned version) {
    std::optional<std::uint64_t> length = r.body.size();
    if (r.source) {
      length.reset();
    } else if (!r.file.empty()) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(r.file, ec);
      if (ec || r.file_offset > size) {
        r = text_response(404, "File not found: " + r.file.substr(r.file.rfind('/') + 1));
        length = r.body.size();
      } else {
        length = *length + (size - r.file_offset);
      }
    }
    auto res = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(r.status), version);
    send(std::move(res), r, std::chrono::seconds{0}, true, length);
  }

  void write(http_response r) {
    release_upload_slot();
    auto version = version_ ? version_ : 11;
    if (head_request_) return write_head(std::move(r), version);
    if (r.source) return send_stream(std::move(r), version);
    if (!r.file.empty()) {
      // Files stream from disk; the write timeout then bounds each chunk, not the whole file.
      auto res = std::make_shared<bhttp::response<chunked_file_body>>(
          static_cast<bhttp::status>(r.status), version);
      beast::error_code ec;
      auto& body = res->body();
      body.file.open(r.file.c_str(), beast::file_mode::scan, ec);
      if (!ec) body.size = body.file.size(ec);
      if (!ec && r.file_offset > 0) body.file.seek(r.file_offset, ec);
      if (!ec && r.file_offset <= body.size) {
        body.size -= r.file_offset;
        body.head = std::move(r.body);
        // Allow a slow reader 1 MiB/s on top of the usual timeout.
        return send(std::move(res), r, std::chrono::seconds(body.size >> 20));
      }
      r = text_response(404, "File not found: " + r.file.substr(r.file.rfind('/') + 1));
    }
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), version);
    res->body() = std::move(r.body);
    send(std::move(res), r);
  }

  /// Ends the connection after its last response: at once, or, when the request's body was
  /// refused unread, after letting the client's pending bytes drain for a moment (discarded, never
  /// stored), so that a client still sending sees the answer rather than a reset connection.
  void end() {
    if (!linger_) return close();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(linger_time);
    discard();
  }

  void discard() {
    if (!drain_) drain_ = std::make_unique<char[]>(drain_size);
    stream_.async_read_some(net::buffer(drain_.get(), drain_size),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->discard();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  net::steady_timer answer_timer_;
  std::uint64_t sequence_ = 0;
  bool answered_ = true;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_context> ctx_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_parser_;
  std::optional<bhttp::request_parser<bhttp::file_body>> file_parser_;
  std::string body_path_;
  std::shared_ptr<const admission> admitted_;
  bool upload_slot_ = false;
  bool linger_ = false;
  std::unique_ptr<char[]> drain_;
  std::string peer_ip_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_request_ = false;  ///< the request being answered is a HEAD: no body goes out
  bool idle_ = false;
};

}  // namespace

struct http_server::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_pause{ioc};
  std::shared_ptr<shared_context> ctx = std::make_shared<shared_context>();
  std::vector<std::thread> threads;
  std::optional<net::steady_timer> grace_timer;
  std::uint16_t port = 0;

  void do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // E.g. out of file descriptors: accepting again at once would spin; wait a moment.
        spdlog::warn("HTTP accept failed: {}", ec.message());
        accept_pause.expires_after(std::chrono::milliseconds(100));
        accept_pause.async_wait([this](beast::error_code ec) {
          if (!ec && acceptor.is_open()) do_accept();
        });
        return;
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<session>(std::move(socket), ctx)->run();
      do_accept();
    });
  }
};

http_server::http_server(server_options options, request_handler handler)
    : impl_(std::make_unique<impl>()) {
  impl_->ctx->options = std::move(options);
  impl_->ctx->handler = std::move(handler);
}

http_server::~http_server() {
  stop();
  // Handlers destroyed with the io_context may still end sessions; they must not post again.
  std::lock_guard lock{impl_->ctx->mutex};
  impl_->ctx->on_last_session_gone = nullptr;
}

void http_server::start() {
  auto& o = impl_->ctx->options;
  tcp::endpoint endpoint{net::ip::make_address(o.host), o.port};
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(endpoint);
  a.listen(net::socket_base::max_listen_connections);
  impl_->port = a.local_endpoint().port();
  impl_->do_accept();
  for (unsigned i = 0; i < std::max(1u, o.threads); ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

std::uint16_t http_server::port() const { return impl_->port; }

void http_server::stop() {
  if (impl_->threads.empty()) return;
  auto& ctx = *impl_->ctx;
  if (!ctx.stopping.exchange(true)) {
    net::post(impl_->ioc, [this] {
      beast::error_code ec;
      impl_->acceptor.close(ec);
      impl_->accept_pause.cancel();
      // Requests still in flight get the grace period; then the I/O loop is stopped.
      impl_->grace_timer.emplace(impl_->ioc, impl_->ctx->options.stop_grace);
      impl_->grace_timer->async_wait([this](beast::error_code ec) {
        if (!ec) impl_->ioc.stop();
      });
      std::vector<std::shared_ptr<session>> live;
      {
        std::lock_guard lock{impl_->ctx->mutex};
        for (auto& [_, weak] : impl_->ctx->sessions)
          if (auto s = weak.lock()) live.push_back(std::move(s));
        impl_->ctx->on_last_session_gone = [this] {
          net::post(impl_->ioc, [this] { impl_->grace_timer->cancel(); });
        };
        if (impl_->ctx->sessions.empty()) impl_->grace_timer->cancel();
      }
      for (auto& s : live) s->stop();
    });
  }
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

}  // namespace sbx::http
