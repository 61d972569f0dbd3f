// SPDX-License-Identifier: Apache-2.0
#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <limits>

namespace sbx::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// A socket to 127.0.0.1:port whose operations each run until they complete or a time passes;
/// then the socket is closed and `no_answer` thrown.
class timed_socket {
 public:
  timed_socket(std::uint16_t port, std::chrono::milliseconds deadline)
      : port_(port), deadline_(deadline), socket_(ioc_) {}

  tcp::socket& socket() { return socket_; }

  /// Runs the operation `initiate` starts (it is given the completion handler) until `until`;
  /// its error and byte count.
  template <class Initiate>
  std::pair<beast::error_code, std::size_t> run(Initiate&& initiate, steady::time_point until,
                                                const std::string& what) {
    std::optional<std::pair<beast::error_code, std::size_t>> result;
    initiate([&result](beast::error_code ec, std::size_t n) { result.emplace(ec, n); });
    ioc_.restart();
    ioc_.run_until(until);
    if (!result) {
      beast::error_code ignored;
      socket_.close(ignored);  // cancels the operation; let its handler run before leaving
      ioc_.restart();
      ioc_.run();
      throw no_answer("no answer from the node at 127.0.0.1:" + std::to_string(port_) + " to " +
                      what + " within " + std::to_string(deadline_.count()) + " ms" +
                      (deadline_ == default_deadline()
                           ? " (the environment's SBX_TEST_HTTP_TIMEOUT sets it in seconds)"
                           : ""));
    }
    return *result;
  }

  /// As run(), throwing the operation's error.
  template <class Initiate>
  std::size_t run_or_throw(Initiate&& initiate, steady::time_point until, const std::string& what) {
    auto [ec, n] = run(std::forward<Initiate>(initiate), until, what);
    if (ec) throw beast::system_error(ec, what);
    return n;
  }

  void connect(steady::time_point until) {
    const tcp::endpoint to{net::ip::make_address("127.0.0.1"), port_};
    run_or_throw(
        [&](auto handler) {
          socket_.async_connect(
              to, [h = std::move(handler)](beast::error_code ec) mutable { h(ec, 0); });
        },
        until, "a connection");
  }

 private:
  std::uint16_t port_;
  std::chrono::milliseconds deadline_;
  net::io_context ioc_;
  tcp::socket socket_;
};

}  // namespace

std::chrono::milliseconds default_deadline() {
  static const std::chrono::milliseconds deadline = [] {
    const char* seconds = std::getenv("SBX_TEST_HTTP_TIMEOUT");
    const long parsed = seconds != nullptr ? std::atol(seconds) : 0;
    return std::chrono::milliseconds(std::chrono::seconds(parsed > 0 ? parsed : 60));
  }();
  return deadline;
}

std::optional<std::string> client_response::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return std::nullopt;
}

client_response http_client::request(const std::string& method, const std::string& target,
                                     const std::string& body, const header_list& headers) const {
  const auto until = steady::now() + deadline_;
  const auto what = method + " " + target;
  timed_socket s{port_, deadline_};
  s.connect(until);
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (method != "GET" && method != "HEAD" && method != "DELETE")
    req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  s.run_or_throw([&](auto handler) { bhttp::async_write(s.socket(), req, std::move(handler)); },
                 until, what);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  s.run_or_throw(
      [&](auto handler) { bhttp::async_read(s.socket(), buffer, parser, std::move(handler)); },
      until, what);
  auto res = parser.release();
  client_response out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res)
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  beast::error_code ec;
  s.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string http_client::raw(const std::string& bytes) const {
  tcp_connection c{port_, deadline_};
  c.write(bytes);
  return c.read_to_close();
}

struct tcp_connection::state {
  state(std::uint16_t port, std::chrono::milliseconds deadline)
      : deadline(deadline), socket(port, deadline) {}
  steady::time_point until() const { return steady::now() + deadline; }

  std::chrono::milliseconds deadline;
  timed_socket socket;
  std::string received;  // read past what read_until returned
};

tcp_connection::tcp_connection(std::uint16_t port, std::chrono::milliseconds deadline)
    : state_(std::make_unique<state>(port, deadline)) {
  state_->socket.connect(state_->until());
}

tcp_connection::~tcp_connection() = default;

void tcp_connection::write(std::string_view bytes) {
  auto& s = state_->socket;
  s.run_or_throw(
      [&](auto handler) {
        net::async_write(s.socket(), net::buffer(bytes.data(), bytes.size()), std::move(handler));
      },
      state_->until(), "a write of " + std::to_string(bytes.size()) + " bytes");
}

std::string tcp_connection::read_until(const std::string& delimiter) {
  auto& s = state_->socket;
  const auto n = s.run_or_throw(
      [&](auto handler) {
        net::async_read_until(s.socket(), net::dynamic_buffer(state_->received), delimiter,
                              std::move(handler));
      },
      state_->until(), "a read up to \"" + delimiter + "\"");
  auto out = state_->received.substr(0, n);
  state_->received.erase(0, n);
  return out;
}

std::string tcp_connection::read_to_close() {
  auto& s = state_->socket;
  // Any error ends the stream: the end of file, or a reset by a peer that closed early.
  s.run(
      [&](auto handler) {
        net::async_read(s.socket(), net::dynamic_buffer(state_->received), std::move(handler));
      },
      state_->until(), "a read until the connection closes");
  return std::exchange(state_->received, {});
}

void tcp_connection::shutdown_send() {
  beast::error_code ec;
  state_->socket.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) throw beast::system_error(ec, "shutdown");
}

void tcp_connection::close() {
  beast::error_code ignored;
  state_->socket.socket().close(ignored);
}

std::pair<std::string, std::string> basic_auth(const std::string& user, const std::string& pass) {
  auto plain = user + ":" + pass;
  std::string encoded(beast::detail::base64::encoded_size(plain.size()), '\0');
  encoded.resize(beast::detail::base64::encode(encoded.data(), plain.data(), plain.size()));
  return {"Authorization", "Basic " + encoded};
}

bool healthy(const http_client& client) {
  try {
    return client.request("GET", "/api/system/health").status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

client_response as_admin(const http_client& client, const std::string& method,
                         const std::string& target, const std::string& body,
                         const std::string& type) {
  return client.request(method, target, body,
                        {basic_auth("admin", "admin"), {"Content-Type", type}});
}

std::string login_token(const http_client& client, const std::string& user, const std::string& pass,
                        const header_list& headers) {
  auto r = client.request("POST", "/api/users/login",
                          R"({"user":")" + user + R"(","pass":")" + pass + R"("})", headers);
  REQUIRE(r.status == 204);
  auto cookie = r.header("Set-Cookie");
  REQUIRE(cookie);
  auto start = cookie->find('=') + 1;
  return cookie->substr(start, cookie->find(';') - start);
}

}  // namespace sbx::test
