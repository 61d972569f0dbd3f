// SPDX-License-Identifier: Apache-2.0
#include "persistence/tag_filter_repo.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::proto::source_tag_filter;
using sbx::proto::tag_filter;
using sbx::proto::tag_filter_type;
using sbx::test::scratch_database;

namespace {

using ids = std::vector<std::int64_t>;

template <class T>
ids ids_of(const std::vector<T>& rows) {
  ids out;
  for (const auto& r : rows) out.push_back(r.id);
  return out;
}

source_tag_filter association(const std::string& type, std::int64_t source, std::int64_t filter) {
  return {-1, type, type + " name", source, filter, "filter name"};
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: tag filters, trees and associations", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  tag_filter_repo repo(scratch.db());

  auto white = repo.insert_filter({-1, "same", tag_filter_type::whitelist});
  auto black = repo.insert_filter({-1, "same", tag_filter_type::blacklist});
  CHECK(white.id > 0);
  CHECK(black.id > white.id);
  auto all = repo.filters(0, 10);
  REQUIRE(all.size() == 2);
  CHECK(all[1].name == "same");
  CHECK(all[1].type == tag_filter_type::blacklist);
  CHECK(ids_of(repo.filters(1, 10)) == ids{black.id});
  CHECK(ids_of(repo.filters(0, 1)) == ids{white.id});
  CHECK(repo.filters(-1, 10).empty());
  CHECK(repo.filters(0, -1).empty());

  auto p1 = repo.insert_tag_path({-1, black.id, "PatientName"});
  auto p2 = repo.insert_tag_path({-1, black.id, "(0008,9215)[*]"});
  repo.insert_tag_path({-1, white.id, "PatientID"});
  CHECK(ids_of(repo.tag_paths(black.id, 0, 10)) == ids{p1.id, p2.id});
  CHECK(repo.tag_paths(black.id, 1, 1).at(0).tree == "(0008,9215)[*]");
  CHECK(repo.tag_paths(666, 0, 10).empty());
  try {
    repo.insert_tag_path({-1, 666, "PatientName"});
    FAIL("a tree of a missing filter was stored");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::foreign_key_violation);
  }

  auto a1 = repo.insert_association(association("user", 2, black.id));
  auto a2 = repo.insert_association(association("import", 2, black.id));
  auto a3 = repo.insert_association(association("user", 3, white.id));
  CHECK(ids_of(repo.associations(0, 10)) == ids{a1.id, a2.id, a3.id});
  CHECK(repo.associations(0, 10).at(1).source_name == "import name");
  try {
    repo.insert_association(association("user", 2, 666));
    FAIL("an association with a missing filter was stored");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::foreign_key_violation);
  }
  CHECK_THROWS_AS(repo.insert_filter({-1, std::string("a\0b", 3), tag_filter_type::whitelist}),
                  std::invalid_argument);
  CHECK_THROWS_AS(repo.insert_association({-1, "user", "\xff", 2, black.id, "f"}),
                  std::invalid_argument);

  // What ingest applies: one row per (association, tree).
  auto trees = repo.source_filter_trees();
  REQUIRE(trees.size() == 5);
  CHECK(trees[0].source_type == "user");
  CHECK(trees[0].source_id == 2);
  CHECK(trees[0].type == tag_filter_type::blacklist);
  CHECK(trees[0].tree == "PatientName");
  CHECK(trees[4].type == tag_filter_type::whitelist);
  CHECK(trees[4].tree == "PatientID");

  CHECK(repo.remove_associations_of("user", 2) == 1);
  CHECK(ids_of(repo.associations(0, 10)) == ids{a2.id, a3.id});
  CHECK(repo.remove_association(a3.id));
  CHECK_FALSE(repo.remove_association(a3.id));
  CHECK(repo.remove_tag_path(p1.id));
  CHECK_FALSE(repo.remove_tag_path(p1.id));

  // A filter takes its trees and associations with it.
  CHECK(repo.remove_filter(black.id));
  CHECK_FALSE(repo.remove_filter(black.id));
  CHECK(repo.tag_paths(black.id, 0, 10).empty());
  CHECK(repo.associations(0, 10).empty());
  CHECK(ids_of(repo.filters(0, 10)) == ids{white.id});
}
