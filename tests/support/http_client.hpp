// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The tests' HTTP clients. Beast's and Asio's blocking calls have no deadline of their own, so a
// node that does not answer would hang the test for ever: every exchange here runs asynchronous
// operations for at most a deadline and then fails the test with `no_answer`.
namespace sbx::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// How long one exchange with the node may take: SBX_TEST_HTTP_TIMEOUT (seconds) from the
/// environment, 60 s by default.
std::chrono::milliseconds default_deadline();

/// Thrown when the node has not answered within the deadline.
class no_answer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What the node answered.
struct client_response {
  int status = 0;
  std::string body;
  header_list headers;
  /// The first header with this name (case-insensitive), if any.
  std::optional<std::string> header(const std::string& name) const;
};

/// An HTTP/1.1 client for tests, talking to 127.0.0.1:port (one connection per request). A
/// request that takes longer than the deadline as a whole throws `no_answer`.
class http_client {
 public:
  explicit http_client(std::uint16_t port, std::chrono::milliseconds deadline = default_deadline())
      : port_(port), deadline_(deadline) {}
  /// Sends one request; `headers` are added as given.
  client_response request(const std::string& method, const std::string& target,
                          const std::string& body = {}, const header_list& headers = {}) const;
  /// Sends raw bytes and returns everything the server sent until it closed the connection.
  std::string raw(const std::string& bytes) const;

 private:
  std::uint16_t port_;
  std::chrono::milliseconds deadline_;
};

/// A TCP connection to 127.0.0.1:port for tests that speak HTTP byte by byte. Each operation
/// that takes longer than the deadline throws `no_answer`.
class tcp_connection {
 public:
  explicit tcp_connection(std::uint16_t port,
                          std::chrono::milliseconds deadline = default_deadline());
  ~tcp_connection();
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

  /// Sends all of `bytes`.
  void write(std::string_view bytes);
  /// Reads up to and including `delimiter`; returns that (what follows is kept for the next read).
  std::string read_until(const std::string& delimiter);
  /// Everything the peer sends until it ends the connection (closed or reset).
  std::string read_to_close();
  /// Ends the sending direction: the peer reads the end of the stream.
  void shutdown_send();
  /// Closes the connection now (the peer sees it end).
  void close();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// An `Authorization: Basic ...` header.
std::pair<std::string, std::string> basic_auth(const std::string& user, const std::string& pass);

/// Whether a node answers `GET /api/system/health` with 200 (false also when it does not answer).
bool healthy(const http_client& client);

/// Logs in with POST /api/users/login, sending `headers` (a User-Agent: a session is bound to
/// it); the session token of the answer's Set-Cookie. Requires a 204 with the cookie.
std::string login_token(const http_client& client, const std::string& user, const std::string& pass,
                        const header_list& headers);

/// One request as the default superuser admin/admin, with its Content-Type.
client_response as_admin(const http_client& client, const std::string& method,
                         const std::string& target, const std::string& body = {},
                         const std::string& type = "application/json");

}  // namespace sbx::test
