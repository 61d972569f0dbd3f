// SPDX-License-Identifier: Apache-2.0
#include "dicom/tag_path.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace sbx::dicom;
using sbx::proto::tag_path;

namespace {

tag_path path(std::string_view s) { return parse_tag_path(s, false); }
tag_path tree(std::string_view s) { return parse_tag_path(s, true); }

}  // namespace

TEST_CASE("tag paths render keywords, unknown tags as hex, items as suffixes", "[unit]") {
  const tag_path p = {{0x00089215, "", true, 1}, {0x00100020, "", false, 0}};
  CHECK(to_string(p) == "DerivationCodeSequence[1].PatientID");
  const tag_path t = {{0x00089215, "", true, 0}, {0x00190010, "", false, 0}};
  CHECK(to_string(t) == "DerivationCodeSequence[*].(0019,0010)");
  CHECK(to_string(tag_path{{0x0009ABCD, "", false, 0}}) == "(0009,ABCD)");
}

TEST_CASE("parsing accepts keywords and (GGGG,EEEE) per node", "[unit]") {
  const auto p = path("(0008,9215)[3].PatientID");
  REQUIRE(p.size() == 2);
  CHECK(p[0].tag == 0x00089215u);
  CHECK(p[0].name == "DerivationCodeSequence");
  CHECK(p[0].is_item);
  CHECK(p[0].item == 3);
  CHECK(p[1].tag == 0x00100020u);
  CHECK(p[1].name == "PatientID");
  CHECK_FALSE(p[1].is_item);
  CHECK(to_string(p) == "DerivationCodeSequence[3].PatientID");

  const auto t = tree("(0008,9215)[*].(0010,0010)");
  REQUIRE(t.size() == 2);
  CHECK(t[0].is_item);
  CHECK(t[0].item == 0);
  CHECK(to_string(t) == "DerivationCodeSequence[*].PatientName");
  CHECK(path("(0019,10ab)")[0].tag == 0x001910abu);
  CHECK(path("DerivationCodeSequence[2]").back().is_item);  // a trunk
}

TEST_CASE("malformed tag path strings are rejected with a reason", "[unit]") {
  for (const auto* bad :
       {"", "NoSuchKeyword", "PatientID.PatientName", "(0010,001)", "(0010;0010)", "(GGGG,0010)",
        "DerivationCodeSequence[0].PatientID", "DerivationCodeSequence[x].PatientID",
        "DerivationCodeSequence[1", "DerivationCodeSequence[1]..PatientID", "PatientID."}) {
    INFO(bad);
    CHECK_THROWS_AS(tree(bad), std::invalid_argument);
  }
  CHECK_THROWS_WITH(path("DerivationCodeSequence[*].PatientID"),
                    Catch::Contains("only allowed in tag trees"));
  CHECK_THROWS_WITH(path("Nope"), Catch::Contains("unknown keyword 'Nope'"));
}

TEST_CASE("resolve_names fills names and looks up name-only steps", "[unit]") {
  tag_path p = {{0x00089215, "stale", true, 1}, {0, "PatientID", false, 0}};
  resolve_names(p);
  CHECK(p[0].name == "DerivationCodeSequence");
  CHECK(p[1].tag == 0x00100020u);
  CHECK(p[1].name == "PatientID");
  tag_path unknown = {{0x00190010, "x", false, 0}};
  resolve_names(unknown);
  CHECK(unknown[0].name.empty());
  tag_path bad = {{0, "NoSuchKeyword", false, 0}};
  CHECK_THROWS_AS(resolve_names(bad), std::invalid_argument);
}

TEST_CASE("isTrunkOf: the tree is a prefix of the path", "[unit]") {
  const auto leaf = path("DerivationCodeSequence[2].PatientID");
  CHECK(is_trunk_of(tree("DerivationCodeSequence[*].PatientID"), leaf));
  CHECK(is_trunk_of(tree("DerivationCodeSequence[*]"), leaf));
  CHECK(is_trunk_of(tree("DerivationCodeSequence[2]"), leaf));
  CHECK_FALSE(is_trunk_of(tree("DerivationCodeSequence[1]"), leaf));
  CHECK_FALSE(is_trunk_of(tree("DerivationCodeSequence[*].PatientName"), leaf));
  CHECK_FALSE(is_trunk_of(tree("DerivationCodeSequence"), leaf));
  CHECK_FALSE(is_trunk_of(tree("DerivationCodeSequence[*].PatientID"), path("PatientID")));
  // An any-item node matches the sequence element itself.
  CHECK(is_trunk_of(tree("DerivationCodeSequence[*]"), path("DerivationCodeSequence")));
  CHECK_FALSE(is_trunk_of(tree("DerivationCodeSequence[1]"), path("DerivationCodeSequence")));
  CHECK(is_trunk_of(tree("PatientID"), path("PatientID")));
  CHECK_FALSE(is_trunk_of(tree("PatientID"), path("PatientName")));
}

TEST_CASE("hasTrunk: the path is a prefix of the tree", "[unit]") {
  const auto t = tree("DerivationCodeSequence[*].SourceImageSequence[1].PatientID");
  CHECK(has_trunk(t, path("DerivationCodeSequence")));
  CHECK(has_trunk(t, path("DerivationCodeSequence[4]")));
  CHECK(has_trunk(t, path("DerivationCodeSequence[4].SourceImageSequence")));
  CHECK(has_trunk(t, path("DerivationCodeSequence[4].SourceImageSequence[1]")));
  CHECK_FALSE(has_trunk(t, path("DerivationCodeSequence[4].SourceImageSequence[2]")));
  CHECK(has_trunk(t, path("DerivationCodeSequence[4].SourceImageSequence[1].PatientID")));
  CHECK_FALSE(has_trunk(t, path("DerivationCodeSequence[4].SourceImageSequence[1].PatientName")));
  CHECK_FALSE(has_trunk(t, path("PatientID")));
  CHECK_FALSE(has_trunk(tree("DerivationCodeSequence[1]"), path("DerivationCodeSequence[2]")));
  CHECK_FALSE(
      has_trunk(tree("DerivationCodeSequence[1]"), path("DerivationCodeSequence[1].PatientID")));
  CHECK_FALSE(has_trunk(tree("PatientID"), path("PatientID[1]")));
}
