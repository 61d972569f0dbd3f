// SPDX-License-Identifier: Apache-2.0
#include "http/client/client.hpp"

#include <catch2/catch.hpp>

#include "support/scripted_http_server.hpp"

namespace client = sbx::http::client;
using sbx::test::scripted_http_server;
using sbx::test::scripted_reply;
using sbx::test::server_request;

namespace {

// Answers with the request's method, target and body; echoes header X-Echo back as X-Echoed.
scripted_reply echo(const server_request& req) {
  scripted_reply reply;
  reply.headers.emplace_back("X-Echoed", std::string(req["X-Echo"]));
  reply.body =
      std::string(req.method_string()) + " " + std::string(req.target()) + "\n" + req.body();
  return reply;
}

client::request make_request(std::string method, std::string url, std::string body = {}) {
  client::request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

const client::response& as_response(const client::result& r) {
  if (const auto* error = std::get_if<client::transport_error>(&r)) FAIL(error->message);
  return std::get<client::response>(r);
}

}  // namespace

TEST_CASE("GET and POST reach a local server and their responses come back",
          "[unit][http_client]") {
  scripted_http_server server(echo);
  client::client http;

  auto request = make_request("GET", server.url("/ping?x=1"));
  request.headers.push_back({"X-Echo", "hello"});
  const auto got = http.perform(request);
  const auto& get = as_response(got);
  CHECK(get.status == 200);
  CHECK(get.body == "GET /ping?x=1\n");
  CHECK(get.header_value("x-echoed") == "hello");

  const auto posted = http.perform(make_request("POST", server.url("/in"), "payload"));
  CHECK(as_response(posted).body == "POST /in\npayload");
}
