// SPDX-License-Identifier: Apache-2.0
// Authentication and /api/users (docs/api.md#authentication, docs/api.md#users).
#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/eventually.hpp"

using namespace sbx::test;

namespace {

const std::string bob = R"({"user":"bob","role":"USER","password":"secret"})";
const std::string carol = R"({"user":"carol","role":"ADMINISTRATOR","password":"pw2"})";

header_list browser(const std::string& cookie = {}, const std::string& ua = "test-agent/1.0") {
  header_list h;
  if (!ua.empty()) h.emplace_back("User-Agent", ua);
  if (!cookie.empty()) h.emplace_back("Cookie", "slicebox-session=" + cookie);
  return h;
}

std::string login(const running_node& n, const std::string& user, const std::string& pass) {
  return login_token(n.client(), user, pass, browser());
}

}  // namespace

TEMPLATE_TEST_CASE("POST /users adds a user once and never returns a hash", "[http][users]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto r = n.admin("POST", "/api/users",
                   R"({"user":"name","role":"ADMINISTRATOR","password":"password"})");
  REQUIRE(r.status == 201);
  auto doc = parse_json(r.body);
  CHECK(doc["id"].GetInt64() > 0);
  CHECK(std::string(doc["user"].GetString()) == "name");
  CHECK(std::string(doc["role"].GetString()) == "ADMINISTRATOR");
  CHECK_FALSE(doc.HasMember("hashedPassword"));
  CHECK_FALSE(doc.HasMember("password"));

  // The same name again returns the existing user unchanged (role and password kept).
  auto again = n.admin("POST", "/api/users", R"({"user":"name","role":"USER","password":"other"})");
  REQUIRE(again.status == 201);
  CHECK(id_of(again) == doc["id"].GetInt64());
  CHECK(std::string(parse_json(again.body)["role"].GetString()) == "ADMINISTRATOR");
  CHECK(n.as("name", "password", "GET", "/api/users").status == 200);
  CHECK(n.as("name", "other", "GET", "/api/users").status == 401);

  auto list = n.admin("GET", "/api/users");
  REQUIRE(list.status == 200);
  CHECK(list.body.find("$argon2") == std::string::npos);
  CHECK(parse_json(list.body).Size() == 2);
}

