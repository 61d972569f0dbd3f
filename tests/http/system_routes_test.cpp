// SPDX-License-Identifier: Apache-2.0
// /api/system and /api/sources, /api/destinations (docs/api.md#system).
#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

TEMPLATE_TEST_CASE("health and information are public and answer any method", "[http][system]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto c = n.client();
  for (auto method : {"GET", "POST", "PUT", "DELETE"}) {
    auto health = c.request(method, "/api/system/health");
    CHECK(health.status == 200);
    CHECK(health.body == "OK");
    CHECK(health.header("Content-Type").value_or("").rfind("text/plain", 0) == 0);
  }
  auto info = c.request("GET", "/api/system/information");
  REQUIRE(info.status == 200);
  CHECK(std::string(parse_json(info.body)["version"].GetString()).size() > 0);
}

TEMPLATE_TEST_CASE("GET /system/status reports the database, storage and ingest counters",
                   "[http][system]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  CHECK(n.client().request("GET", "/api/system/status").status == 401);
  auto empty = n.admin("GET", "/api/system/status");
  REQUIRE(empty.status == 200);
  auto before = parse_json(empty.body);
  CHECK(std::string(before["database"].GetString()) ==
        (std::is_same_v<TestType, sqlite_backend> ? "SQLite" : "PostgreSQL"));
  CHECK(before["storage"]["images"].GetInt64() == 0);
  CHECK(before["ingested"].Size() == 0);
  CHECK(before["started"].GetInt64() > 1'600'000'000'000);

  const auto bytes = sbx::test::fixture("test.dcm");
  REQUIRE(upload(n, bytes).status == 201);
  REQUIRE(upload(n, "not DICOM").status == 400);
  n.admin("POST", "/api/users", R"({"user":"user","role":"USER","password":"p"})");
  auto r = n.as("user", "p", "GET", "/api/system/status");
  REQUIRE(r.status == 200);
  auto after = parse_json(r.body);
  CHECK(after["storage"]["images"].GetInt64() == 1);
  CHECK(after["storage"]["bytes"].GetInt64() == static_cast<std::int64_t>(bytes.size()));
  REQUIRE(after["ingested"].Size() == 1);
  CHECK(std::string(after["ingested"][0]["sourceType"].GetString()) == "user");
  CHECK(after["ingested"][0]["images"].GetInt64() == 1);
  CHECK(after["ingested"][0]["bytes"].GetInt64() == static_cast<std::int64_t>(bytes.size()));
  CHECK(after["ingested"][0]["failed"].GetInt64() == 1);
  CHECK(after["started"].GetInt64() == before["started"].GetInt64());
}

TEMPLATE_TEST_CASE("GET /sources lists every user as a source", "[http][system]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  n.admin("POST", "/api/users", R"({"user":"user","role":"USER","password":"p"})");
  n.admin("POST", "/api/users", R"({"user":"name","role":"ADMINISTRATOR","password":"p"})");
  auto r = n.admin("GET", "/api/sources");
  REQUIRE(r.status == 200);
  auto doc = parse_json(r.body);
  REQUIRE(doc.Size() == 3);
  CHECK(std::string(doc[0]["sourceType"].GetString()) == "user");
  CHECK(std::string(doc[0]["sourceName"].GetString()) == "admin");
  CHECK(doc[0]["sourceId"].GetInt64() == 1);
  CHECK(std::string(doc[2]["sourceName"].GetString()) == "name");
  CHECK(n.client().request("GET", "/api/sources").status == 401);
}

TEMPLATE_TEST_CASE("GET /destinations is empty while no box or SCU exists", "[http][system]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto r = n.admin("GET", "/api/destinations");
  CHECK(r.status == 200);
  CHECK(r.body == "[]");
}

TEMPLATE_TEST_CASE("POST /system/stop needs an admin and stops the node", "[http][system]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  n.admin("POST", "/api/users", R"({"user":"user","role":"USER","password":"p"})");
  CHECK(n.as("user", "p", "POST", "/api/system/stop").status == 403);
  CHECK(n.client().request("GET", "/api/system/health").status == 200);
  auto r = n.admin("POST", "/api/system/stop");
  CHECK(r.status == 200);
  CHECK(r.body == "Shutting down in 1 second...");
  auto begun = std::chrono::steady_clock::now();
  n.node().wait();  // returns once the node has stopped by itself
  CHECK(std::chrono::steady_clock::now() - begun >= std::chrono::milliseconds(900));
  CHECK_THROWS(n.client().request("GET", "/api/system/health"));
}
