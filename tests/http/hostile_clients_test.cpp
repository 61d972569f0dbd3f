// SPDX-License-Identifier: Apache-2.0
// Clients that try to exhaust the node: bodies sent without credentials, slow or endless
// connections, too many connections or uploads, oversized or malformed input
// (docs/operations.md#limits).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "http/running_node.hpp"
#include "support/loopback.hpp"

using namespace sbx::test;
using namespace std::chrono_literals;

namespace {

/// What a client that keeps sending a body while it listens for an answer saw.
struct blasted {
  std::string answer;      ///< everything the node sent before it ended the connection
  std::uint64_t sent = 0;  ///< body bytes the node let through before it answered
};

/// Sends `head` and then up to `body_size` bytes of body on a non-blocking socket, stopping as
/// soon as the node answers, then reads the answer until the node ends the connection.
blasted send_body_until_answered(std::uint16_t port, const std::string& head,
                                 std::uint64_t body_size) {
  const auto deadline = std::chrono::steady_clock::now() + default_deadline();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  auto address = loopback(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  blasted out;
  std::string pending = head;
  const std::string chunk(64 * 1024, 'x');
  std::uint64_t body_left = body_size;
  bool answered = false;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (pending.empty() && body_left == 0 ? 0 : POLLOUT)), 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[4096];
      auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.answer.append(buffer, static_cast<std::size_t>(n));
      answered = true;
      continue;
    }
    if (answered || !(p.revents & POLLOUT)) continue;
    if (pending.empty()) {
      pending = chunk.substr(0, std::min<std::uint64_t>(chunk.size(), body_left));
      body_left -= pending.size();
      out.sent += pending.size();
    }
    auto n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n > 0) pending.erase(0, static_cast<std::size_t>(n));
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
  }
  ::close(fd);
  return out;
}

std::string upload_head(const std::string& target, std::uint64_t size,
                        const std::string& extra = {}) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n" +
         extra + "Content-Length: " + std::to_string(size) + "\r\n\r\n";
}

std::string authorization(const std::string& user, const std::string& pass) {
  auto [name, value] = basic_auth(user, pass);
  return name + ": " + value + "\r\n";
}

/// Bytes in files under `dir`.
std::uintmax_t bytes_under(const std::filesystem::path& dir) {
  std::uintmax_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

}  // namespace

TEST_CASE("a body without valid credentials is refused before any of it is stored",
          "[http][hostile]") {
  running_node n{sbx::persistence::backend::sqlite};
  REQUIRE(n.admin("POST", "/api/users", R"({"user":"bob","role":"USER","password":"pw"})").status ==
          201);
  const auto data = n.config().data_dir;
  const auto before = bytes_under(data);
  constexpr std::uint64_t fifty_mb = 50u << 20;

  SECTION("an upload without credentials is 401") {
    for (std::string target :
         {"/api/images", "/api/import/sessions/1/images", "/api/images/jpeg?studyid=1"}) {
      auto r = send_body_until_answered(n.port(), upload_head(target, fifty_mb), fifty_mb);
      INFO(target << " answered after " << r.sent << " body bytes");
      CHECK(r.answer.rfind("HTTP/1.1 401", 0) == 0);
      CHECK(r.answer.find("Connection: close") != std::string::npos);
      CHECK(n.temp_files() == 0);
    }
  }
  SECTION("an upload with a wrong password is 401") {
    auto r = send_body_until_answered(
        n.port(), upload_head("/api/images", fifty_mb, authorization("bob", "wrong")), fifty_mb);
    CHECK(r.answer.rfind("HTTP/1.1 401", 0) == 0);
  }
  SECTION("a user's body for an administrator's route is 403") {
    auto r = send_body_until_answered(
        n.port(), upload_head("/api/users", fifty_mb, authorization("bob", "pw")), fifty_mb);
    CHECK(r.answer.rfind("HTTP/1.1 403", 0) == 0);
  }
  SECTION("a body for an unknown route is 404, for a wrong method 405") {
    auto r = send_body_until_answered(
        n.port(), upload_head("/api/nothing", fifty_mb, authorization("bob", "pw")), fifty_mb);
    CHECK(r.answer.rfind("HTTP/1.1 404", 0) == 0);
    r = send_body_until_answered(
        n.port(), upload_head("/api/users/current", fifty_mb, authorization("bob", "pw")),
        fifty_mb);
    CHECK(r.answer.rfind("HTTP/1.1 405", 0) == 0);
  }
  // Nothing of the bodies reached the data folder (the database may have grown by a page).
  CHECK(n.temp_files() == 0);
  CHECK(bytes_under(data) < before + (1u << 20));
  // The node still serves, and a user's upload goes through.
  auto ok = send_body_until_answered(
      n.port(), upload_head("/api/images", 3, authorization("bob", "pw") + "Connection: close\r\n"),
      3);
  CHECK(ok.answer.rfind("HTTP/1.1 400", 0) == 0);  // three bytes are no DICOM file
}
