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
#include "support/eventually.hpp"
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

TEST_CASE("a header or body that trickles in is dropped without holding a worker",
          "[http][hostile]") {
  running_node n{sbx::persistence::backend::sqlite, [](sbx::app::config& c) {
                   c.http_threads = 1;
                   c.http_header_timeout = 3s;
                   c.http_read_timeout = 3s;
                 }};
  const std::string auth = authorization("admin", "admin");
  std::vector<std::unique_ptr<tcp_connection>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<tcp_connection>(n.port()));
    slow.back()->write("GET /api/system/health HTTP/1.1\r\nHo");
  }
  for (int i = 0; i < 4; ++i) {  // bodies that stop after 10 of their 1000 bytes
    slow.push_back(std::make_unique<tcp_connection>(n.port()));
    slow.back()->write(upload_head("/api/images", 1000, auth) + std::string(10, 'x'));
    slow.push_back(std::make_unique<tcp_connection>(n.port()));
    slow.back()->write(upload_head("/api/users", 1000, auth) + std::string(10, 'x'));
  }
  // The one I/O thread still serves everyone else, while the trickling connections are all
  // still open (their timeouts have not run out).
  const auto start = std::chrono::steady_clock::now();
  CHECK(n.client().request("GET", "/api/system/health").status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(n.admin("GET", "/api/users").status == 200);
  // And each trickling connection is closed by the node, with nothing answered.
  for (auto& c : slow) CHECK(c->read_to_close().empty());
  CHECK(eventually(10s, [&] { return n.temp_files() == 0; }));
}

TEST_CASE("connections over the limit are answered 503 with Retry-After", "[http][hostile]") {
  running_node n{sbx::persistence::backend::sqlite,
                 [](sbx::app::config& c) { c.http_max_connections = 3; }};
  std::vector<std::unique_ptr<tcp_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<tcp_connection>(n.port()));
    held.back()->write("GET /api/system/health HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(held.back()->read_until("\r\n\r\n").rfind("HTTP/1.1 200", 0) == 0);
  }
  auto refused = n.client().request("GET", "/api/system/health");
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "5");
  held.clear();
  CHECK(eventually(10s,
                   [&] { return n.client().request("GET", "/api/system/health").status == 200; }));
}

TEST_CASE("uploads over the limit are answered 503 with Retry-After before their body",
          "[http][hostile]") {
  running_node n{sbx::persistence::backend::sqlite,
                 [](sbx::app::config& c) { c.http_max_uploads = 1; }};
  const std::string auth = authorization("admin", "admin");
  tcp_connection first{n.port()};
  first.write(upload_head("/api/images", 20, auth + "Expect: 100-continue\r\n"));
  REQUIRE(first.read_until("\r\n\r\n").rfind("HTTP/1.1 100", 0) == 0);  // it holds the slot
  constexpr std::uint64_t big = 20u << 20;
  auto second = send_body_until_answered(n.port(), upload_head("/api/images", big, auth), big);
  CHECK(second.answer.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(second.answer.find("Retry-After: 5") != std::string::npos);
  // Other requests are not affected; the first upload finishes and frees its slot.
  CHECK(n.admin("GET", "/api/users").status == 200);
  first.write(std::string(20, 'x'));
  CHECK(first.read_until("\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);  // no DICOM file
  auto third = send_body_until_answered(
      n.port(), upload_head("/api/images", 3, auth + "Connection: close\r\n"), 3);
  CHECK(third.answer.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(n.temp_files() == 0);
}

TEMPLATE_TEST_CASE("hostile input gets a clear 4xx and the node keeps serving", "[http][hostile]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  const auto post = [&](const std::string& target, const std::string& body) {
    return n.client().request("POST", target, body,
                              {basic_auth("admin", "admin"), {"Content-Type", "application/json"}});
  };
  const auto get = [&](const std::string& target) { return n.admin("GET", target).status; };

  SECTION("JSON nested without end") {
    const std::string deep(200000, '[');
    for (std::string target : {"/api/users", "/api/images/delete", "/api/boxes/1/send",
                               "/api/filtering/filters/1/tagpaths"}) {
      auto r = post(target, deep);
      INFO(target << ": " << r.body);
      CHECK(r.status == 400);
      CHECK(r.body.find("nest deeper than 64") != std::string::npos);
    }
    auto objects = post("/api/users", std::string(100000, '{') + std::string(100000, '}'));
    CHECK(objects.status == 400);
    // The login route is public: before the limit, this body crashed the node (stack overflow).
    auto login = n.client().request("POST", "/api/users/login", deep,
                                    {{"Content-Type", "application/json"}});
    CHECK(login.status == 400);
  }
  SECTION("a JSON body over the limit is 413 before it is sent") {
    tcp_connection c{n.port()};
    c.write("POST /api/users HTTP/1.1\r\nHost: x\r\n" + authorization("admin", "admin") +
            "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n");
    CHECK(c.read_until("\r\n\r\n").rfind("HTTP/1.1 413", 0) == 0);
  }
  SECTION("paging out of range or not a number") {
    CHECK(get("/api/metadata/patients?count=1000000") == 200);
    CHECK(get("/api/metadata/patients?count=1000001") == 400);
    CHECK(get("/api/log?count=99999999999999999999") == 400);
    CHECK(get("/api/metadata/patients?count=-1") == 400);
    CHECK(get("/api/metadata/patients?startindex=-5") == 400);
    CHECK(get("/api/users?startindex=abc") == 400);
    CHECK(get("/api/metadata/flatseries?count=1e3") == 400);
  }
  SECTION("invalid UTF-8 and NUL characters") {
    CHECK(
        post("/api/users", "{\"user\":\"\xff\xfe\",\"role\":\"USER\",\"password\":\"p\"}").status ==
        400);
    CHECK(post("/api/users", R"({"user":"a\u0000b","role":"USER","password":"p"})").status == 400);
    CHECK(post("/api/import/sessions", "{\"name\":\"\xc3\x28\"}").status == 400);
    CHECK(get("/api/metadata/patients?filter=%FF") == 400);
    CHECK(get("/api/metadata/patients?filter=a%00b") == 400);
    CHECK(get("/api/log?subject=%C0%AF") == 400);  // an overlong encoding of '/'
    auto raw = n.client().raw(std::string("GET /api/system/health HTTP/1.1\r\nHost: x\r\nX: a") +
                              '\0' + "b\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);
    raw = n.client().raw(std::string("GET /api/sys\0tem/health HTTP/1.1\r\nHost: x\r\n\r\n", 45));
    CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);
  }
  SECTION("overlong paths and headers") {
    auto r = n.client().request("GET", "/api/" + std::string(10000, 'a'));
    CHECK(r.status == 414);
    r = n.client().request("GET", "/api/" + std::string(100000, 'a'));
    CHECK(r.status == 414);
    const std::string big(40000, 'b');
    auto raw = n.client().raw("GET /api/system/health HTTP/1.1\r\nHost: x\r\nX-A: " + big +
                              "\r\nX-B: " + big + "\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 431", 0) == 0);
    raw = n.client().raw("GET /api/system/health HTTP/1.1\r\nHost: x\r\nX-A: " +
                         std::string(300000, 'c') + "\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 431", 0) == 0);
    header_list many;
    for (int i = 0; i < 2000; ++i)
      many.emplace_back("X-H" + std::to_string(i), std::string(40, 'h'));
    CHECK(n.client().request("GET", "/api/system/health", {}, many).status == 431);
  }
  CHECK(n.admin("GET", "/api/users").status == 200);
}
