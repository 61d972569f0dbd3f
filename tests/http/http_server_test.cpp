// SPDX-License-Identifier: Apache-2.0
// The HTTP front-end's own behaviour: keep-alive, 100-continue, limits, malformed input, routing
// rejections (docs/api.md#roles-and-rejections), graceful stop.
#include <catch2/catch.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "http/running_node.hpp"
#include "http/server.hpp"
#include "support/background.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

std::string auth_header() {
  auto [k, v] = basic_auth("admin", "admin");
  return k + ": " + v + "\r\n";
}

/// Sends the head of a user-creating POST with `Expect: 100-continue` and returns the first
/// interim answer; the caller sends `body` and reads the rest.
std::string post_user_head(tcp_connection& s, const std::string& body) {
  s.write("POST /api/users HTTP/1.1\r\nHost: x\r\n" + auth_header() +
          "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n");
  return s.read_until("\r\n\r\n");
}

int count_of(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("a connection serves several requests (keep-alive)", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite};
  std::string two =
      "GET /api/system/health HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/system/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto out = n.client().raw(two);
  CHECK(count_of(out, "HTTP/1.1 200 OK") == 2);
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite};
  tcp_connection s{n.port()};
  std::string body = R"({"user":"bob","role":"USER","password":"p"})";
  CHECK(post_user_head(s, body).rfind("HTTP/1.1 100 Continue", 0) == 0);
  s.write(body);
  s.shutdown_send();
  auto rest = s.read_to_close();
  CHECK(rest.find("201 Created") != std::string::npos);
}

TEST_CASE("bodies over the limit get 413 and nothing else happens", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite,
                 [](sbx::app::config& c) { c.http_max_body = 1024; }};
  std::string big(4096, 'x');
  auto r = n.client().request("POST", "/api/users", big, {basic_auth("admin", "admin")});
  CHECK(r.status == 413);
  // A chunked body without Content-Length is caught while it is read.
  std::string chunked = "POST /api/users HTTP/1.1\r\nHost: x\r\n" + auth_header() +
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked += "400\r\n" + std::string(1024, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  CHECK(n.client().raw(chunked).rfind("HTTP/1.1 413", 0) == 0);
  CHECK(n.admin("GET", "/api/users").status == 200);
}

TEST_CASE("malformed HTTP gets 400 and the node keeps serving", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite};
  CHECK(n.client().raw("THIS IS NOT HTTP\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(n.client()
            .raw("GET /api/system/health HTTP/1.1\r\nBad Header\r\n\r\n")
            .rfind("HTTP/1.1 400", 0) == 0);
  CHECK(n.client().request("GET", "/api/system/health").status == 200);
}

TEST_CASE("routing rejections follow Slicebox's order", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite};
  auto c = n.client();
  // 401 comes before 405 and 404.
  CHECK(c.request("PUT", "/api/users").status == 401);
  auto wrong_method = n.admin("PUT", "/api/users");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.body == "HTTP method not allowed, supported methods: GET, POST");
  CHECK(wrong_method.header("Allow").value_or("") == "GET, POST");
  CHECK(n.admin("GET", "/api/users/").status == 200);
  CHECK(n.admin("DELETE", "/api/users/abc").status == 404);
  CHECK(n.admin("GET", "/api/users/../log").status == 404);
  CHECK(n.admin("GET", "/api%2Fusers").status == 404);
  // Outside /api only the web interface's files are served (none here; docs/ui.md#serving).
  CHECK(c.request("GET", "/index.html").status == 404);
  CHECK(c.request("GET", "/etc/passwd").body.find("root:") == std::string::npos);
  CHECK(c.request("POST", "/etc/passwd").status == 404);
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite,
                 [](sbx::app::config& c) { c.http_idle_timeout = std::chrono::seconds{1}; }};
  // The read fails the test (no_answer) unless the server closes within 5 s.
  tcp_connection s{n.port(), std::chrono::seconds{5}};
  CHECK(s.read_to_close().empty());
}

TEST_CASE("many concurrent clients are all answered", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite};
  std::deque<background_task<int>> results;
  for (int i = 0; i < 16; ++i)
    results.emplace_back([&n] {
      int ok = 0;
      for (int j = 0; j < 25; ++j) ok += n.admin("GET", "/api/users").status == 200;
      return ok;
    });
  int ok = 0;
  for (auto& r : results) ok += r.get();
  CHECK(ok == 16 * 25);
}

TEST_CASE("stopping the node answers the requests in flight", "[http][server]") {
  running_node n{sbx::persistence::backend::sqlite};
  tcp_connection s{n.port()};
  std::string body = R"({"user":"late","role":"USER","password":"p"})";
  // The 100 Continue proves the request is being served when the stop begins.
  REQUIRE(post_user_head(s, body).rfind("HTTP/1.1 100 Continue", 0) == 0);
  auto stopped = in_background([&n] {
    n.node().request_stop();
    n.node().wait();
  });
  // If the test fails before the body is sent, closing ends the request the stop waits for.
  on_scope_exit close_first{[&s] { s.close(); }};
  s.write(body);
  auto rest = s.read_to_close();  // the server closes after answering
  CHECK(rest.find("201 Created") != std::string::npos);
  CHECK(rest.find("Connection: close") != std::string::npos);
  stopped.get();
}

TEST_CASE("a request the handler does not answer in time gets 503", "[http][server]") {
  sbx::http::server_options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.request_timeout = std::chrono::seconds{1};
  std::mutex mutex;
  std::vector<sbx::http::responder> held;
  sbx::http::http_server server{options, [&](sbx::http::http_request&&, sbx::http::responder r) {
                                  std::lock_guard lock{mutex};
                                  held.push_back(std::move(r));
                                }};
  server.start();
  auto r = http_client{server.port()}.request("GET", "/api/slow");
  CHECK(r.status == 503);
  // The late answer is dropped, not written onto the closed exchange.
  {
    std::lock_guard lock{mutex};
    REQUIRE(held.size() == 1);
    held.front()(sbx::http::text_response(200, "late"));
  }
  server.stop();
}

TEST_CASE("a file body may start at an offset, after bytes held in memory", "[http][server]") {
  const scratch_dir dir;
  const auto file = dir / "body.bin";
  std::ofstream(file, std::ios::binary) << "0123456789";
  sbx::http::server_options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  sbx::http::http_server server{options,
                                [&](sbx::http::http_request&& r, sbx::http::responder answer) {
                                  auto res = sbx::http::file_response(file.string());
                                  res.body = "head:";
                                  res.file_offset = r.target == "/api/past-end" ? 11 : 4;
                                  answer(std::move(res));
                                }};
  server.start();
  auto r = http_client{server.port()}.request("GET", "/api/part");
  CHECK(r.status == 200);
  CHECK(r.body == "head:456789");
  CHECK(r.header("Content-Length").value_or("") == "11");
  CHECK(http_client{server.port()}.request("GET", "/api/past-end").status == 404);
  CHECK(std::filesystem::exists(file));  // not temporary: kept
  server.stop();
}
