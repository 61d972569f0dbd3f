// SPDX-License-Identifier: Apache-2.0
#include "persistence/scp_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;

TEMPLATE_TEST_CASE("persistence: SCPs are inserted, found by name and port, listed and removed",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  scp_repo repo(scratch.db());

  auto a = repo.insert({-1, "PACS in", " SLICEBOX ", 11112});
  auto b = repo.insert({-1, "second", "OTHER", 11113});
  CHECK(a.id > 0);
  CHECK(b.id > a.id);

  auto found = repo.by_name("PACS in");
  REQUIRE(found);
  CHECK(found->id == a.id);
  CHECK(found->ae_title == " SLICEBOX ");  // stored as given
  CHECK(found->port == 11112);
  CHECK_FALSE(repo.by_name("pacs in"));
  REQUIRE(repo.by_id(b.id));
  CHECK(repo.by_id(b.id)->name == "second");
  CHECK_FALSE(repo.by_id(b.id + 100));
  REQUIRE(repo.by_port(11113));
  CHECK(repo.by_port(11113)->name == "second");
  CHECK_FALSE(repo.by_port(104));

  CHECK_THROWS_AS(repo.insert({-1, "PACS in", "X", 1}), database_error);

  auto page = repo.list(0, 20);
  REQUIRE(page.size() == 2);
  CHECK(page[0].name == "PACS in");
  CHECK(page[1].name == "second");
  CHECK(repo.list(1, 20).size() == 1);
  CHECK(repo.list(0, 1).size() == 1);
  CHECK(repo.list(0, -1).empty());

  CHECK(repo.remove(a.id));
  CHECK_FALSE(repo.remove(a.id));
  CHECK(repo.list(0, 20).size() == 1);
}

TEMPLATE_TEST_CASE("persistence: an SCP's Query/Retrieve switch is stored, on by default",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  scp_repo repo(scratch.db());
  sbx::proto::scp off{-1, "no q/r", "SLICEBOX", 11112};
  off.query_retrieve = false;
  const auto a = repo.insert(off);
  const auto b = repo.insert({-1, "q/r", "SLICEBOX", 11113});
  CHECK_FALSE(a.query_retrieve);
  CHECK(b.query_retrieve);
  REQUIRE(repo.by_id(a.id));
  CHECK_FALSE(repo.by_id(a.id)->query_retrieve);
  REQUIRE(repo.by_name("q/r"));
  CHECK(repo.by_name("q/r")->query_retrieve);
  auto page = repo.list(0, 20);
  REQUIRE(page.size() == 2);
  CHECK_FALSE(page[0].query_retrieve);
  CHECK(page[1].query_retrieve);
}
