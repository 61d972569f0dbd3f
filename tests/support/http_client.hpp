// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sbx::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// What the node answered.
struct client_response {
  int status = 0;
  std::string body;
  header_list headers;
  /// The first header with this name (case-insensitive), if any.
  std::optional<std::string> header(const std::string& name) const;
};

/// A blocking HTTP/1.1 client for tests, talking to 127.0.0.1:port (one connection per request).
class http_client {
 public:
  explicit http_client(std::uint16_t port) : port_(port) {}
  /// Sends one request; `headers` are added as given.
  client_response request(const std::string& method, const std::string& target,
                          const std::string& body = {}, const header_list& headers = {}) const;
  /// Sends raw bytes and returns everything the server sent until it closed (or 5 s passed).
  std::string raw(const std::string& bytes) const;

 private:
  std::uint16_t port_;
};

/// An `Authorization: Basic ...` header.
std::pair<std::string, std::string> basic_auth(const std::string& user, const std::string& pass);

}  // namespace sbx::test
