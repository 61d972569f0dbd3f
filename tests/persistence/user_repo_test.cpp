// SPDX-License-Identifier: Apache-2.0
#include "persistence/user_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::proto::api_session;
using sbx::proto::api_user;
using sbx::proto::role;
using sbx::test::scratch_database;

namespace {

api_user user(const std::string& name, role r) { return {-1, name, r, "hash-of-" + name}; }

api_session session_for(const api_user& u, std::string token, std::int64_t updated,
                        std::string ip = "10.0.0.1", std::string agent = "ua-md5") {
  return {-1, u.id, std::move(token), std::move(ip), std::move(agent), updated};
}

std::vector<std::string> names(const std::vector<api_user>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) out.push_back(u.user);
  return out;
}

std::int64_t session_count(database& db) {
  return db.exec("SELECT COUNT(*) FROM api_sessions").rows.at(0).int64(0);
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: user_repo stores and finds users", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  user_repo repo(scratch.db());

  auto admin = repo.insert(user("admin", role::superuser));
  auto bob = repo.insert(user("bob", role::user));
  CHECK(admin.id > 0);
  CHECK(bob.id > admin.id);
  CHECK(bob.user == "bob");

  auto found = repo.by_name("admin");
  REQUIRE(found);
  CHECK(found->id == admin.id);
  CHECK(found->user == "admin");
  CHECK(found->user_role == role::superuser);
  CHECK(found->password_hash == "hash-of-admin");

  auto by_id = repo.by_id(bob.id);
  REQUIRE(by_id);
  CHECK(by_id->user == "bob");
  CHECK(by_id->user_role == role::user);

  CHECK_FALSE(repo.by_name("nobody"));
  CHECK_FALSE(repo.by_name("Admin"));
  CHECK_FALSE(repo.by_name("' OR '1'='1"));
  CHECK_FALSE(repo.by_id(bob.id + 100));
}

TEMPLATE_TEST_CASE("persistence: user_repo rejects a taken name", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  user_repo repo(scratch.db());
  repo.insert(user("alice", role::user));
  try {
    repo.insert(user("alice", role::administrator));
    FAIL("duplicate name accepted");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::unique_violation);
  }
  REQUIRE(repo.list(0, 10).size() == 1);
  CHECK(repo.by_name("alice")->user_role == role::user);
}

TEMPLATE_TEST_CASE("persistence: user_repo pages and filters by role", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  user_repo repo(scratch.db());
  repo.insert(user("u1", role::user));
  repo.insert(user("a1", role::administrator));
  repo.insert(user("u2", role::user));
  repo.insert(user("s1", role::superuser));
  repo.insert(user("u3", role::user));

  CHECK(names(repo.list(0, 10)) == std::vector<std::string>{"u1", "a1", "u2", "s1", "u3"});
  CHECK(names(repo.list(0, 2)) == std::vector<std::string>{"u1", "a1"});
  CHECK(names(repo.list(2, 2)) == std::vector<std::string>{"u2", "s1"});
  CHECK(names(repo.list(4, 2)) == std::vector<std::string>{"u3"});
  CHECK(repo.list(5, 2).empty());
  CHECK(repo.list(0, 0).empty());

  CHECK(names(repo.by_role(role::user)) == std::vector<std::string>{"u1", "u2", "u3"});
  CHECK(names(repo.by_role(role::administrator)) == std::vector<std::string>{"a1"});
  CHECK(names(repo.by_role(role::superuser)) == std::vector<std::string>{"s1"});

  repo.remove_by_role(role::user);
  CHECK(names(repo.list(0, 10)) == std::vector<std::string>{"a1", "s1"});
  CHECK(repo.by_role(role::user).empty());
}

TEMPLATE_TEST_CASE("persistence: user_repo removes users with their sessions", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  user_repo repo(db);
  auto alice = repo.insert(user("alice", role::user));
  auto bob = repo.insert(user("bob", role::user));
  auto carol = repo.insert(user("carol", role::administrator));
  repo.insert_session(session_for(alice, "t-alice", 1));
  repo.insert_session(session_for(bob, "t-bob", 1));
  repo.insert_session(session_for(carol, "t-carol", 1));

  CHECK(repo.remove(alice.id));
  CHECK_FALSE(repo.remove(alice.id));
  CHECK_FALSE(repo.by_id(alice.id));
  CHECK_FALSE(repo.session("t-alice", "10.0.0.1", "ua-md5"));
  CHECK(session_count(db) == 2);

  repo.remove_by_role(role::user);
  CHECK_FALSE(repo.session("t-bob", "10.0.0.1", "ua-md5"));
  CHECK(repo.session("t-carol", "10.0.0.1", "ua-md5"));
  CHECK(session_count(db) == 1);
}

