// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The node's outbound HTTP(S) client (box-to-box transfers, later S3): libcurl's multi interface
// driven by one worker thread per client, so many exchanges share a few reused connections.
// Nothing of the rest of the project crosses this interface.
namespace sbx::http::client {

/// One HTTP header field.
struct header {
  std::string name;
  std::string value;
};

/// One HTTP exchange to make.
struct request {
  std::string method = "GET";  ///< GET, POST, PUT, DELETE (any token is sent as given)
  std::string url;             ///< absolute http:// or https:// URL
  std::vector<header> headers;
  std::string body;                          ///< sent when body_file is empty
  std::filesystem::path body_file;           ///< if set: the body streams from this file
  std::filesystem::path response_file;       ///< if set: the response body streams into this file
  std::chrono::milliseconds timeout{60000};  ///< the whole exchange, connection included
  std::chrono::milliseconds connect_timeout{10000};
  /// Aborts when no byte moves for this long once the request is under way: a stalled link, or
  /// a peer that takes this long to answer (connecting is bounded by connect_timeout).
  std::chrono::milliseconds low_speed_window{30000};
};

/// A complete HTTP response, whatever its status (4xx and 5xx included; redirects are not
/// followed, a 3xx is a response too).
struct response {
  long status = 0;
  std::vector<header> headers;  ///< those of the final response (not of a 100 Continue)
  std::string body;             ///< empty when response_file was set
  /// The first header with this name (case-insensitive), if any.
  std::optional<std::string> header_value(std::string_view name) const;
};

/// A transport failure: nothing (or not all) of an HTTP response was received. Also reported when
/// a body file cannot be read or the response file cannot be written, and for exchanges still
/// running when the client is destroyed. A response file then holds whatever had arrived.
struct transport_error {
  std::string message;
  bool timed_out = false;  ///< the timeout, the connect timeout or the low-speed window ran out
};

/// What an exchange ended with.
using result = std::variant<response, transport_error>;

/// Settings shared by every exchange of one client.
struct options {
  bool verify_tls = true;  ///< peer certificate and host name verification
  /// A PEM bundle trusted in addition to the system's CA directory (tests use their own CA).
  std::string ca_file;
  std::string proxy;                ///< "" = libcurl's environment defaults (http_proxy, ...)
  std::size_t max_connections = 8;  ///< per host; further exchanges wait for a free connection
};

/// An HTTP client owning one worker thread; safe to use from any number of threads at once.
class client {
 public:
  explicit client(options opts = {});
  /// Stops the worker; exchanges still pending or running end with a transport_error.
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Blocking call: safe from any thread (e.g. a CAF detached actor), many at once; never from
  /// a `done` callback of this client (std::logic_error).
  result perform(request r);
  /// Asynchronous call: `done` runs on the client's own thread once the exchange ends; it must
  /// not block for long (it holds up every other exchange of this client).
  void start(request r, std::function<void(result)> done);

 private:
  struct worker;
  std::unique_ptr<worker> worker_;
};

}  // namespace sbx::http::client
