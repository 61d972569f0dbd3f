// SPDX-License-Identifier: Apache-2.0
#include "persistence/log_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::proto::log_entry;
using sbx::proto::log_type;
using sbx::test::scratch_database;

namespace {

std::vector<std::string> messages(const std::vector<log_entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.message);
  return out;
}

using strings = std::vector<std::string>;

// m1..m6 with created times chosen so that insertion order and time order differ, and m4/m5 tie.
void fill(log_repo& repo) {
  repo.insert({-1, 100, log_type::info, "Storage", "m1"});
  repo.insert({-1, 300, log_type::warn, "Storage", "m2"});
  repo.insert({-1, 200, log_type::error, "Network", "m3"});
  repo.insert({-1, 400, log_type::info, "Network", "m4"});
  repo.insert({-1, 400, log_type::default_level, "Storage", "m5"});
  repo.insert({-1, 50, log_type::info, "Storage", "m6"});
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: log_repo stores entries", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  log_repo repo(scratch.db());
  auto a = repo.insert({-1, 1234, log_type::warn, "Box", "it's \"odd\""});
  auto b = repo.insert({-1, 1235, log_type::default_level, "", ""});
  CHECK(a.id > 0);
  CHECK(b.id > a.id);

  auto all = repo.list(0, 10, std::nullopt, std::nullopt);
  REQUIRE(all.size() == 2);
  CHECK(all[1].id == a.id);
  CHECK(all[1].created == 1234);
  CHECK(all[1].type == log_type::warn);
  CHECK(all[1].subject == "Box");
  CHECK(all[1].message == "it's \"odd\"");
  CHECK(all[0].type == log_type::default_level);
  CHECK(all[0].subject.empty());

  auto stored = scratch.db().exec("SELECT type FROM log_entries ORDER BY id");
  CHECK(stored.rows.at(0).text(0) == "WARN");
  CHECK(stored.rows.at(1).text(0) == "DEFAULT");
}

TEMPLATE_TEST_CASE("persistence: log_repo lists newest first in pages", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  log_repo repo(scratch.db());
  fill(repo);

  // Equal times fall back to the newer id first.
  CHECK(messages(repo.list(0, 100, std::nullopt, std::nullopt)) ==
        strings{"m5", "m4", "m2", "m3", "m1", "m6"});
  CHECK(messages(repo.list(0, 2, std::nullopt, std::nullopt)) == strings{"m5", "m4"});
  CHECK(messages(repo.list(2, 3, std::nullopt, std::nullopt)) == strings{"m2", "m3", "m1"});
  CHECK(messages(repo.list(5, 3, std::nullopt, std::nullopt)) == strings{"m6"});
  CHECK(repo.list(6, 3, std::nullopt, std::nullopt).empty());
  CHECK(repo.list(0, 0, std::nullopt, std::nullopt).empty());
}

TEMPLATE_TEST_CASE("persistence: log_repo filters by subject and type", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  log_repo repo(scratch.db());
  fill(repo);

  CHECK(messages(repo.list(0, 100, std::string("Storage"), std::nullopt)) ==
        strings{"m5", "m2", "m1", "m6"});
  CHECK(messages(repo.list(1, 2, std::string("Storage"), std::nullopt)) == strings{"m2", "m1"});
  CHECK(messages(repo.list(0, 100, std::nullopt, log_type::info)) == strings{"m4", "m1", "m6"});
  CHECK(messages(repo.list(0, 100, std::string("Storage"), log_type::info)) == strings{"m1", "m6"});
  CHECK(messages(repo.list(0, 100, std::string("Network"), log_type::error)) == strings{"m3"});
  CHECK(repo.list(0, 100, std::string("Network"), log_type::warn).empty());

  // Filters are exact matches on bound values.
  CHECK(repo.list(0, 100, std::string("storage"), std::nullopt).empty());
  CHECK(repo.list(0, 100, std::string("Stor%"), std::nullopt).empty());
  CHECK(repo.list(0, 100, std::string("' OR '1'='1"), std::nullopt).empty());
  CHECK(repo.list(0, 100, std::string(""), std::nullopt).empty());
}

TEMPLATE_TEST_CASE("persistence: log_repo removes entries", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  log_repo repo(scratch.db());
  auto a = repo.insert({-1, 1, log_type::info, "s", "a"});
  auto b = repo.insert({-1, 2, log_type::info, "s", "b"});
  repo.insert({-1, 3, log_type::info, "s", "c"});

  CHECK(repo.remove(b.id));
  CHECK_FALSE(repo.remove(b.id));
  CHECK_FALSE(repo.remove(-5));
  CHECK(messages(repo.list(0, 10, std::nullopt, std::nullopt)) == strings{"c", "a"});

  repo.remove_all();
  CHECK(repo.list(0, 10, std::nullopt, std::nullopt).empty());
  CHECK_FALSE(repo.remove(a.id));
  // Ids are not reused after a wipe.
  CHECK(repo.insert({-1, 4, log_type::info, "s", "d"}).id > b.id);
}
