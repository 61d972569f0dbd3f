// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <utility>

#include "http/client/client.hpp"
#include "support/scripted_http_server.hpp"

// What the outbound HTTP client's tests share: requests, results and a mirroring peer.
namespace sbx::test {

namespace client = sbx::http::client;

inline client::request make_request(std::string method, std::string url, std::string body = {}) {
  client::request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

/// The response a result holds; fails the test with the transport error otherwise.
inline const client::response& as_response(const client::result& r) {
  if (const auto* error = std::get_if<client::transport_error>(&r)) FAIL(error->message);
  return std::get<client::response>(r);
}

/// The transport error a result holds; fails the test if a response came.
inline const client::transport_error& as_error(const client::result& r) {
  if (const auto* response = std::get_if<client::response>(&r))
    FAIL("expected a transport error, got HTTP " << response->status);
  return std::get<client::transport_error>(r);
}

/// Answers with the request's body; its method and target in X-Method and X-Target, header
/// X-Echo back as X-Echoed.
inline scripted_reply mirror(const server_request& req) {
  scripted_reply reply;
  reply.headers.emplace_back("X-Method", std::string(req.method_string()));
  reply.headers.emplace_back("X-Target", std::string(req.target()));
  reply.headers.emplace_back("X-Echoed", std::string(req["X-Echo"]));
  reply.body = req.body();
  return reply;
}

/// `size` pseudo-random bytes (a fixed seed per `seed`).
inline std::string random_bytes(std::size_t size, unsigned seed = 1) {
  std::mt19937 gen(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

/// Collects the results of asynchronous exchanges, keyed by the caller's number.
class result_collector {
 public:
  /// The `done` callback of exchange `key`.
  std::function<void(client::result)> slot(int key) {
    return [this, key](client::result r) {
      std::lock_guard lock(mutex_);
      results_.insert_or_assign(key, std::move(r));
      changed_.notify_all();
    };
  }
  /// Waits until `count` results are in or `timeout` passed; true if they are.
  bool await(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return results_.size() >= count; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return results_.size();
  }
  /// The results so far (read them once every exchange has ended).
  const std::map<int, client::result>& results() const { return results_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int, client::result> results_;
};

/// Milliseconds since `start`.
inline long long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace sbx::test
