// SPDX-License-Identifier: Apache-2.0
#include "http/router.hpp"

#include <catch2/catch.hpp>

using namespace sbx::http;

namespace {

router sample() {
  router r;
  auto noop = [](caf::event_based_actor*, const exchange_ptr&) {};
  r.add("GET", "/api/users", access::user, noop);
  r.add("POST", "/api/users", access::admin, noop);
  r.add("DELETE", "/api/users/{id}", access::admin, noop);
  r.add("POST", "/api/users/login", access::anyone, noop);
  r.add("*", "/api/system/health", access::anyone, noop);
  r.add("GET", "/api/boxes/{token:str}/status", access::anyone, noop);
  return r;
}

}  // namespace

TEST_CASE("router matches literal routes by method", "[unit][http]") {
  auto r = sample();
  auto m = r.find("GET", "/api/users");
  REQUIRE(m.found);
  CHECK(m.found->pattern == "/api/users");
  CHECK(m.found->who == access::user);
  CHECK(r.find("POST", "/api/users").found->who == access::admin);
}

TEST_CASE("router captures integer parameters and rejects non-integers", "[unit][http]") {
  auto r = sample();
  auto m = r.find("DELETE", "/api/users/42");
  REQUIRE(m.found);
  CHECK(m.params.id("id") == 42);
  CHECK_FALSE(r.find("DELETE", "/api/users/abc").found);
  CHECK_FALSE(r.find("DELETE", "/api/users/-1").found);
  CHECK_FALSE(r.find("DELETE", "/api/users/99999999999999999999").found);
  CHECK(r.find("DELETE", "/api/users/9223372036854775807").found);
}

TEST_CASE("router captures string parameters", "[unit][http]") {
  auto r = sample();
  auto m = r.find("GET", "/api/boxes/abc-123/status");
  REQUIRE(m.found);
  CHECK(m.params.text("token") == "abc-123");
}

TEST_CASE("router reports the allowed methods of a known path", "[unit][http]") {
  auto r = sample();
  auto m = r.find("PUT", "/api/users");
  CHECK_FALSE(m.found);
  CHECK(m.allowed == std::vector<std::string>{"GET", "POST"});
  auto unknown = r.find("GET", "/api/nothing");
  CHECK_FALSE(unknown.found);
  CHECK(unknown.allowed.empty());
}

TEST_CASE("router accepts any method on star routes", "[unit][http]") {
  auto r = sample();
  CHECK(r.find("DELETE", "/api/system/health").found);
  CHECK(r.find("PATCH", "/api/system/health").found);
}

TEST_CASE("router accepts one trailing slash on collection roots only", "[unit][http]") {
  auto r = sample();
  CHECK(r.find("GET", "/api/users/").found);
  CHECK_FALSE(r.find("DELETE", "/api/users/42/").found);
  CHECK_FALSE(r.find("GET", "/api/users//").found);
}

TEST_CASE("router never resolves dot segments or encoded slashes", "[unit][http]") {
  auto r = sample();
  CHECK_FALSE(r.find("GET", "/api/users/../users").found);
  CHECK_FALSE(r.find("GET", "/api/system/../users").found);
  CHECK_FALSE(r.find("GET", "/api%2Fusers").found);
  CHECK_FALSE(r.find("GET", "/api/./users").found);
}

TEST_CASE("router refuses malformed templates", "[unit][http]") {
  router r;
  auto noop = [](caf::event_based_actor*, const exchange_ptr&) {};
  CHECK_THROWS_AS(r.add("GET", "/api//x", access::user, noop), std::invalid_argument);
  CHECK_THROWS_AS(r.add("GET", "/api/{id:float}", access::user, noop), std::invalid_argument);
  CHECK_THROWS_AS(r.add("GET", "/api/{id", access::user, noop), std::invalid_argument);
}