TEMPLATE_TEST_CASE("POST /users refuses superusers, unknown roles and bad bodies", "[http][users]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto super = n.admin("POST", "/api/users", R"({"user":"x","role":"SUPERUSER","password":"p"})");
  CHECK(super.status == 400);
  CHECK(super.body == "Superusers may not be added");
  auto role = n.admin("POST", "/api/users", R"({"user":"x","role":"KING","password":"p"})");
  CHECK(role.status == 400);
  CHECK(role.body.rfind("The request content was malformed:\n", 0) == 0);
  CHECK(n.admin("POST", "/api/users", R"({"user":"x","role":"USER"})").status == 400);
  CHECK(n.admin("POST", "/api/users", R"({"user":"x",)").status == 400);
  CHECK(n.admin("POST", "/api/users", R"([1,2])").status == 400);
  auto empty = n.admin("POST", "/api/users", "");
  CHECK(empty.status == 400);
  CHECK(empty.body == "Request entity expected but not supplied");
  auto text = n.client().request("POST", "/api/users", bob,
                                 {basic_auth("admin", "admin"), {"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  CHECK(parse_json(n.admin("GET", "/api/users").body).Size() == 1);
}

TEMPLATE_TEST_CASE("DELETE /users/{id} protects the superuser and needs an admin", "[http][users]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto added = id_of(n.admin("POST", "/api/users", bob));
  CHECK(n.as("bob", "secret", "DELETE", "/api/users/1").status == 403);
  CHECK(n.admin("DELETE", "/api/users/" + std::to_string(added)).status == 204);
  CHECK(n.as("bob", "secret", "GET", "/api/users").status == 401);
  auto super = n.admin("DELETE", "/api/users/1");
  CHECK(super.status == 400);
  CHECK(super.body == "Superuser may not be deleted");
  CHECK(n.admin("DELETE", "/api/users/999").status == 204);
  CHECK(n.admin("GET", "/api/users").status == 200);
}

TEMPLATE_TEST_CASE("GET /users pages in id order", "[http][users]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  n.admin("POST", "/api/users", bob);
  n.admin("POST", "/api/users", carol);
  auto all = parse_json(n.as("bob", "secret", "GET", "/api/users").body);
  REQUIRE(all.Size() == 3);
  CHECK(std::string(all[0]["user"].GetString()) == "admin");
  CHECK(std::string(all[1]["user"].GetString()) == "bob");
  CHECK(std::string(all[2]["user"].GetString()) == "carol");
  auto page = parse_json(n.admin("GET", "/api/users?startindex=1&count=1").body);
  REQUIRE(page.Size() == 1);
  CHECK(std::string(page[0]["user"].GetString()) == "bob");
  auto bad = n.admin("GET", "/api/users?startindex=-1");
  CHECK(bad.status == 400);
  CHECK(bad.body == "The query parameter 'startindex' was malformed:\nnumber must be non-negative");
  CHECK(n.admin("GET", "/api/users?count=abc").status == 400);
}

TEMPLATE_TEST_CASE("requests without valid credentials get 401 without a challenge", "[http][auth]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto none = n.client().request("GET", "/api/some/url");
  CHECK(none.status == 401);
  CHECK_FALSE(none.header("WWW-Authenticate"));
  auto wrong = n.as("admin", "nope", "GET", "/api/some/url");
  CHECK(wrong.status == 401);
  CHECK(wrong.body == "The supplied authentication is invalid");
  CHECK(n.as("ghost", "x", "GET", "/api/users").status == 401);
  CHECK(n.client().request("GET", "/api/users", "", {{"Authorization", "Basic !!!"}}).status ==
        401);
  CHECK(n.client().request("GET", "/api/users", "", {{"Authorization", "Bearer abc"}}).status ==
        401);
  // Authenticated, an unknown path is 404.
  auto unknown = n.admin("GET", "/api/some/url");
  CHECK(unknown.status == 404);
  CHECK(unknown.body == "The requested resource could not be found.");
}

TEMPLATE_TEST_CASE("valid basic credentials win over a bad session cookie", "[http][auth]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto r = n.client().request("GET", "/api/users", "",
                              {basic_auth("admin", "admin"), {"Cookie", "slicebox-session=bogus"}});
  CHECK(r.status == 200);
}

TEMPLATE_TEST_CASE("login gives a session cookie bound to IP and user agent", "[http][auth]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto c = n.client();
  auto r = c.request("POST", "/api/users/login", R"({"user":"admin","pass":"admin"})", browser());
  REQUIRE(r.status == 204);
  auto set_cookie = r.header("Set-Cookie");
  REQUIRE(set_cookie);
  CHECK(set_cookie->find("Path=/api") != std::string::npos);
  CHECK(set_cookie->find("HttpOnly") != std::string::npos);
  auto token = login(n, "admin", "admin");
  CHECK(token.size() == 36);
  CHECK(token[8] == '-');

  auto wrong = c.request("POST", "/api/users/login", R"({"user":"admin","pass":"bad"})", browser());
  CHECK(wrong.status == 401);
  CHECK(wrong.body == "Invalid username or password");
  CHECK_FALSE(wrong.header("Set-Cookie"));
  // Without a User-Agent the session could not be bound.
  CHECK(c.request("POST", "/api/users/login", R"({"user":"admin","pass":"admin"})", browser({}, ""))
            .status == 401);

  auto current = c.request("GET", "/api/users/current", "", browser(token));
  REQUIRE(current.status == 200);
  auto info = parse_json(current.body);
  CHECK(std::string(info["user"].GetString()) == "admin");
  CHECK(std::string(info["role"].GetString()) == "SUPERUSER");
  CHECK(c.request("GET", "/api/users/current", "", browser()).status == 404);
  CHECK(c.request("GET", "/api/users", "", browser(token)).status == 200);
}

TEMPLATE_TEST_CASE("a second login from the same client reuses the session", "[http][auth]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  CHECK(login(n, "admin", "admin") == login(n, "admin", "admin"));
}

TEMPLATE_TEST_CASE("a session needs cookie, IP and user agent together", "[http][auth]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto token = login(n, "admin", "admin");
  auto c = n.client();
  CHECK(c.request("GET", "/api/users", "", browser(token)).status == 200);
  CHECK(c.request("GET", "/api/users", "", browser(token, "")).status == 401);
  CHECK(c.request("GET", "/api/users", "", browser(token, "another-agent")).status == 401);
  CHECK(c.request("GET", "/api/users", "", browser()).status == 401);
  auto forwarded = browser(token);
  forwarded.emplace_back("X-Forwarded-For", "10.1.2.3");
  CHECK(c.request("GET", "/api/users", "", forwarded).status == 401);
  CHECK(c.request("GET", "/api/users", "", {}).status == 401);
}

TEMPLATE_TEST_CASE("logout ends the session and deletes the cookie", "[http][auth]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto token = login(n, "admin", "admin");
  auto c = n.client();
  auto out = c.request("POST", "/api/users/logout", "", browser(token));
  CHECK(out.status == 204);
  auto deleted = out.header("Set-Cookie");
  REQUIRE(deleted);
  CHECK(deleted->find("slicebox-session=deleted") == 0);
  CHECK(deleted->find("Expires=Wed, 01 Jan 1800 00:00:00 GMT") != std::string::npos);
  CHECK(c.request("GET", "/api/users", "", browser(token)).status == 401);
  CHECK(c.request("GET", "/api/users/current", "", browser(token)).status == 404);
}

TEMPLATE_TEST_CASE("sessions expire after the configured timeout", "[http][auth]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value,
                 [](sbx::app::config& c) { c.session_timeout = std::chrono::seconds{1}; }};
  auto token = login(n, "admin", "admin");
  CHECK(n.client().request("GET", "/api/users", "", browser(token)).status == 200);
  CHECK(eventually(std::chrono::seconds{10}, [&] {
    return n.client().request("GET", "/api/users/current", "", browser(token)).status == 404;
  }));
  CHECK(n.client().request("GET", "/api/users", "", browser(token)).status == 401);
}

TEMPLATE_TEST_CASE("sessions can be bound to the cookie alone", "[http][auth]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value,
                 [](sbx::app::config& c) { c.sessions_include_ip_and_useragent = false; }};
  auto token = login(n, "admin", "admin");
  CHECK(n.client().request("GET", "/api/users", "", browser(token, "")).status == 200);
  CHECK(n.client().request("GET", "/api/users", "", browser(token, "other")).status == 200);
}

