// SPDX-License-Identifier: Apache-2.0
#include "support/fault_proxy.hpp"

#include <catch2/catch.hpp>

#include "http_client/exchanges.hpp"
#include "support/dicom_tools.hpp"  // eventually
#include "support/scratch_files.hpp"
#include "support/scripted_http_server.hpp"

using namespace sbx::test;

namespace {

constexpr std::size_t big = 2 * 1024 * 1024;

// Serves /big with `big` bytes; mirrors everything else.
scripted_reply big_or_mirror(const server_request& req) {
  if (req.target() != "/big") return mirror(req);
  scripted_reply reply;
  reply.body = random_bytes(big, 7);
  return reply;
}

// A request with short deadlines: a fault must surface in about a second.
client::request quick(std::string method, std::string url, std::string body = {}) {
  auto r = make_request(std::move(method), std::move(url), std::move(body));
  r.connect_timeout = std::chrono::seconds{2};
  r.low_speed_window = std::chrono::seconds{1};
  r.timeout = std::chrono::seconds{20};
  return r;
}

}  // namespace

TEST_CASE("The fault proxy relays uploads and downloads", "[unit][http_client][fault_proxy]") {
  scripted_http_server server(big_or_mirror);
  fault_proxy proxy(server.port());
  client::client http;
  const auto payload = random_bytes(big, 3);
  const auto up = http.perform(quick("POST", proxy.url("/up"), payload));
  CHECK(as_response(up).body == payload);
  const auto down = http.perform(quick("GET", proxy.url("/big")));
  CHECK(as_response(down).body == random_bytes(big, 7));
  CHECK(proxy.connections() >= 1);
  CHECK(proxy.resets() == 0);
}

TEST_CASE("The fault proxy refuses connections until healed", "[unit][http_client][fault_proxy]") {
  scripted_http_server server(mirror);
  fault_proxy proxy(server.port());
  client::client http;
  REQUIRE(as_response(http.perform(quick("GET", proxy.url("/before")))).status == 200);

  proxy.refuse();
  // The connection kept alive from the first exchange is cut as well as every new one.
  for (int i = 0; i < 3; ++i) {
    const auto r = http.perform(quick("GET", proxy.url("/refused")));
    CHECK_FALSE(as_error(r).timed_out);
  }
  CHECK(proxy.resets() >= 3);
  CHECK(server.requests() == 1);

  proxy.heal();
  CHECK(as_response(http.perform(quick("PUT", proxy.url("/after"), "ok"))).body == "ok");
}

TEST_CASE("The fault proxy resets uploads past a byte count", "[unit][http_client][fault_proxy]") {
  scripted_http_server server(mirror);
  fault_proxy proxy(server.port());
  client::client http;
  scratch_dir dir;
  write_bytes(dir / "image.bin", random_bytes(big, 5));

  proxy.reset_upload_after(100 * 1024);
  auto upload = quick("POST", proxy.url("/upload"));
  upload.body_file = dir / "image.bin";
  CHECK_FALSE(as_error(http.perform(upload)).timed_out);
  CHECK(proxy.resets() == 1);
  // Small exchanges still pass: only uploads past the limit are cut.
  CHECK(as_response(http.perform(quick("POST", proxy.url("/small"), "tiny"))).body == "tiny");

  proxy.heal();
  upload.response_file = dir / "echo.bin";
  CHECK(as_response(http.perform(upload)).status == 200);
  CHECK(read_bytes(dir / "echo.bin") == random_bytes(big, 5));
}

TEST_CASE("The fault proxy resets downloads past a byte count",
          "[unit][http_client][fault_proxy]") {
  scripted_http_server server(big_or_mirror);
  fault_proxy proxy(server.port());
  client::client http;
  scratch_dir dir;

  proxy.reset_download_after(64 * 1024);
  auto download = quick("GET", proxy.url("/big"));
  download.response_file = dir / "big.bin";
  CHECK_FALSE(as_error(http.perform(download)).timed_out);
  CHECK(std::filesystem::file_size(dir / "big.bin") < big);
  CHECK(proxy.resets() == 1);

  proxy.heal();
  CHECK(as_response(http.perform(download)).status == 200);
  CHECK(read_bytes(dir / "big.bin") == random_bytes(big, 7));
}

TEST_CASE("The fault proxy stalls a link, which heals", "[unit][http_client][fault_proxy]") {
  scripted_http_server server(big_or_mirror);
  fault_proxy proxy(server.port());
  client::client http;

  proxy.stall();
  const auto stalled = http.perform(quick("GET", proxy.url("/big")));
  CHECK(as_error(stalled).timed_out);
  CHECK(server.requests() == 0);

  // An exchange caught in a stall completes once the link heals, before its deadline.
  result_collector collected;
  const auto accepted = proxy.connections();
  http.start(quick("POST", proxy.url("/held"), "held"), collected.slot(0));
  REQUIRE(eventually([&] { return proxy.connections() > accepted; }));
  CHECK_FALSE(collected.await(1, std::chrono::milliseconds{100}));
  proxy.heal();
  REQUIRE(collected.await(1));
  CHECK(as_response(collected.results().at(0)).body == "held");
}
