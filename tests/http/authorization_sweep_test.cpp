// SPDX-License-Identifier: Apache-2.0
// The authorization sweep (docs/api.md#authorization-sweep): every route of the node's own route
// table is called without credentials, as a USER, with a replayed session cookie and as a
// deleted user, so a route added later is swept without anyone listing it here.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "http/json_view.hpp"
#include "http/router.hpp"
#include "http/routes/routes.hpp"
#include "http/running_node.hpp"
#include "proto/error.hpp"

using namespace sbx::test;
using route_access = sbx::http::access;

namespace {

/// One route of the table, with its path template turned into a request target.
struct swept_route {
  std::string method;   ///< as in the table (`*` = any method)
  std::string pattern;  ///< the path template
  route_access who;
  std::string send_method;  ///< the method the sweep sends
  std::string target;       ///< the template with plausible path parameters
  std::string name() const { return method + " " + pattern; }
};

/// `{id}` parameters become an id, `{name:str}` parameters a word.
std::string instantiate(const std::string& pattern) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    auto close = pattern.find('}', i);
    auto inner = pattern.substr(i + 1, close - i - 1);
    out += inner.find(":str") != std::string::npos ? "sweep" : "1";
    i = close + 1;
  }
  return out;
}

/// The node's route table: app/node.cpp serves exactly what `make_api_routes` builds. The
/// handlers are never run from this copy; the sweep only reads methods, templates and access.
std::vector<swept_route> sweep() {
  static const auto table = sbx::http::make_api_routes(sbx::http::services{});
  std::vector<swept_route> routes;
  for (const auto* r : table->list())
    routes.push_back({r->method, r->pattern, r->who, r->method == "*" ? "GET" : r->method,
                      instantiate(r->pattern)});
  return routes;
}

/// The public routes docs/api.md#authentication names.
bool documented_public(const std::string& method, const std::string& pattern) {
  static const std::set<std::string> routes = {
      "* /api/system/health",
      "* /api/system/information",
      "POST /api/users/login",
      "GET /api/users/current",
  };
  return routes.count(method + " " + pattern) > 0 ||
         (method == "GET" && pattern.rfind("/api/dicom/dictionary/", 0) == 0) ||
         (method == "GET" && pattern == "/metrics");  // public unless metrics.token is set
}

/// The routes docs/api.md marks *admin*.
const std::set<std::string>& documented_admin_routes() {
  static const std::set<std::string> routes = {
      "POST /api/users",
      "DELETE /api/users/{id}",
      "POST /api/system/stop",
      "GET /api/anonymization/keys/export/csv",
      "POST /api/seriestypes",
      "PUT /api/seriestypes/{id}",
      "DELETE /api/seriestypes/{id}",
      "POST /api/seriestypes/rules",
      "DELETE /api/seriestypes/rules/{id}",
      "POST /api/seriestypes/rules/{id}/attributes",
      "DELETE /api/seriestypes/rules/{ruleId}/attributes/{attributeId}",
      "POST /api/filtering/filters",
      "DELETE /api/filtering/filters/{id}",
      "POST /api/filtering/filters/{id}/tagpaths",
      "DELETE /api/filtering/filters/{id}/tagpaths/{tagPathId}",
      "POST /api/filtering/associations",
      "DELETE /api/filtering/associations/{id}",
      "POST /api/scps",
      "DELETE /api/scps/{id}",
      "POST /api/scus",
      "DELETE /api/scus/{id}",
      "POST /api/directorywatches",
      "DELETE /api/directorywatches/{id}",
      "POST /api/boxes/createconnection",
      "POST /api/boxes/connect",
      "DELETE /api/boxes/{id}",
      "POST /api/forwarding/rules",
      "DELETE /api/forwarding/rules/{id}",
  };
  return routes;
}

bool documented_admin(const std::string& method, const std::string& pattern) {
  return documented_admin_routes().count(method + " " + pattern) > 0;
}

/// Whether a route needs credentials. Every access kind is decided here; a new kind of route
/// (a box token, say) makes this switch incomplete (-Wswitch) until the sweep covers it.
bool needs_credentials(route_access who) {
  switch (who) {
    case route_access::anyone:
    case route_access::box_token:  // the token in the path instead: see the public-route case
      return false;
    case route_access::user:
    case route_access::admin:
      return true;
  }
  FAIL("a route with an access kind the sweep does not know");
  return true;
}

client_response call(const running_node& n, const swept_route& r, const header_list& headers) {
  return n.client().request(r.send_method, r.target, "", headers);
}

const std::string agent = "sweep-agent/1.0";

/// Logs in from 127.0.0.1 with `agent`; the session token.
std::string login(const running_node& n, const std::string& user, const std::string& pass) {
  auto r = n.client().request("POST", "/api/users/login",
                              R"({"user":")" + user + R"(","pass":")" + pass + R"("})",
                              {{"User-Agent", agent}});
  REQUIRE(r.status == 204);
  auto cookie = r.header("Set-Cookie");
  REQUIRE(cookie);
  auto start = cookie->find('=') + 1;
  return cookie->substr(start, cookie->find(';') - start);
}

header_list session(const std::string& token, const std::string& user_agent = agent) {
  return {{"User-Agent", user_agent}, {"Cookie", "slicebox-session=" + token}};
}

