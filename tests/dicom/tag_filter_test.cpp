// SPDX-License-Identifier: Apache-2.0
#include "dicom/tag_filter.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dicom/dataset_header.hpp"
#include "dicom/tag_path.hpp"
#include "support/dicom_files.hpp"
#include "support/phi_corpus.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::dicom;
using sbx::proto::tag_path;
namespace fs = std::filesystem;
using sbx::test::read_flat;
using sbx::test::require_tool;
using sbx::test::run_command;
using sbx::test::scratch_dir;

namespace {

const fs::path test_dcm = fs::path(SBX_FIXTURES_DIR) / "test.dcm";

tag_path path(std::string_view s) { return parse_tag_path(s, false); }
tag_path tree(std::string_view s) { return parse_tag_path(s, true); }

tag_filter blacklist(std::initializer_list<std::string_view> trees) {
  tag_filter f;
  for (auto t : trees) f.blacklist.push_back(tree(t));
  return f;
}

tag_filter whitelist(std::initializer_list<std::string_view> trees) {
  tag_filter f;
  for (auto t : trees) f.whitelist.push_back(tree(t));
  return f;
}

/// Every element of a file by its flat key ("(0054,0012)[1](0054,0013)"), with its value (for
/// sequences: "SQ" and the number of items).
std::map<std::string, std::string> elements(const fs::path& file) {
  std::map<std::string, std::string> out;
  for (const auto& e : read_flat(file))
    out[e.key] = e.sequence ? "SQ " + std::to_string(e.items) : e.value;
  return out;
}

/// The elements of `before` missing in `after`.
std::vector<std::string> removed(const std::map<std::string, std::string>& before,
                                 const std::map<std::string, std::string>& after) {
  std::vector<std::string> out;
  for (const auto& [key, value] : before)
    if (!after.count(key)) out.push_back(key);
  return out;
}

/// The elements of a file's File Meta Information.
std::map<std::string, std::string> meta_of(const std::map<std::string, std::string>& all) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : all)
    if (key.rfind("(0002,", 0) == 0) out[key] = value;
  return out;
}

void check_valid_part10(const fs::path& file) {
  require_tool("dcmdump");
  const auto [rc, out] = run_command("dcmdump -q -ml '" + file.string() + "' 2>&1");
  INFO(out);
  CHECK(rc == 0);
  CHECK_NOTHROW(read_header(file));
}

constexpr const char* ewis = "(0054,0012)";   // EnergyWindowInformationSequence
constexpr const char* ewrs = "(0054,0013)";   // EnergyWindowRangeSequence
constexpr const char* lower = "(0054,0014)";  // EnergyWindowLowerLimit
constexpr const char* upper = "(0054,0015)";  // EnergyWindowUpperLimit

std::string in_range_item(int item, const char* element) {
  return std::string(ewis) + "[1]" + ewrs + "[" + std::to_string(item) + "]" + element;
}

}  // namespace

TEST_CASE("keeps: blacklist trees match from the root", "[unit]") {
  const auto f = blacklist({"PatientName", "DerivationCodeSequence[*]", "ReferencedImageSequence",
                            "SourceImageSequence[2]"});
  CHECK_FALSE(keeps(f, path("PatientName"), false));
  CHECK(keeps(f, path("PatientID"), false));
  CHECK(keeps(f, path("SourceImageSequence[1].PatientName"), false));
  // [*] drops the sequence and everything in it.
  CHECK_FALSE(keeps(f, path("DerivationCodeSequence"), true));
  CHECK_FALSE(keeps(f, path("DerivationCodeSequence[3]"), false));
  CHECK_FALSE(keeps(f, path("DerivationCodeSequence[3].CodeValue"), false));
  // A plain sequence tag does not match the sequence (docs/api.md#filtering) nor its items.
  CHECK(keeps(f, path("ReferencedImageSequence"), true));
  CHECK(keeps(f, path("ReferencedImageSequence[1]"), false));
  // A concrete item: only that item.
  CHECK(keeps(f, path("SourceImageSequence"), true));
  CHECK(keeps(f, path("SourceImageSequence[1]"), false));
  CHECK_FALSE(keeps(f, path("SourceImageSequence[2]"), false));
  CHECK_FALSE(keeps(f, path("SourceImageSequence[2].ReferencedSOPInstanceUID"), false));
  CHECK(keeps(tag_filter{}, path("PatientName"), false));
}