TEMPLATE_TEST_CASE("persistence: user_repo stores and finds sessions", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  user_repo repo(scratch.db());
  auto alice = repo.insert(user("alice", role::user));
  auto bob = repo.insert(user("bob", role::user));

  auto s = repo.insert_session(session_for(alice, "tok", 1000));
  CHECK(s.id > 0);
  CHECK(s.user_id == alice.id);

  auto found = repo.session("tok", "10.0.0.1", "ua-md5");
  REQUIRE(found);
  CHECK(found->id == s.id);
  CHECK(found->user_id == alice.id);
  CHECK(found->token == "tok");
  CHECK(found->ip == "10.0.0.1");
  CHECK(found->user_agent == "ua-md5");
  CHECK(found->updated == 1000);

  // Every part of the key must match.
  CHECK_FALSE(repo.session("tok", "10.0.0.2", "ua-md5"));
  CHECK_FALSE(repo.session("tok", "10.0.0.1", "other"));
  CHECK_FALSE(repo.session("TOK", "10.0.0.1", "ua-md5"));
  CHECK_FALSE(repo.session("' OR '1'='1", "10.0.0.1", "ua-md5"));

  // The same token from another client is a different session; the exact triple is unique.
  auto elsewhere = repo.insert_session(session_for(alice, "tok", 1000, "10.0.0.2"));
  CHECK(elsewhere.id != s.id);
  try {
    repo.insert_session(session_for(bob, "tok", 5));
    FAIL("duplicate session accepted");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::unique_violation);
  }
  try {
    repo.insert_session({-1, bob.id + 100, "orphan", "10.0.0.1", "ua-md5", 1});
    FAIL("session of a missing user accepted");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::foreign_key_violation);
  }

  auto of = repo.session_of(alice.id, "10.0.0.1", "ua-md5");
  REQUIRE(of);
  CHECK(of->id == s.id);
  CHECK_FALSE(repo.session_of(bob.id, "10.0.0.1", "ua-md5"));
  CHECK_FALSE(repo.session_of(alice.id, "10.0.0.9", "ua-md5"));

  repo.touch_session(s.id, 2000);
  CHECK(repo.session("tok", "10.0.0.1", "ua-md5")->updated == 2000);
  CHECK(repo.session("tok", "10.0.0.2", "ua-md5")->updated == 1000);
}

TEMPLATE_TEST_CASE("persistence: user_repo removes sessions", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  user_repo repo(db);
  auto alice = repo.insert(user("alice", role::user));
  auto bob = repo.insert(user("bob", role::user));
  repo.insert_session(session_for(alice, "a1", 100));
  repo.insert_session(session_for(alice, "a2", 300));
  repo.insert_session(session_for(alice, "a3", 100, "10.0.0.2"));
  repo.insert_session(session_for(bob, "b1", 200));

  // The freshest of several sessions for one client is "the" session.
  CHECK(repo.session_of(alice.id, "10.0.0.1", "ua-md5")->token == "a2");

  repo.remove_sessions(alice.id, "10.0.0.1", "ua-md5");
  CHECK_FALSE(repo.session_of(alice.id, "10.0.0.1", "ua-md5"));
  CHECK(repo.session("a3", "10.0.0.2", "ua-md5"));
  CHECK(repo.session("b1", "10.0.0.1", "ua-md5"));
  CHECK(session_count(db) == 2);

  CHECK(repo.remove_sessions_before(100) == 0);
  CHECK(repo.remove_sessions_before(150) == 1);
  CHECK_FALSE(repo.session("a3", "10.0.0.2", "ua-md5"));
  CHECK(repo.session("b1", "10.0.0.1", "ua-md5"));
  CHECK(repo.remove_sessions_before(1'000'000) == 1);
  CHECK(session_count(db) == 0);
  CHECK(repo.by_id(alice.id));
}