std::int64_t add_user(const running_node& n, const std::string& name, const std::string& role) {
  auto r = n.admin("POST", "/api/users",
                   R"({"user":")" + name + R"(","role":")" + role + R"(","password":"pw"})");
  REQUIRE(r.status == 201);
  return id_of(r);
}

/// Every route that needs credentials is refused with 401 under `headers`, except
/// `GET /api/users/current`, which keeps its bare 404 without a session.
void check_all_refused(const running_node& n, const header_list& headers) {
  for (const auto& r : sweep()) {
    if (r.name() == "GET /api/users/current") {
      auto current = call(n, r, headers);
      CHECK(current.status == 404);
      CHECK(current.body == sbx::proto::bare_not_found_text);
      continue;
    }
    if (!needs_credentials(r.who)) continue;
    INFO(r.name());
    CHECK(call(n, r, headers).status == 401);
  }
}

}  // namespace

TEST_CASE("every route of the table declares the role docs/api.md gives it", "[http][authz]") {
  auto routes = sweep();
  REQUIRE(routes.size() > 50);
  std::size_t admin_routes = 0;
  for (const auto& r : routes) {
    INFO(r.name());
    CHECK((r.who == route_access::anyone) == documented_public(r.method, r.pattern));
    CHECK((r.who == route_access::admin) == documented_admin(r.method, r.pattern));
    admin_routes += r.who == route_access::admin;
  }
  // Each documented admin route is in the table (none renamed away from its decision).
  CHECK(admin_routes == documented_admin_routes().size());
}

TEMPLATE_TEST_CASE("without credentials every non-public route is 401", "[http][authz]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  check_all_refused(n, {});
  // Basic credentials of no user are no better than none, and neither is a wrong password (a
  // few routes only: each wrong password costs a full Argon2 verification).
  check_all_refused(n, {basic_auth("nobody", "wrong")});
  CHECK(n.as("admin", "wrong", "GET", "/api/users").status == 401);
  CHECK(n.as("admin", "wrong", "POST", "/api/system/stop").status == 401);
  // A cookie the node never issued neither.
  check_all_refused(n, session("0123456789abcdef"));

  // The public routes answer without credentials, and never with a server error.
  for (const auto& r : sweep()) {
    if (needs_credentials(r.who)) continue;
    INFO(r.name());
    if (r.who == route_access::box_token) {
      // A token no box has opens nothing, whatever credentials come with it.
      CHECK(call(n, r, {}).status == 401);
      CHECK(call(n, r, {basic_auth("admin", "admin")}).status == 401);
      continue;
    }
    auto answer = call(n, r, {});
    CHECK(answer.status != 401);
    CHECK(answer.status != 403);
    CHECK(answer.status < 500);
  }
}

TEMPLATE_TEST_CASE("a USER is 403 on every admin route and passes every user route",
                   "[http][authz]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  add_user(n, "bob", "USER");
  const header_list bob = {basic_auth("bob", "pw")};
  std::size_t admin_routes = 0, user_routes = 0;
  for (const auto& r : sweep()) {
    if (!needs_credentials(r.who)) continue;
    INFO(r.name());
    auto answer = call(n, r, bob);
    if (r.who == route_access::admin) {
      ++admin_routes;
      CHECK(answer.status == 403);
    } else {
      // The handler ran: whatever it made of the made-up id and the empty body, it was not a
      // refusal of the caller, and not a server error.
      ++user_routes;
      CHECK(answer.status != 401);
      CHECK(answer.status != 403);
      CHECK(answer.status < 500);
    }
  }
  CHECK(admin_routes > 0);
  CHECK(user_routes > 0);
}

TEMPLATE_TEST_CASE("a session cookie works only from the client that logged in", "[http][authz]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  add_user(n, "bob", "USER");
  auto token = login(n, "bob", "pw");
  CHECK(n.client().request("GET", "/api/users", "", session(token)).status == 200);
  CHECK(n.client().request("GET", "/api/users/current", "", session(token)).status == 200);

  // Another User-Agent, no User-Agent, another address (X-Forwarded-For names the client).
  check_all_refused(n, session(token, "other-agent/2.0"));
  check_all_refused(n, {{"Cookie", "slicebox-session=" + token}});
  auto elsewhere = session(token);
  elsewhere.emplace_back("X-Forwarded-For", "203.0.113.7");
  check_all_refused(n, elsewhere);

  // The replays did not spoil the session for its own client.
  CHECK(n.client().request("GET", "/api/users", "", session(token)).status == 200);
}

TEMPLATE_TEST_CASE("a deleted user's session and basic credentials stop working at once",
                   "[http][authz]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto carol = add_user(n, "carol", "ADMINISTRATOR");
  auto token = login(n, "carol", "pw");
  const header_list basic = {basic_auth("carol", "pw")};
  // Both work, and the password is now remembered as verified.
  REQUIRE(n.client().request("GET", "/api/scus", "", basic).status == 200);
  REQUIRE(n.client().request("GET", "/api/scus", "", session(token)).status == 200);

  REQUIRE(n.admin("DELETE", "/api/users/" + std::to_string(carol)).status == 204);

  check_all_refused(n, basic);
  check_all_refused(n, session(token));
}
