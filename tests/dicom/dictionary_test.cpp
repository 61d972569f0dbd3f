// SPDX-License-Identifier: Apache-2.0
#include "dicom/dictionary.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>

using namespace sbx::dicom;

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::ranges::find(list, item) != list.end();
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

TEST_CASE("keyword_of names known tags and nothing else", "[unit]") {
  CHECK(keyword_of(0x00100010) == "PatientName");
  CHECK(keyword_of(0x00081140) == "ReferencedImageSequence");
  CHECK_FALSE(keyword_of(0xFFFFFFFF).has_value());
  CHECK_FALSE(keyword_of(0x00110010).has_value());  // private creator
  CHECK_FALSE(keyword_of(0x00100000).has_value());  // group length outside group 0000
}

TEST_CASE("tag_of looks keywords up exactly", "[unit]") {
  CHECK(tag_of("PatientName") == 0x00100010u);
  CHECK(tag_of("PatientName") == 1048592u);
  CHECK(tag_of("DerivationCodeSequence") == 0x00089215u);
  CHECK_FALSE(tag_of("abc").has_value());
  CHECK_FALSE(tag_of("patientname").has_value());
  CHECK_FALSE(tag_of("").has_value());
}

TEST_CASE("tag_of maps a repeating-group keyword to its lowest group", "[unit]") {
  CHECK(tag_of("OverlayData") == 0x60003000u);
  CHECK(keyword_of(0x60023000) == "OverlayData");
}

TEST_CASE("keyword_of and tag_of agree on every listed keyword", "[unit]") {
  for (const auto& k : keywords("", keyword_kind::all)) {
    const auto tag = tag_of(k);
    REQUIRE(tag.has_value());
    CHECK(keyword_of(*tag) == k);
  }
}

TEST_CASE("vr_of gives the VR letters and their big-endian code", "[unit]") {
  const auto pn = vr_of(0x00100010);
  CHECK(pn.name == "PN");
  CHECK(pn.code == 0x504E);
  CHECK(pn.code == 20558);
  CHECK(vr_of(0x00081140).name == "SQ");

  const auto unknown = vr_of(0xFFFFFFFF);
  CHECK(unknown.name == "UN");
  CHECK(unknown.code == 21838);
  CHECK(vr_of(0xFFFEE000).name == "UN");  // Item: in the dictionary, but has no VR
}

TEST_CASE("vr_of picks the first of several allowed VRs", "[unit]") {
  CHECK(vr_of(0x00280106).name == "US");  // SmallestImagePixelValue: US or SS
  CHECK(vr_of(0x00280106).code == ('U' << 8 | 'S'));
  CHECK(vr_of(0x60003000).name == "OB");  // OverlayData: OB or OW
}

TEST_CASE("vm_of parses fixed, ranged and unbounded multiplicities", "[unit]") {
  const auto one = vm_of(0x00100010);  // PatientName: 1
  CHECK(one.min == 1);
  CHECK(one.max == 1);

  const auto six = vm_of(0x00200037);  // ImageOrientationPatient: 6
  CHECK(six.min == 6);
  CHECK(six.max == 6);

  const auto one_to_three = vm_of(0x00181600);  // ShutterShape: 1-3
  CHECK(one_to_three.min == 1);
  CHECK(one_to_three.max == 3);

  const auto one_n = vm_of(0x00101000);  // OtherPatientIDs: 1-n
  CHECK(one_n.min == 1);
  CHECK_FALSE(one_n.max.has_value());

  const auto two_n = vm_of(0x00080008);  // ImageType: 2-n
  CHECK(two_n.min == 2);
  CHECK_FALSE(two_n.max.has_value());

  const auto two_2n = vm_of(0x00181620);  // VerticesOfThePolygonalShutter: 2-2n
  CHECK(two_2n.min == 2);
  CHECK_FALSE(two_2n.max.has_value());

  const auto unknown = vm_of(0xFFFFFFFF);
  CHECK(unknown.min == 1);
  CHECK_FALSE(unknown.max.has_value());
}

TEST_CASE("keywords are sorted, unique and non-empty", "[unit]") {
  const auto all = keywords("", keyword_kind::all);
  CHECK(all.size() > 4000);
  CHECK(std::ranges::is_sorted(all));
  CHECK(std::ranges::adjacent_find(all) == all.end());
  CHECK(std::ranges::none_of(all, [](const std::string& k) { return k.empty(); }));
  CHECK(contains(all, "PatientName"));
  CHECK(contains(all, "ReferencedImageSequence"));
}

TEST_CASE("keywords filter is a case-insensitive substring", "[unit]") {
  const auto found = keywords("atientnam", keyword_kind::all);
  REQUIRE_FALSE(found.empty());
  CHECK(contains(found, "PatientName"));
  for (const auto& k : found) CHECK(lower(k).find("atientnam") != std::string::npos);

  CHECK(keywords("ATIENTNAM", keyword_kind::all) == found);
  CHECK(keywords("no such keyword anywhere", keyword_kind::all).empty());
}

TEST_CASE("keywords splits sequences from the rest", "[unit]") {
  const auto sequences = keywords("", keyword_kind::sequence);
  const auto others = keywords("", keyword_kind::non_sequence);
  CHECK(contains(sequences, "ReferencedImageSequence"));
  CHECK_FALSE(contains(others, "ReferencedImageSequence"));
  CHECK(contains(others, "PatientName"));
  for (const auto& k : sequences) {
    INFO(k);
    CHECK(vr_of(*tag_of(k)).name == "SQ");
  }
  for (const auto& k : others) {
    INFO(k);
    CHECK(vr_of(*tag_of(k)).name != "SQ");
  }
  CHECK(sequences.size() + others.size() == keywords("", keyword_kind::all).size());

  const auto filtered = keywords("referencedimage", keyword_kind::sequence);
  CHECK(contains(filtered, "ReferencedImageSequence"));
}
