// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace sbx::http {

/// How the HTTP listener behaves.
struct server_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 5000;  ///< 0 = any free port
  unsigned threads = 2;
  std::uint64_t max_body = 64u << 20;
  /// How long a request body may go without a byte arriving.
  std::chrono::seconds read_timeout{60};
  std::chrono::seconds write_timeout{60};
  /// How long a connection may wait for a request's first byte (keep-alive).
  std::chrono::seconds idle_timeout{30};
  /// How long a request's header may take, from its first byte to its end.
  std::chrono::seconds header_timeout{10};
  /// Longest request line plus header fields (431 beyond; 414 if the request line alone is).
  std::uint32_t max_header_bytes = 64u << 10;
  /// Longest request target, path and query (414 beyond).
  std::uint32_t max_target_bytes = 8u << 10;
  /// Open connections at most; one more is answered 503 with Retry-After and closed.
  std::size_t max_connections = 1024;
  /// Streamed uploads in progress at most (from the header to the answer); one more is 503.
  std::size_t max_uploads = 64;
  /// How long the handler may take to answer before the client gets 503.
  std::chrono::seconds request_timeout{600};
  std::chrono::seconds stop_grace{10};
  /// Whether a request's body streams to a file instead of memory (uploads; no size limit).
  std::function<bool(std::string_view method, std::string_view target)> streams_body;
  /// A fresh path for a streamed body (on the same file system as the image store).
  std::function<std::string()> temp_file;
  /// An answer for a request as soon as its header is read, before any of its body (e.g. an
  /// unknown box token); the connection then closes. nullopt lets the request through.
  std::function<std::optional<http_response>(std::string_view method, std::string_view target)>
      refuse;
  /// Asked about every request that has a body, from its header, before any byte of the body is
  /// read (credentials, role, route): a refusal is sent at once and the connection then closes.
  admission_handler admit;
};

/// The HTTP/1.1 listener (Boost.Beast): keep-alive, timeouts, body limits, `Expect:
/// 100-continue`. It parses requests and hands them to a request_handler; it knows nothing of
/// routes or actors. Whoever holds a responder must be gone before the server is destroyed.
class http_server {
 public:
  http_server(server_options options, request_handler handler);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and starts the I/O threads; throws std::system_error if the address cannot be bound.
  void start();
  /// The bound port (after start).
  std::uint16_t port() const;
  /// Stops accepting, lets requests in flight finish (up to the grace period), joins threads.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sbx::http
