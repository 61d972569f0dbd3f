// SPDX-License-Identifier: Apache-2.0
#include "http/client/client.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http_client/exchanges.hpp"
#include "support/dicom_peers.hpp"  // free_port
#include "support/dicom_tools.hpp"  // eventually
#include "support/scratch_files.hpp"
#include "support/scripted_http_server.hpp"
#include "support/test_pki.hpp"

using namespace sbx::test;

TEST_CASE("GET, POST, PUT and DELETE carry their method, target, headers and body",
          "[unit][http_client]") {
  scripted_http_server server(mirror);
  client::client http;

  auto get = make_request("GET", server.url("/ping?x=1&y=%20"));
  get.headers.push_back({"X-Echo", "hello there"});
  const auto got = http.perform(get);
  const auto& response = as_response(got);
  CHECK(response.status == 200);
  CHECK(response.body.empty());
  CHECK(response.header_value("x-method") == "GET");
  CHECK(response.header_value("X-TARGET") == "/ping?x=1&y=%20");
  CHECK(response.header_value("x-echoed") == "hello there");
  CHECK(response.header_value("Content-Length") == "0");
  CHECK_FALSE(response.header_value("X-Absent"));

  for (const std::string method : {"POST", "PUT", "DELETE", "PATCH"}) {
    INFO(method);
    const auto r = http.perform(make_request(method, server.url("/things/1"), method + " body"));
    CHECK(as_response(r).header_value("X-Method") == method);
    CHECK(as_response(r).body == method + " body");
  }
  // Without a body: a POST says Content-Length 0 (the node's routes want a length), a DELETE
  // sends none.
  const auto empty_post = http.perform(make_request("POST", server.url("/empty")));
  CHECK(as_response(empty_post).header_value("X-Method") == "POST");
  CHECK(as_response(empty_post).body.empty());
  const auto deleted = http.perform(make_request("DELETE", server.url("/things/2")));
  CHECK(as_response(deleted).header_value("X-Method") == "DELETE");

  // Headers the caller sets replace libcurl's own.
  auto typed = make_request("POST", server.url("/typed"), "{}");
  typed.headers.push_back({"Content-Type", "application/json"});
  typed.headers.push_back({"User-Agent", "box-test"});
  scripted_http_server headers_seen([](const server_request& req) {
    scripted_reply reply;
    reply.body = std::string(req[boost::beast::http::field::content_type]) + "|" +
                 std::string(req[boost::beast::http::field::user_agent]);
    return reply;
  });
  typed.url = headers_seen.url("/typed");
  CHECK(as_response(http.perform(typed)).body == "application/json|box-test");
  CHECK(as_response(http.perform(make_request("PUT", headers_seen.url("/"), "x"))).body ==
        "|slicebox");
}

TEST_CASE("Error statuses are responses, with their headers and bodies", "[unit][http_client]") {
  scripted_http_server server([](const server_request& req) {
    scripted_reply reply;
    reply.status = static_cast<unsigned>(std::stoi(std::string(req.target()).substr(1)));
    if (reply.status != 204 && reply.status != 304)
      reply.body = "status " + std::to_string(reply.status);
    reply.headers.emplace_back("Retry-After", "7");
    return reply;
  });
  client::client http;
  for (long status : {201L, 204L, 400L, 401L, 404L, 413L, 500L, 502L, 503L}) {
    INFO(status);
    const auto r =
        http.perform(make_request("POST", server.url("/" + std::to_string(status)), "x"));
    const auto& response = as_response(r);
    CHECK(response.status == status);
    CHECK(response.header_value("retry-after") == "7");
    CHECK(response.body == (status == 204 ? "" : "status " + std::to_string(status)));
  }
}

