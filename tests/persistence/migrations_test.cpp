// SPDX-License-Identifier: Apache-2.0
#include "persistence/migrations.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <exception>
#include <thread>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;

namespace {

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const auto& m : migrations()) names.push_back(m.name);
  return names;
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: migrations are embedded in name order", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  auto names = all_names();
  REQUIRE_FALSE(names.empty());
  CHECK(names.front() == "0001_users_log.sql");
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  // Each one changes the schema: it creates a table or alters one.
  for (const auto& m : migrations())
    CHECK((m.sql.find("CREATE TABLE") != std::string::npos ||
           m.sql.find("ALTER TABLE") != std::string::npos));
}

TEMPLATE_TEST_CASE("persistence: migrate creates the tables once", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value, /*migrated=*/false);
  auto& db = scratch.db();

  CHECK(migrate(db) == all_names());
  CHECK(migrate(db).empty());

  auto recorded = db.exec("SELECT name, applied FROM schema_migrations ORDER BY name");
  REQUIRE(recorded.rows.size() == migrations().size());
  CHECK(recorded.rows[0].text(0) == "0001_users_log.sql");
  CHECK(recorded.rows[0].int64(1) > 1'600'000'000'000);  // epoch milliseconds

  for (const char* table : {"users", "api_sessions", "log_entries"})
    CHECK(db.exec(std::string("SELECT COUNT(*) FROM ") + table).rows.at(0).int64(0) == 0);

  // ID_PK became an auto-increment key in this backend.
  auto a = db.exec(
      "INSERT INTO users (name, role, password_hash) VALUES ('a', 'USER', 'h') "
      "RETURNING id");
  auto b = db.exec(
      "INSERT INTO users (name, role, password_hash) VALUES ('b', 'USER', 'h') "
      "RETURNING id");
  CHECK(a.rows.at(0).int64(0) >= 1);
  CHECK(b.rows.at(0).int64(0) > a.rows.at(0).int64(0));
}

TEMPLATE_TEST_CASE("persistence: migrate on a migrated database applies nothing", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  CHECK(migrate(scratch.db()).empty());
  auto other = open_database(scratch.config());
  CHECK(migrate(*other).empty());
}

TEMPLATE_TEST_CASE("persistence: concurrent migrate applies each migration once", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value, /*migrated=*/false);
  constexpr int runners = 4;
  std::vector<std::unique_ptr<database>> connections;
  for (int i = 0; i < runners; ++i) connections.push_back(open_database(scratch.config()));

  std::vector<std::vector<std::string>> applied(runners);
  std::vector<std::exception_ptr> errors(runners);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < runners; ++i)
      threads.emplace_back([&, i] {
        try {
          applied[i] = migrate(*connections[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  std::vector<std::string> all;
  for (const auto& names : applied) all.insert(all.end(), names.begin(), names.end());
  std::sort(all.begin(), all.end());
  CHECK(all == all_names());
  CHECK(scratch.db().exec("SELECT COUNT(*) FROM schema_migrations").rows.at(0).int64(0) ==
        static_cast<std::int64_t>(migrations().size()));
}
