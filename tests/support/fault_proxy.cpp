// SPDX-License-Identifier: Apache-2.0
#include "support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <list>
#include <stdexcept>
#include <vector>

#include "support/loopback.hpp"

namespace sbx::test {
namespace {

// Closes with an RST instead of a FIN: the peer sees "connection reset".
void reset_close(int fd) {
  if (fd < 0) return;
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  ::close(fd);
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

// One relayed connection: what each side sent that the other has not taken yet.
struct fault_proxy::relay {
  int client = -1;
  int server = -1;
  std::string to_server;
  std::string to_client;
  bool client_eof = false;
  bool server_eof = false;
  bool server_shut = false;  // our write side towards the server is shut down
  bool client_shut = false;
  std::size_t up = 0;  // bytes client -> server since the current fault began
  std::size_t down = 0;
  bool reset_when_flushed = false;
  bool done = false;
  unsigned generation = 0;

  void close_both(bool reset) {
    if (reset) {
      reset_close(client);
      reset_close(server);
    } else {
      ::close(client);
      ::close(server);
    }
    client = server = -1;
    done = true;
  }
};

fault_proxy::fault_proxy(std::uint16_t target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (listener_ < 0 ||
      ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 128) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
    if (listener_ >= 0) ::close(listener_);
    throw std::runtime_error("fault_proxy: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

fault_proxy::~fault_proxy() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const char byte = 0;
  [[maybe_unused]] auto n = ::write(wake_[1], &byte, 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string fault_proxy::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

void fault_proxy::heal() { set(fault::none, 0); }
void fault_proxy::refuse() { set(fault::refuse, 0); }
void fault_proxy::reset_upload_after(std::size_t bytes) { set(fault::reset_upload, bytes); }
void fault_proxy::reset_download_after(std::size_t bytes) { set(fault::reset_download, bytes); }
void fault_proxy::stall() { set(fault::stall, 0); }

void fault_proxy::set(fault f, std::size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    fault_ = f;
    limit_ = bytes;
    ++generation_;
  }
  const char byte = 0;
  [[maybe_unused]] auto n = ::write(wake_[1], &byte, 1);
}

void fault_proxy::run() {
  std::list<relay> relays;
  std::vector<pollfd> fds;
  char chunk[65536];
  for (;;) {
    fault current;
    std::size_t limit;
    unsigned generation;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      current = fault_;
      limit = limit_;
      generation = generation_;
    }
    for (auto& r : relays) {
      if (r.generation == generation) continue;
      r.generation = generation;
      r.up = r.down = 0;
      if (current == fault::refuse) {
        r.close_both(true);
        ++resets_;
      }
    }
    relays.remove_if([](const relay& r) { return r.done; });

    // Poll order: the wake pipe, the listener, then each relay's client and server.
    fds.assign({{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}});
    for (const auto& r : relays) {
      short client_events = 0;
      short server_events = 0;
      if (current != fault::stall) {
        if (!r.client_eof && r.to_server.empty() && !r.reset_when_flushed) client_events |= POLLIN;
        if (!r.server_eof && r.to_client.empty() && !r.reset_when_flushed) server_events |= POLLIN;
        if (!r.to_client.empty()) client_events |= POLLOUT;
        if (!r.to_server.empty()) server_events |= POLLOUT;
      }
      fds.push_back({r.client, client_events, 0});
      fds.push_back({r.server, server_events, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) {
      while (::read(wake_[0], chunk, sizeof chunk) > 0) {
      }
      // The fault may have changed: take it up before touching any data (poll is level-triggered,
      // so nothing that is ready now is lost).
      continue;
    }

    std::size_t i = 2;
    for (auto& r : relays) {
      const auto client_revents = fds[i++].revents;
      const auto server_revents = fds[i++].revents;
      if ((client_revents | server_revents) & POLLERR) {
        r.close_both(true);
        continue;
      }
      if (current == fault::stall) {
        // Nothing is polled for but a hang-up, reported until the connection goes.
        if ((client_revents | server_revents) & POLLHUP) r.close_both(true);
        continue;
      }

      // Moves what one side sent towards the other; false when the relay failed.
      auto pump = [&](int from, std::string& buffer, bool& eof, std::size_t& count, bool limited) {
        const auto n = ::recv(from, chunk, sizeof chunk, 0);
        if (n == 0) eof = true;
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
        auto take = static_cast<std::size_t>(n);
        if (limited && count + take > limit) {
          take = limit - std::min(limit, count);
          r.reset_when_flushed = true;
        }
        count += take;
        buffer.append(chunk, take);
        return true;
      };
      auto flush = [&](int to, std::string& buffer) {
        const auto n = ::send(to, buffer.data(), buffer.size(), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
        buffer.erase(0, static_cast<std::size_t>(n));
        return true;
      };
      bool ok = true;
      if (client_revents & (POLLIN | POLLHUP))
        ok = pump(r.client, r.to_server, r.client_eof, r.up, current == fault::reset_upload);
      if (ok && (server_revents & (POLLIN | POLLHUP)))
        ok = pump(r.server, r.to_client, r.server_eof, r.down, current == fault::reset_download);
      if (ok && !r.to_server.empty()) ok = flush(r.server, r.to_server);
      if (ok && !r.to_client.empty()) ok = flush(r.client, r.to_client);
      if (!ok) {
        r.close_both(true);
        continue;
      }
      if (r.reset_when_flushed && r.to_server.empty() && r.to_client.empty()) {
        r.close_both(true);
        ++resets_;
        continue;
      }
      // A side that finished sending is passed on as a half-close once its data is delivered.
      if (r.client_eof && r.to_server.empty() && !r.server_shut) {
        ::shutdown(r.server, SHUT_WR);
        r.server_shut = true;
      }
      if (r.server_eof && r.to_client.empty() && !r.client_shut) {
        ::shutdown(r.client, SHUT_WR);
        r.client_shut = true;
      }
      if (r.server_shut && r.client_shut) r.close_both(false);
    }

    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) break;
        ++connections_;
        if (current == fault::refuse) {
          reset_close(client);
          ++resets_;
          continue;
        }
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto target = loopback(target_port_);
        if (server < 0 ||
            ::connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
          reset_close(server);
          reset_close(client);
          continue;
        }
        set_nonblocking(client);
        set_nonblocking(server);
        relays.push_back({});
        relays.back().client = client;
        relays.back().server = server;
        relays.back().generation = generation;
      }
    }
  }
  for (auto& r : relays)
    if (!r.done) r.close_both(true);
}

}  // namespace sbx::test
