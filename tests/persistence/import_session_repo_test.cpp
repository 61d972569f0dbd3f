// SPDX-License-Identifier: Apache-2.0
#include "persistence/import_session_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::proto::import_session;
using sbx::test::scratch_database;

namespace {

import_session session(const std::string& name, std::int64_t user_id = 2,
                       const std::string& user = "alice", std::int64_t now = 1000) {
  return {-1, name, user_id, user, 0, 0, 0, now, now};
}

std::vector<std::string> names(const std::vector<import_session>& sessions) {
  std::vector<std::string> out;
  for (const auto& s : sessions) out.push_back(s.name);
  return out;
}

using ids = std::vector<std::int64_t>;

std::int64_t link_count(database& db) {
  return db.exec("SELECT COUNT(*) FROM import_session_images").rows.at(0).int64(0);
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: import session insert and lookups", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  import_session_repo repo(scratch.db());

  auto a = repo.insert({-1, "batch 1", 2, "alice", 3, 2, 1, 1580000000000, 1580000100000});
  auto b = repo.insert(session("batch 2", 3, "bob"));
  CHECK(a.id > 0);
  CHECK(b.id > a.id);
  CHECK(a.name == "batch 1");

  auto found = repo.by_id(a.id);
  REQUIRE(found);
  CHECK(found->name == "batch 1");
  CHECK(found->user_id == 2);
  CHECK(found->user == "alice");
  CHECK(found->files_imported == 3);
  CHECK(found->files_added == 2);
  CHECK(found->files_rejected == 1);
  CHECK(found->created == 1580000000000);
  CHECK(found->last_updated == 1580000100000);

  auto by_name = repo.by_name("batch 2");
  REQUIRE(by_name);
  CHECK(by_name->id == b.id);
  CHECK(by_name->user == "bob");
  CHECK_FALSE(repo.by_name("Batch 2"));
  CHECK_FALSE(repo.by_name("' OR '1'='1"));
  CHECK_FALSE(repo.by_id(b.id + 100));
}

TEMPLATE_TEST_CASE("persistence: import session names are unique", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  import_session_repo repo(scratch.db());
  repo.insert(session("batch", 2, "alice"));
  try {
    repo.insert(session("batch", 3, "bob"));
    FAIL("duplicate name accepted");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::unique_violation);
  }
  REQUIRE(repo.list(0, 10).size() == 1);
  CHECK(repo.by_name("batch")->user == "alice");
}

TEMPLATE_TEST_CASE("persistence: import session listing pages in id order", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  import_session_repo repo(scratch.db());
  for (const auto* n : {"s1", "s2", "s3", "s4", "s5"}) repo.insert(session(n));

  using strings = std::vector<std::string>;
  CHECK(names(repo.list(0, 10)) == strings{"s1", "s2", "s3", "s4", "s5"});
  CHECK(names(repo.list(0, 2)) == strings{"s1", "s2"});
  CHECK(names(repo.list(2, 2)) == strings{"s3", "s4"});
  CHECK(names(repo.list(4, 2)) == strings{"s5"});
  CHECK(repo.list(5, 2).empty());
  CHECK(repo.list(0, 0).empty());
  CHECK(repo.list(0, -1).empty());
  CHECK(names(repo.list(-3, 1)) == strings{"s1"});
}

TEMPLATE_TEST_CASE("persistence: import session counts added and rejected files", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  import_session_repo repo(db);
  auto s = repo.insert(session("batch", 2, "alice", 1000));
  auto other = repo.insert(session("other", 2, "alice", 1000));

  CHECK(repo.record_added(s.id, 42, true, 2000));
  CHECK(repo.record_added(s.id, 7, true, 2100));
  CHECK(repo.record_added(s.id, 42, false, 2200));  // the same image again: counted, not relinked
  CHECK(repo.record_added(s.id, 9, false, 2300));   // an image that existed before the session
  CHECK(repo.record_rejected(s.id, 2400));
  CHECK(repo.record_added(other.id, 42, false, 2500));

  auto after = repo.by_id(s.id);
  REQUIRE(after);
  CHECK(after->files_imported == 4);
  CHECK(after->files_added == 2);
  CHECK(after->files_rejected == 1);
  CHECK(after->created == 1000);
  CHECK(after->last_updated == 2400);
  CHECK(repo.image_ids(s.id) == ids{42, 7, 9});
  CHECK(repo.image_ids(other.id) == ids{42});
  CHECK(repo.by_id(other.id)->files_imported == 1);
  CHECK(repo.by_id(other.id)->last_updated == 2500);

  // Unknown sessions: nothing recorded, nothing linked.
  CHECK_FALSE(repo.record_added(other.id + 100, 5, true, 3000));
  CHECK_FALSE(repo.record_rejected(other.id + 100, 3000));
  CHECK(repo.image_ids(other.id + 100).empty());
  CHECK(link_count(db) == 4);
}

TEMPLATE_TEST_CASE("persistence: import session removal drops its links only", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  import_session_repo repo(db);
  auto a = repo.insert(session("a"));
  auto b = repo.insert(session("b"));
  repo.record_added(a.id, 1, true, 10);
  repo.record_added(a.id, 2, true, 11);
  repo.record_added(b.id, 2, false, 12);

  CHECK(repo.remove(a.id));
  CHECK_FALSE(repo.remove(a.id));
  CHECK_FALSE(repo.by_id(a.id));
  CHECK(repo.image_ids(a.id).empty());
  CHECK(repo.image_ids(b.id) == ids{2});
  CHECK(link_count(db) == 1);
  CHECK(names(repo.list(0, 10)) == std::vector<std::string>{"b"});

  // The name is free again.
  auto again = repo.insert(session("a"));
  CHECK(again.id > b.id);
  CHECK(repo.image_ids(again.id).empty());
}