TEST_CASE("keeps: whitelist trees keep their trunks and their insides", "[unit]") {
  const auto f =
      whitelist({"PatientID", "DerivationCodeSequence[2].CodeValue", "SourceImageSequence[*]"});
  CHECK(keeps(f, path("PatientID"), false));
  CHECK_FALSE(keeps(f, path("PatientName"), false));
  CHECK(keeps(f, path("DerivationCodeSequence"), true));
  CHECK(keeps(f, path("DerivationCodeSequence[2]"), false));
  CHECK(keeps(f, path("DerivationCodeSequence[2].CodeValue"), false));
  CHECK_FALSE(keeps(f, path("DerivationCodeSequence[1]"), false));
  CHECK_FALSE(keeps(f, path("DerivationCodeSequence[2].CodeMeaning"), false));
  CHECK(keeps(f, path("SourceImageSequence"), true));
  CHECK(keeps(f, path("SourceImageSequence[7].ReferencedSOPClassUID"), false));
  // Blacklist first, then whitelist.
  auto both = f;
  both.blacklist.push_back(tree("SourceImageSequence[7]"));
  CHECK_FALSE(keeps(both, path("SourceImageSequence[7].ReferencedSOPClassUID"), false));
  CHECK(keeps(both, path("SourceImageSequence[6].ReferencedSOPClassUID"), false));
}

TEST_CASE("filter_file drops blacklisted elements and whole sequences", "[unit]") {
  scratch_dir dir;
  const auto out = dir / "filtered.dcm";
  filter_file(test_dcm, out, blacklist({"PatientName", "EnergyWindowInformationSequence[*]"}));
  check_valid_part10(out);
  const auto before = elements(test_dcm);
  const auto after = elements(out);
  std::vector<std::string> expected{"(0010,0010)", ewis};
  for (const auto& [key, value] : before)
    if (key.rfind(std::string(ewis) + "[", 0) == 0) expected.push_back(key);
  std::sort(expected.begin(), expected.end());
  CHECK(removed(before, after) == expected);
  CHECK(after.size() == before.size() - expected.size());
  // Everything else as it was: meta header, values, pixel data.
  for (const auto& [key, value] : after) CHECK(before.at(key) == value);
  const auto h = read_header(out);
  CHECK(h.attributes.pat.patient_name.empty());
  CHECK(h.attributes.pat.patient_id == "anon270");
  CHECK(h.sop_class_uid == "1.2.840.10008.5.1.4.1.1.20");
}

TEST_CASE("filter_file drops single items and nested elements", "[unit]") {
  scratch_dir dir;
  const auto before = elements(test_dcm);

  const auto item = dir / "item.dcm";
  filter_file(test_dcm, item,
              blacklist({"EnergyWindowInformationSequence[1].EnergyWindowRangeSequence[2]"}));
  check_valid_part10(item);
  const auto without_item = elements(item);
  CHECK(removed(before, without_item) ==
        std::vector<std::string>{in_range_item(2, lower), in_range_item(2, upper)});
  CHECK(before.at(std::string(ewis) + "[1]" + ewrs) == "SQ 2");
  CHECK(without_item.at(std::string(ewis) + "[1]" + ewrs) == "SQ 1");
  CHECK(without_item.at(in_range_item(1, upper)) == before.at(in_range_item(1, upper)));

  const auto nested = dir / "nested.dcm";
  filter_file(test_dcm, nested,
              blacklist({"EnergyWindowInformationSequence[*].EnergyWindowRangeSequence[*]."
                         "EnergyWindowUpperLimit"}));
  check_valid_part10(nested);
  CHECK(removed(before, elements(nested)) ==
        std::vector<std::string>{in_range_item(1, upper), in_range_item(2, upper)});

  // A tree ending in the plain sequence tag leaves the sequence alone.
  const auto plain = dir / "plain.dcm";
  filter_file(test_dcm, plain, blacklist({"EnergyWindowInformationSequence"}));
  CHECK(removed(before, elements(plain)).empty());
}