TEST_CASE("Bodies of several MB stream from and into files", "[unit][http_client]") {
  scripted_http_server server(mirror);
  client::client http;
  scratch_dir dir;
  const auto payload = random_bytes(6 * 1024 * 1024 + 17);
  write_bytes(dir / "upload.bin", payload);

  SECTION("file to file") {
    auto r = make_request("POST", server.url("/upload"));
    r.body_file = dir / "upload.bin";
    r.response_file = dir / "download.bin";
    const auto result = http.perform(r);
    CHECK(as_response(result).status == 200);
    CHECK(as_response(result).body.empty());
    CHECK(as_response(result).header_value("X-Method") == "POST");
    CHECK(std::filesystem::file_size(dir / "download.bin") == payload.size());
    CHECK(read_bytes(dir / "download.bin") == payload);
  }
  SECTION("file to memory, with PUT") {
    auto r = make_request("PUT", server.url("/upload"));
    r.body_file = dir / "upload.bin";
    const auto result = http.perform(r);
    CHECK(as_response(result).header_value("X-Method") == "PUT");
    CHECK(as_response(result).body == payload);
  }
  SECTION("memory to file; an existing response file is replaced") {
    write_bytes(dir / "download.bin", std::string(10 * 1024 * 1024, 'x'));
    auto r = make_request("POST", server.url("/upload"), payload);
    r.response_file = dir / "download.bin";
    const auto result = http.perform(r);
    CHECK(as_response(result).status == 200);
    CHECK(read_bytes(dir / "download.bin") == payload);
  }
  SECTION("an empty body file") {
    write_bytes(dir / "empty.bin", "");
    auto r = make_request("POST", server.url("/upload"));
    r.body_file = dir / "empty.bin";
    CHECK(as_response(http.perform(r)).body.empty());
  }
}

TEST_CASE(
    "A body file that cannot be read or a response file that cannot be written fails "
    "the exchange",
    "[unit][http_client]") {
  scripted_http_server server(mirror);
  client::client http;
  scratch_dir dir;

  auto missing = make_request("POST", server.url("/upload"));
  missing.body_file = dir / "no-such-file.bin";
  const auto not_read = http.perform(missing);
  CHECK_THAT(as_error(not_read).message, Catch::Contains("no-such-file.bin"));
  CHECK_FALSE(as_error(not_read).timed_out);

  auto unwritable = make_request("POST", server.url("/upload"), "data");
  unwritable.response_file = dir / "no-such-folder" / "out.bin";
  CHECK_THAT(as_error(http.perform(unwritable)).message, Catch::Contains("out.bin"));
  CHECK(server.requests() == 0);
}

TEST_CASE("Many exchanges at once share a few reused connections", "[unit][http_client]") {
  scripted_http_server server(mirror);
  client::options opts;
  opts.max_connections = 4;
  client::client http(opts);

  SECTION("asynchronous") {
    constexpr int n = 300;
    result_collector collected;
    for (int i = 0; i < n; ++i)
      http.start(make_request("POST", server.url("/item/" + std::to_string(i)),
                              random_bytes(static_cast<std::size_t>(i) * 97, i)),
                 collected.slot(i));
    REQUIRE(collected.await(n));
    for (const auto& [i, result] : collected.results()) {
      INFO(i);
      CHECK(as_response(result).header_value("X-Target") == "/item/" + std::to_string(i));
      CHECK(as_response(result).body == random_bytes(static_cast<std::size_t>(i) * 97, i));
    }
  }
  SECTION("blocking, from many threads") {
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) {
          const auto body = std::to_string(t) + "/" + std::to_string(i);
          const auto r = http.perform(make_request("PUT", server.url("/"), body));
          const auto* response = std::get_if<client::response>(&r);
          if (response != nullptr && response->body == body) ++good;
        }
      });
    for (auto& t : threads) t.join();
    CHECK(good == 200);
  }
  CHECK(server.connections() <= 4);
  CHECK(server.requests() >= 200);
}

TEST_CASE("A refused connection is a transport error", "[unit][http_client]") {
  client::client http;
  const auto r =
      http.perform(make_request("GET", "http://127.0.0.1:" + std::to_string(free_port()) + "/x"));
  CHECK_FALSE(as_error(r).timed_out);
  CHECK_THAT(as_error(r).message, Catch::Contains("onnect"));

  CHECK_FALSE(as_error(http.perform(make_request("GET", "not a url"))).message.empty());
  CHECK_FALSE(as_error(http.perform(make_request("GET", "ftp://127.0.0.1/x"))).message.empty());
}

TEST_CASE("A peer too slow to answer ends in a timed-out transport error", "[unit][http_client]") {
  scripted_http_server server([](const server_request&) {
    scripted_reply reply;
    reply.delay = std::chrono::minutes{5};
    return reply;
  });
  client::client http;
  auto r = make_request("GET", server.url("/slow"));
  r.timeout = std::chrono::milliseconds{300};
  const auto start = std::chrono::steady_clock::now();
  const auto result = http.perform(r);
  CHECK(as_error(result).timed_out);
  CHECK(elapsed_ms(start) >= 250);
  CHECK(elapsed_ms(start) < 5000);
}

