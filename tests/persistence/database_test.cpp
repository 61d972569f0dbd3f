// SPDX-License-Identifier: Apache-2.0
#include "persistence/database.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;

namespace {

db_failure failure_of(database& db, std::string_view sql, const std::vector<value>& params = {}) {
  try {
    db.exec(sql, params);
  } catch (const database_error& e) {
    return e.kind();
  }
  FAIL("statement did not fail: " << sql);
  return db_failure::other;
}

std::int64_t count(database& db, const std::string& table) {
  return db.exec("SELECT COUNT(*) FROM " + table).rows.at(0).int64(0);
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: database binds and reads back every value kind", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  REQUIRE(db.kind() == TestType::value);
  db.exec("CREATE TABLE kinds (k BIGINT, i BIGINT, r DOUBLE PRECISION, t TEXT, n TEXT)");

  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  const std::string text = "it's \"quoted\", $1, ?1, ünïcödé, 🙂";
  db.exec("INSERT INTO kinds (k, i, r, t, n) VALUES ($1, $2, $3, $4, $5)",
          {std::int64_t{1}, big, 0.1, text, value{}});
  db.exec("INSERT INTO kinds (k, i, r, t, n) VALUES ($1, $2, $3, $4, $5)",
          {std::int64_t{2}, small, -2.5e300, std::string(), std::string("not null")});

  auto res = db.exec("SELECT i, r, t, n FROM kinds ORDER BY k");
  REQUIRE(res.rows.size() == 2);
  REQUIRE(res.affected == 0);
  const auto& first = res.rows[0];
  REQUIRE(first.columns.size() == 4);
  CHECK(std::get<std::int64_t>(first.columns[0]) == big);
  CHECK(std::get<double>(first.columns[1]) == 0.1);
  CHECK(std::get<std::string>(first.columns[2]) == text);
  CHECK(first.is_null(3));
  CHECK(first.text(3).empty());
  CHECK(first.int64(3) == 0);

  const auto& second = res.rows[1];
  CHECK(second.int64(0) == small);
  CHECK(second.real(1) == -2.5e300);
  CHECK(std::get<std::string>(second.columns[2]).empty());
  CHECK_FALSE(second.is_null(2));
  CHECK(second.text(3) == "not null");

  // A NULL parameter compares as SQL NULL, so `= NULL` matches nothing but IS NULL does.
  CHECK(db.exec("SELECT k FROM kinds WHERE n = $1", {value{}}).rows.empty());
  auto nulls =
      db.exec("SELECT k FROM kinds WHERE n IS NULL AND CAST($1 AS TEXT) IS NULL", {value{}});
  REQUIRE(nulls.rows.size() == 1);
  CHECK(nulls.rows[0].int64(0) == 1);

  // The same placeholder used twice binds the same value.
  auto twice = db.exec("SELECT k FROM kinds WHERE k = $1 OR i = $1", {std::int64_t{2}});
  REQUIRE(twice.rows.size() == 1);
  CHECK(twice.rows[0].int64(0) == 2);
}

TEMPLATE_TEST_CASE("persistence: database row accessors convert between kinds", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto res =
      scratch.db().exec("SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS DOUBLE PRECISION)",
                        {std::int64_t{42}, std::string("17"), 1.5});
  REQUIRE(res.rows.size() == 1);
  const auto& r = res.rows[0];
  CHECK(r.int64(0) == 42);
  CHECK(r.text(0) == "42");
  CHECK(r.real(0) == 42.0);
  CHECK(r.text(1) == "17");
  CHECK(r.int64(1) == 17);
  CHECK(r.real(2) == 1.5);
  CHECK(r.text(2) == "1.5");
  CHECK(r.int64(2) == 1);
  CHECK_THROWS_AS(r.int64(99), std::out_of_range);

  row not_a_number{{std::string("abc")}};
  CHECK_THROWS_AS(not_a_number.int64(0), database_error);
}

TEMPLATE_TEST_CASE("persistence: database leaves placeholders in literals alone", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto res = scratch.db().exec("SELECT '$1', CAST($1 AS TEXT) -- $2 is a comment\n",
                               {std::string("bound")});
  REQUIRE(res.rows.size() == 1);
  CHECK(res.rows[0].text(0) == "$1");
  CHECK(res.rows[0].text(1) == "bound");
}

TEMPLATE_TEST_CASE("persistence: database binds an injection string as a plain value",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  db.exec("CREATE TABLE names (name TEXT NOT NULL)");
  db.exec("INSERT INTO names (name) VALUES ($1)", {std::string("alice")});

  const std::string injection = "' OR '1'='1";
  CHECK(db.exec("SELECT name FROM names WHERE name = $1", {injection}).rows.empty());
  const std::string drop = "x'); DROP TABLE names; --";
  CHECK(db.exec("SELECT name FROM names WHERE name = $1", {drop}).rows.empty());

  db.exec("INSERT INTO names (name) VALUES ($1)", {drop});
  auto stored = db.exec("SELECT name FROM names WHERE name = $1", {drop});
  REQUIRE(stored.rows.size() == 1);
  CHECK(stored.rows[0].text(0) == drop);
  CHECK(count(db, "names") == 2);
}

TEMPLATE_TEST_CASE("persistence: database maps constraint failures", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  db.exec("CREATE TABLE parent (id BIGINT PRIMARY KEY, name TEXT UNIQUE)");
  db.exec("CREATE TABLE child (parent_id BIGINT NOT NULL REFERENCES parent (id))");
  db.exec("INSERT INTO parent (id, name) VALUES ($1, $2)", {std::int64_t{1}, std::string("a")});

  CHECK(failure_of(db, "INSERT INTO parent (id, name) VALUES ($1, $2)",
                   {std::int64_t{2}, std::string("a")}) == db_failure::unique_violation);
  CHECK(failure_of(db, "INSERT INTO parent (id, name) VALUES ($1, $2)",
                   {std::int64_t{1}, std::string("b")}) == db_failure::unique_violation);
  CHECK(failure_of(db, "INSERT INTO child (parent_id) VALUES ($1)", {std::int64_t{7}}) ==
        db_failure::foreign_key_violation);
  CHECK(failure_of(db, "INSERT INTO child (parent_id) VALUES ($1)", {value{}}) ==
        db_failure::other);
  CHECK(failure_of(db, "SELEKT 1") == db_failure::other);
  CHECK(failure_of(db, "SELECT * FROM no_such_table") == db_failure::other);
  CHECK(failure_of(db, "SELECT 1; SELECT 2") == db_failure::other);

  db.exec("INSERT INTO child (parent_id) VALUES ($1)", {std::int64_t{1}});
  CHECK(failure_of(db, "DELETE FROM parent WHERE id = $1", {std::int64_t{1}}) ==
        db_failure::foreign_key_violation);
  CHECK(count(db, "parent") == 1);
  CHECK(count(db, "child") == 1);
}

TEMPLATE_TEST_CASE("persistence: database counts changed rows and returns ids", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  db.exec(TestType::value == backend::sqlite
              ? "CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, n BIGINT)"
              : "CREATE TABLE counters (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                "n BIGINT)");
  auto a = db.exec("INSERT INTO counters (n) VALUES ($1) RETURNING id", {std::int64_t{1}});
  auto b = db.exec("INSERT INTO counters (n) VALUES ($1) RETURNING id", {std::int64_t{1}});
  REQUIRE(a.rows.size() == 1);
  REQUIRE(b.rows.size() == 1);
  CHECK(a.affected == 1);
  CHECK(b.rows[0].int64(0) > a.rows[0].int64(0));

  CHECK(db.exec("UPDATE counters SET n = n + 1").affected == 2);
  CHECK(db.exec("SELECT id FROM counters").affected == 0);
  CHECK(db.exec("DELETE FROM counters WHERE id = $1", {std::int64_t{-1}}).affected == 0);
  CHECK(db.exec("DELETE FROM counters WHERE n = $1", {std::int64_t{2}}).affected == 2);
}

TEMPLATE_TEST_CASE("persistence: database transactions commit or roll back", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  db.exec("CREATE TABLE items (name TEXT PRIMARY KEY)");

  SECTION("an exception rolls back") {
    try {
      transaction tx(db);
      db.exec("INSERT INTO items (name) VALUES ($1)", {std::string("lost")});
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    CHECK(count(db, "items") == 0);
  }

  SECTION("a failed statement rolls back the whole transaction, and the connection recovers") {
    db.exec("INSERT INTO items (name) VALUES ($1)", {std::string("taken")});
    try {
      transaction tx(db);
      db.exec("INSERT INTO items (name) VALUES ($1)", {std::string("lost")});
      db.exec("INSERT INTO items (name) VALUES ($1)", {std::string("taken")});
      tx.commit();
      FAIL("duplicate insert did not throw");
    } catch (const database_error& e) {
      CHECK(e.kind() == db_failure::unique_violation);
    }
    CHECK(count(db, "items") == 1);
    db.exec("INSERT INTO items (name) VALUES ($1)", {std::string("after")});
    CHECK(count(db, "items") == 2);
  }

  SECTION("commit is visible to another connection") {
    auto other = open_database(scratch.config());
    {
      transaction tx(db);
      db.exec("INSERT INTO items (name) VALUES ($1)", {std::string("kept")});
      tx.commit();
    }
    auto res = other->exec("SELECT name FROM items");
    REQUIRE(res.rows.size() == 1);
    CHECK(res.rows[0].text(0) == "kept");
  }
}

TEMPLATE_TEST_CASE("persistence: a commit is durable or the caveat says why not", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  if (db.kind() == backend::sqlite) {
    // 2 = FULL: the WAL is synced at every commit, so an acknowledged image survives power loss.
    CHECK(db.exec("PRAGMA synchronous").rows.at(0).int64(0) == 2);
    CHECK(durability_caveat(db).empty());
    return;
  }
  db.exec("SET synchronous_commit = off");
  CHECK_THAT(durability_caveat(db), Catch::Contains("synchronous_commit is off"));
  db.exec("SET synchronous_commit = on");
  CHECK_THAT(durability_caveat(db), !Catch::Contains("synchronous_commit"));
  bool fsync_off = db.exec("SHOW fsync").rows.at(0).text(0) == "off";
  CHECK(durability_caveat(db).empty() == !fsync_off);
}
