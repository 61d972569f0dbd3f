// SPDX-License-Identifier: Apache-2.0
#include "persistence/scu_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;

TEMPLATE_TEST_CASE("persistence: SCUs are unique by name and by host and port", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  scu_repo repo(scratch.db());

  auto a = repo.insert({-1, "PACS", " AE ", "10.0.0.5", 104});
  CHECK(a.id > 0);
  CHECK(repo.by_id(a.id)->ae_title == " AE ");
  CHECK(repo.by_name("PACS")->id == a.id);
  CHECK(repo.by_host_port("10.0.0.5", 104)->id == a.id);
  CHECK_FALSE(repo.by_host_port("10.0.0.5", 105));
  CHECK_FALSE(repo.by_name("pacs"));

  auto unique_violation = [&](const sbx::proto::scu& s) {
    try {
      repo.insert(s);
    } catch (const database_error& e) {
      return e.kind() == db_failure::unique_violation;
    }
    return false;
  };
  CHECK(unique_violation({-1, "PACS", "B", "other", 1}));
  CHECK(unique_violation({-1, "other", "B", "10.0.0.5", 104}));

  auto b = repo.insert({-1, "second", "B", "10.0.0.5", 105});
  CHECK(repo.list(0, 20).size() == 2);
  CHECK(repo.list(1, 20).front().id == b.id);
  CHECK(repo.list(0, -1).empty());
  CHECK(repo.remove(a.id));
  CHECK_FALSE(repo.remove(a.id));
  CHECK_FALSE(repo.by_id(a.id));
}
