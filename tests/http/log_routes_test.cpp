// SPDX-License-Identifier: Apache-2.0
// Spec part A §11.7, test case 69.
#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "persistence/log_repo.hpp"

using namespace sbx::test;

namespace {

/// The node's own entries (start-up) are removed first, so each test sees only its own.
void clear_log(const running_node& n) { REQUIRE(n.admin("DELETE", "/api/log").status == 204); }

void add_six_entries(const sbx::persistence::database_config& config) {
  auto db = sbx::persistence::open_database(config);
  sbx::persistence::log_repo repo{*db};
  using sbx::proto::log_type;
  std::int64_t t = 1000;
  for (auto [type, subject] : {std::pair{log_type::info, "Category1"},
                               {log_type::info, "Category1"},
                               {log_type::warn, "Category1"},
                               {log_type::warn, "Category2"},
                               {log_type::default_level, "Category2"},
                               {log_type::error, "Category2"}})
    repo.insert({-1, t++, type, subject, "message"});
}

sbx::persistence::database_config config_of(const running_node& n) {
  return {n.config().sqlite_path.string(), n.config().database_url};
}

}  // namespace

TEMPLATE_TEST_CASE("GET /log lists, filters and deletes entries", "[http][log]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  clear_log(n);
  add_six_entries(config_of(n));
  auto all = parse_json(n.admin("GET", "/api/log?startindex=0&count=1000").body);
  REQUIRE(all.Size() == 6);
  // Newest first.
  CHECK(all[0]["created"].GetInt64() > all[5]["created"].GetInt64());
  CHECK(std::string(all[0]["entryType"].GetString()) == "ERROR");

  auto info = parse_json(n.admin("GET", "/api/log?subject=Category1&type=INFO").body);
  CHECK(info.Size() == 2);
  CHECK(parse_json(n.admin("GET", "/api/log?type=WARN").body).Size() == 2);
  CHECK(parse_json(n.admin("GET", "/api/log?subject=Category2").body).Size() == 3);
  CHECK(parse_json(n.admin("GET", "/api/log?count=2").body).Size() == 2);

  CHECK(n.admin("DELETE", "/api/log/" + std::to_string(all[0]["id"].GetInt64())).status == 204);
  CHECK(n.admin("DELETE", "/api/log/" + std::to_string(all[1]["id"].GetInt64())).status == 204);
  CHECK(n.admin("DELETE", "/api/log/987654").status == 204);
  CHECK(parse_json(n.admin("GET", "/api/log?count=1000").body).Size() == 4);
}

TEMPLATE_TEST_CASE("GET /log refuses unknown types and bad paging", "[http][log]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto bad = n.admin("GET", "/api/log?type=LOUD");
  CHECK(bad.status == 400);
  CHECK(bad.body.rfind("The query parameter 'type' was malformed:", 0) == 0);
  CHECK(n.admin("GET", "/api/log?count=-5").status == 400);
  CHECK(n.client().request("GET", "/api/log").status == 401);
}

TEMPLATE_TEST_CASE("DELETE /log empties the log", "[http][log]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  add_six_entries(config_of(n));
  CHECK(n.admin("DELETE", "/api/log").status == 204);
  CHECK(n.admin("GET", "/api/log").body == "[]");
}

TEMPLATE_TEST_CASE("the node logs where it is bound", "[http][log]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  // The log actor writes asynchronously; poll with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    body = n.admin("GET", "/api/log?subject=System&type=INFO").body;
    if (body.find("Slicebox bound to 127.0.0.1:") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(body.find("Slicebox bound to 127.0.0.1:" + std::to_string(n.port())) != std::string::npos);
}