TEMPLATE_TEST_CASE("a USER may read but not administer", "[http][auth]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  n.admin("POST", "/api/users", bob);
  CHECK(n.as("bob", "secret", "GET", "/api/users").status == 200);
  auto denied = n.as("bob", "secret", "POST", "/api/users", carol);
  CHECK(denied.status == 403);
  CHECK(denied.body == "The supplied authentication is not authorized to access this resource");
  // The role check comes before the body is read.
  CHECK(n.as("bob", "secret", "POST", "/api/users", "{not json").status == 403);
  CHECK(n.as("bob", "secret", "POST", "/api/system/stop").status == 403);
  auto admin_id = id_of(n.admin("POST", "/api/users", carol));
  CHECK(admin_id > 0);
  CHECK(
      n.as("carol", "pw2", "POST", "/api/users", R"({"user":"dave","role":"USER","password":"d"})")
          .status == 201);
}

TEMPLATE_TEST_CASE("the superuser follows the configuration across restarts", "[http][auth]",
                   sqlite_backend, postgres_backend) {
  scratch_database db{TestType::value};
  auto data =
      std::filesystem::temp_directory_path() / ("sbx-restart-" + std::to_string(::getpid()));
  auto start = [&](const std::string& name, const std::string& pass) {
    sbx::app::config c;
    c.data_dir = data;
    c.http_host = "127.0.0.1";
    c.http_port = 0;
    c.database_url = db.config().postgres_url;
    c.sqlite_path = db.config().sqlite_path;
    c.superuser_name = name;
    c.superuser_password = pass;
    return std::make_unique<sbx::app::node>(c);
  };
  {
    auto node = start("admin", "admin");
    http_client c{node->port()};
    REQUIRE(c.request("POST", "/api/users", bob, {basic_auth("admin", "admin")}).status == 201);
  }
  {
    auto node = start("root", "s3cret");
    http_client c{node->port()};
    CHECK(c.request("GET", "/api/users", "", {basic_auth("admin", "admin")}).status == 401);
    auto users = c.request("GET", "/api/users", "", {basic_auth("root", "s3cret")});
    REQUIRE(users.status == 200);
    auto doc = parse_json(users.body);
    REQUIRE(doc.Size() == 2);  // bob survived; the old superuser was replaced
    CHECK(std::string(doc[0]["user"].GetString()) == "bob");
    CHECK(std::string(doc[1]["user"].GetString()) == "root");
    CHECK(c.request("GET", "/api/users", "", {basic_auth("bob", "secret")}).status == 200);
  }
  std::filesystem::remove_all(data);
}
