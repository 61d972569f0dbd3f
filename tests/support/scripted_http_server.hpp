// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

// A small HTTP/1.1 server (optionally over TLS) on 127.0.0.1 whose answers a test scripts:
// the peer of the outbound HTTP client's tests. One thread per connection, keep-alive honoured.
namespace sbx::test {

/// A request as the scripted server read it (the whole body in memory).
using server_request = boost::beast::http::request<boost::beast::http::string_body>;

/// What the scripted server answers one request with.
struct scripted_reply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Waits this long (or until the server stops) before answering.
  std::chrono::milliseconds delay{0};
  /// Sends the header and only this many body bytes, then holds the connection open, silent,
  /// until the server stops.
  std::optional<std::size_t> stall_after;
};

/// Turns each request into its reply; runs on the connection's thread.
using reply_script = std::function<scripted_reply(const server_request&)>;

/// The certificate chain and private key (PEM files) a TLS server presents.
struct tls_identity {
  std::filesystem::path certificate_chain;
  std::filesystem::path private_key;
};

/// Listens on an ephemeral port of 127.0.0.1 until destroyed.
class scripted_http_server {
 public:
  explicit scripted_http_server(reply_script script, std::optional<tls_identity> tls = {});
  ~scripted_http_server();
  scripted_http_server(const scripted_http_server&) = delete;
  scripted_http_server& operator=(const scripted_http_server&) = delete;

  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:<port><target>" (https with TLS).
  std::string url(std::string_view target) const;
  /// Connections accepted so far.
  std::size_t connections() const { return connections_; }
  /// Requests answered (or being answered) so far.
  std::size_t requests() const { return requests_; }

 private:
  struct state;
  void accept_loop();
  template <class Stream>
  void exchange_loop(Stream& stream);
  /// Waits until the server stops or `d` has passed; true if it stopped.
  bool wait_stopping(std::chrono::milliseconds d);

  reply_script script_;
  std::optional<tls_identity> tls_;
  std::shared_ptr<state> state_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  bool stopping_ = false;           // guarded by mutex_
  std::vector<int> open_sockets_;   // guarded by mutex_
  std::list<std::thread> threads_;  // guarded by mutex_
  std::thread acceptor_thread_;
};

}  // namespace sbx::test