TEST_CASE("A peer that stalls mid-response ends in a timed-out transport error",
          "[unit][http_client]") {
  scripted_http_server server([](const server_request&) {
    scripted_reply reply;
    reply.body = random_bytes(1024 * 1024);
    reply.stall_after = 1000;
    return reply;
  });
  client::client http;
  scratch_dir dir;
  auto r = make_request("GET", server.url("/stalls"));
  r.low_speed_window = std::chrono::seconds{1};
  r.response_file = dir / "partial.bin";
  const auto start = std::chrono::steady_clock::now();
  const auto result = http.perform(r);
  CHECK(as_error(result).timed_out);
  CHECK(elapsed_ms(start) >= 900);
  CHECK(elapsed_ms(start) < 10000);
  // What had arrived is in the file, for the caller to remove.
  CHECK(read_bytes(dir / "partial.bin") == random_bytes(1024 * 1024).substr(0, 1000));
}

TEST_CASE("Destroying the client ends the exchanges still running", "[unit][http_client]") {
  scripted_http_server server([](const server_request&) {
    scripted_reply reply;
    reply.delay = std::chrono::minutes{5};
    return reply;
  });
  result_collector collected;
  const auto start = std::chrono::steady_clock::now();
  {
    client::client http;
    for (int i = 0; i < 5; ++i) http.start(make_request("GET", server.url("/")), collected.slot(i));
    REQUIRE(eventually([&] { return server.requests() == 5; }));
    CHECK(collected.size() == 0);
  }
  CHECK(collected.size() == 5);
  for (const auto& [i, result] : collected.results()) {
    CHECK_FALSE(as_error(result).timed_out);
    CHECK_THAT(as_error(result).message, Catch::Contains("stopped"));
  }
  CHECK(elapsed_ms(start) < 20000);
}

TEST_CASE("A blocking call from a completion callback is refused", "[unit][http_client]") {
  scripted_http_server server(mirror);
  client::client http;
  result_collector collected;
  std::atomic<bool> refused{false};
  http.start(make_request("GET", server.url("/")), [&](client::result) {
    try {
      http.perform(make_request("GET", server.url("/")));
    } catch (const std::logic_error&) {
      refused = true;
    }
    collected.slot(0)(client::transport_error{});
  });
  REQUIRE(collected.await(1));
  CHECK(refused);
}

TEST_CASE("Requests go through the configured HTTP proxy", "[unit][http_client]") {
  // A forward proxy receives the absolute URL as the request target.
  scripted_http_server proxy(mirror);
  client::options opts;
  opts.proxy = proxy.url("");
  client::client http(opts);
  const auto r = http.perform(make_request("POST", "http://upstream.invalid:8080/api/x", "b"));
  CHECK(as_response(r).header_value("X-Target") == "http://upstream.invalid:8080/api/x");
  CHECK(as_response(r).body == "b");
}

TEST_CASE("TLS peers are verified against the trusted CAs", "[unit][http_client]") {
  scratch_dir dir;
  const auto pki = make_test_pki(dir.path());
  scripted_http_server server(mirror, tls_identity{pki.server_certificate, pki.server_key});
  REQUIRE(server.url("/").starts_with("https://"));

  SECTION("a client given the test CA trusts the server") {
    client::options opts;
    opts.ca_file = pki.ca_certificate.string();
    client::client http(opts);
    const auto r = http.perform(make_request("POST", server.url("/secure"), "over tls"));
    CHECK(as_response(r).body == "over tls");
  }
  SECTION("a client without it refuses the untrusted certificate") {
    client::client http;
    const auto r = http.perform(make_request("POST", server.url("/secure"), "secret"));
    CHECK_FALSE(as_error(r).timed_out);
    CHECK_THAT(as_error(r).message, Catch::Contains("certificate"));
    CHECK(server.requests() == 0);
  }
  SECTION("a client trusting only another CA refuses it") {
    std::filesystem::create_directories(dir / "other");
    const auto other = make_test_pki(dir / "other");
    client::options opts;
    opts.ca_file = other.ca_certificate.string();
    client::client http(opts);
    CHECK_FALSE(as_error(http.perform(make_request("GET", server.url("/")))).message.empty());
  }
  SECTION("verification can be switched off") {
    client::options opts;
    opts.verify_tls = false;
    client::client http(opts);
    CHECK(as_response(http.perform(make_request("GET", server.url("/")))).status == 200);
  }
}