TEST_CASE("filter_file keeps only whitelisted elements, their trunks and the meta header",
          "[unit]") {
  scratch_dir dir;
  const auto out = dir / "filtered.dcm";
  filter_file(test_dcm, out,
              whitelist({"PatientID", "SOPInstanceUID",
                         "EnergyWindowInformationSequence[1].EnergyWindowRangeSequence[2]."
                         "EnergyWindowLowerLimit"}));
  check_valid_part10(out);
  const auto before = elements(test_dcm);
  const auto after = elements(out);
  CHECK(meta_of(after) == meta_of(before));
  std::map<std::string, std::string> dataset;
  for (const auto& [key, value] : after)
    if (key.rfind("(0002,", 0) != 0) dataset[key] = value;
  std::vector<std::string> keys;
  for (const auto& [key, value] : dataset) keys.push_back(key);
  // The second range item is the only one left, so it is now the first.
  CHECK(keys == std::vector<std::string>{"(0008,0018)", "(0010,0020)", ewis,
                                         std::string(ewis) + "[1]" + ewrs,
                                         in_range_item(1, lower)});
  CHECK(dataset.at(in_range_item(1, lower)) == before.at(in_range_item(2, lower)));
  CHECK(dataset.at(ewis) == "SQ 1");
  CHECK(dataset.at(std::string(ewis) + "[1]" + ewrs) == "SQ 1");
  const auto h = read_header(out);
  CHECK(h.attributes.pat.patient_id == "anon270");
  CHECK(h.attributes.pat.patient_name.empty());
  CHECK(h.attributes.stu.study_instance_uid.empty());
  CHECK_FALSE(h.attributes.img.sop_instance_uid.empty());
}

TEST_CASE("filter_file drops group lengths and explicit lengths, in any encoding", "[unit]") {
  require_tool("dcmconv");
  scratch_dir dir;
  // GDCM keeps a defined-length sequence of implicit-VR data as bytes: nested values are
  // compared with the original's.
  const auto original = elements(test_dcm);
  for (const std::string options : {"+g +e", "+ti +g +e", "+tb +g +e"}) {
    INFO(options);
    const auto in = dir / "in.dcm";
    fs::remove(in);
    const auto [rc, log] = run_command("dcmconv " + options + " '" + test_dcm.string() + "' '" +
                                       in.string() + "' 2>&1");
    INFO(log);
    REQUIRE(rc == 0);
    REQUIRE_NOTHROW(read_header(in));
    const auto out = dir / "out.dcm";
    fs::remove(out);
    filter_file(in, out,
                blacklist({"PatientName",
                           "EnergyWindowInformationSequence[1].EnergyWindowRangeSequence[1]"}));
    check_valid_part10(out);
    const auto before = elements(in);
    const auto after = elements(out);
    for (const auto& [key, value] : after) {
      const bool group_length = key.size() >= 11 && key.compare(6, 4, "0000") == 0;
      CHECK((!group_length || key == "(0002,0000)"));
    }
    CHECK_FALSE(after.count("(0010,0010)"));
    CHECK_FALSE(after.count(in_range_item(2, upper)));
    CHECK(after.at(in_range_item(1, upper)) == original.at(in_range_item(2, upper)));
    CHECK(after.at("(7FE0,0010)") == before.at("(7FE0,0010)"));
    CHECK(meta_of(after) == meta_of(before));
    const auto [dump_rc, dump] = run_command("dcmdump -q '" + out.string() + "' 2>&1");
    CHECK(dump.find("explicit length") == std::string::npos);
  }
}

TEST_CASE("filter_file handles every readable pydicom sample", "[unit]") {
  scratch_dir dir;
  int done = 0;
  for (const auto& sample : sbx::test::pydicom_samples()) {
    try {
      read_header(sample);
    } catch (const invalid_dicom&) {
      continue;
    }
    INFO(sample);
    const auto out = dir / ("out" + std::to_string(done++) + ".dcm");
    filter_file(sample, out, blacklist({"PatientName", "(0008,1140)[*]"}));
    header_info h;
    REQUIRE_NOTHROW(h = read_header(out));
    CHECK(h.attributes.pat.patient_name.empty());
    // Without a meta header GDCM writes one; otherwise it is kept.
    const auto ts = read_header(sample).transfer_syntax_uid;
    if (!ts.empty()) CHECK(h.transfer_syntax_uid == ts);
  }
  WARN("filtered " << done << " pydicom samples");
}
