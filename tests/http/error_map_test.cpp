// SPDX-License-Identifier: Apache-2.0
#include "http/error_map.hpp"

#include <caf/sec.hpp>
#include <catch2/catch.hpp>

using namespace sbx;

TEST_CASE("error codes map to Slicebox's statuses", "[unit][http]") {
  using proto::errc;
  CHECK(http::status_of(errc::bad_request) == 400);
  CHECK(http::status_of(errc::unauthorized) == 401);
  CHECK(http::status_of(errc::forbidden) == 403);
  CHECK(http::status_of(errc::not_found) == 404);
  CHECK(http::status_of(errc::bad_gateway) == 502);
  CHECK(http::status_of(errc::unavailable) == 503);
  CHECK(http::status_of(errc::internal) == 500);
}

TEST_CASE("a service error keeps its message as a plain-text body", "[unit][http]") {
  auto r = http::error_response(
      proto::make_error(proto::errc::bad_request, "Superusers may not be added"));
  CHECK(r.status == 400);
  CHECK(r.body == "Superusers may not be added");
  CHECK(r.content_type == "text/plain; charset=UTF-8");
}

TEST_CASE("internal errors and foreign errors reveal nothing", "[unit][http]") {
  auto internal = http::error_response(proto::make_error(proto::errc::internal, "SQL: table x"));
  CHECK(internal.status == 500);
  CHECK(internal.body == "There was an internal server error.");
  auto foreign = http::error_response(caf::make_error(caf::sec::unexpected_message));
  CHECK(foreign.status == 500);
  CHECK(foreign.body == "There was an internal server error.");
  CHECK(http::error_response(caf::make_error(caf::sec::request_timeout)).status == 503);
}

TEST_CASE("a not-found error without a message gets the standard text", "[unit][http]") {
  auto r = http::error_response(proto::make_error(proto::errc::not_found, ""));
  CHECK(r.status == 404);
  CHECK(r.body == "The requested resource could not be found.");
}
