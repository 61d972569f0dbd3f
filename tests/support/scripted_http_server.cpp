// SPDX-License-Identifier: Apache-2.0
#include "support/scripted_http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <sstream>

namespace sbx::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct scripted_http_server::state {
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<ssl::context> tls{};
};

scripted_http_server::scripted_http_server(reply_script script, std::optional<tls_identity> tls)
    : script_(std::move(script)), tls_(std::move(tls)), state_(std::make_shared<state>()) {
  if (tls_) {
    auto& ctx = state_->tls.emplace(ssl::context::tls_server);
    ctx.use_certificate_chain_file(tls_->certificate_chain.string());
    ctx.use_private_key_file(tls_->private_key.string(), ssl::context::pem);
  }
  const tcp::endpoint local{net::ip::make_address("127.0.0.1"), 0};
  state_->acceptor.open(local.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(local);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

scripted_http_server::~scripted_http_server() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // shutdown(2) wakes the threads blocked in accept, read and write; each closes its socket.
    ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
    for (int fd : open_sockets_) ::shutdown(fd, SHUT_RDWR);
  }
  stopped_cv_.notify_all();
  acceptor_thread_.join();
  // No thread is added once the acceptor thread has ended.
  for (auto& t : threads_) t.join();
}

std::string scripted_http_server::url(std::string_view target) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
         std::string(target);
}

bool scripted_http_server::wait_stopping(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return stopped_cv_.wait_for(lock, d, [this] { return stopping_; });
}

void scripted_http_server::accept_loop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(state_->io);
    boost::system::error_code ec;
    state_->acceptor.accept(*socket, ec);
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (ec) continue;
    ++connections_;
    const int fd = socket->native_handle();
    open_sockets_.push_back(fd);
    threads_.emplace_back([this, socket, fd] {
      if (state_->tls) {
        ssl::stream<tcp::socket&> stream(*socket, *state_->tls);
        boost::system::error_code handshake_ec;
        stream.handshake(ssl::stream_base::server, handshake_ec);
        if (!handshake_ec) exchange_loop(stream);
      } else {
        exchange_loop(*socket);
      }
      std::lock_guard lock(mutex_);
      open_sockets_.erase(std::find(open_sockets_.begin(), open_sockets_.end(), fd));
      boost::system::error_code ignored;
      socket->close(ignored);
    });
  }
}

template <class Stream>
void scripted_http_server::exchange_loop(Stream& stream) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    bhttp::read_header(stream, buffer, parser, ec);
    if (ec) return;
    if (boost::beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      bhttp::write(stream, go_on, ec);
      if (ec) return;
    }
    bhttp::read(stream, buffer, parser, ec);
    if (ec) return;
    ++requests_;
    const auto request = parser.release();
    const auto reply = script_(request);
    if (reply.delay.count() > 0 && wait_stopping(reply.delay)) return;

    bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(reply.status), 11};
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.body() = reply.body;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    if (reply.stall_after) {
      std::ostringstream wire;
      wire << response;
      const auto text = wire.str();
      const auto head = text.find("\r\n\r\n") + 4;
      net::write(stream, net::buffer(text.data(), std::min(text.size(), head + *reply.stall_after)),
                 ec);
      wait_stopping(std::chrono::hours{1});
      return;
    }
    bhttp::write(stream, response, ec);
    if (ec || !response.keep_alive()) return;
  }
}

}  // namespace sbx::test
