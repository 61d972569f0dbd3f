// SPDX-License-Identifier: Apache-2.0
#include "dicom/attributes.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "dicom/dataset_header.hpp"
#include "dicom/tag_path.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::dicom;
using sbx::proto::image_attribute;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = SBX_FIXTURES_DIR;
const fs::path pydicom_data = "/usr/lib/python3/dist-packages/pydicom/data";

const image_attribute* find(const std::vector<image_attribute>& list, const std::string& path) {
  const auto it =
      std::ranges::find_if(list, [&](const auto& a) { return to_string(a.tag_path) == path; });
  return it == list.end() ? nullptr : &*it;
}

bool readable(const fs::path& p) {
  try {
    read_header(p);
    return true;
  } catch (const invalid_dicom&) {
    return false;
  }
}

}  // namespace

TEST_CASE("attributes of test.dcm are listed in stream order with meta information", "[unit]") {
  const auto list = read_attributes(fixtures / "test.dcm");
  REQUIRE(list.size() > 50);
  CHECK(to_string(list.front().tag_path) == "FileMetaInformationGroupLength");
  CHECK(list.front().vr == "UL");
  CHECK(list.front().values == std::vector<std::string>{"184"});
  CHECK(find(list, "FileMetaInformationVersion")->values == std::vector<std::string>{"00 01"});
  CHECK(to_string(list[6].tag_path) == "ImageType");
  CHECK(list[6].values == std::vector<std::string>{"ORIGINAL", "PRIMARY", "STATIC", "EMISSION"});
  CHECK(list[6].length == 32);

  const auto* age = find(list, "PatientAge");
  REQUIRE(age);
  CHECK(age->vr == "AS");
  CHECK(age->values == std::vector<std::string>{"011Y"});
  CHECK(find(list, "StudyDescription")->values ==
        std::vector<std::string>{"Statisk njurscintigrafi"});
  CHECK(find(list, "PatientBirthDate")->values.empty());
  CHECK(find(list, "FrameIncrementPointer")->values ==
        std::vector<std::string>{"(0054,0010)", "(0054,0020)"});
  CHECK(find(list, "LargestImagePixelValue")->values == std::vector<std::string>{"134"});
  CHECK(find(list, "PixelSpacing")->values == std::vector<std::string>{"1.066407", "1.066407"});

  const auto* priv = find(list, "(0019,0010)");
  REQUIRE(priv);
  CHECK(priv->name_path == std::vector<std::string>{""});
  CHECK(priv->values == std::vector<std::string>{"ADAC_IMG"});

  // Nothing at or past the root pixel data, no items or delimiters.
  for (const auto& a : list) {
    CHECK(a.tag_path.front().tag < 0x7fe00010u);
    CHECK((a.tag_path.back().tag >> 16) != 0xfffe);
    CHECK(a.name_path.size() == a.tag_path.size());
  }
}

TEST_CASE("nested attributes carry item trunks and name paths", "[unit]") {
  const auto list = read_attributes(fixtures / "test.dcm");
  const auto* seq = find(list, "EnergyWindowInformationSequence");
  REQUIRE(seq);
  CHECK(seq->vr == "SQ");
  CHECK(seq->length == -1);
  CHECK(seq->values.empty());

  const auto* upper = find(
      list,
      "EnergyWindowInformationSequence[1].EnergyWindowRangeSequence[2].EnergyWindowUpperLimit");
  REQUIRE(upper);
  CHECK(upper->vr == "DS");
  CHECK(upper->length == 4);
  CHECK(upper->values == std::vector<std::string>{"147"});
  CHECK(upper->name_path == std::vector<std::string>{"EnergyWindowInformationSequence",
                                                     "EnergyWindowRangeSequence",
                                                     "EnergyWindowUpperLimit"});
  REQUIRE(upper->tag_path.size() == 3);
  CHECK(upper->tag_path[0].tag == 0x00540012u);
  CHECK(upper->tag_path[0].is_item);
  CHECK(upper->tag_path[0].item == 1);
  CHECK(upper->tag_path[1].tag == 0x00540013u);
  CHECK(upper->tag_path[1].item == 2);
  CHECK_FALSE(upper->tag_path[2].is_item);
  CHECK(upper->tag_path[2].tag == 0x00540015u);

  // The sequence entry comes right before its first item's elements (depth first).
  const auto at = [&](const std::string& p) {
    return std::ranges::find_if(list, [&](const auto& a) { return to_string(a.tag_path) == p; }) -
           list.begin();
  };
  CHECK(at("EnergyWindowInformationSequence") + 1 ==
        at("EnergyWindowInformationSequence[1].EnergyWindowRangeSequence"));
}

TEST_CASE("image information of test.dcm", "[unit]") {
  const auto info = read_image_information(fixtures / "test.dcm");
  CHECK(info.number_of_frames == 1);
  CHECK(info.frame_index == 8);
  CHECK(info.minimum_pixel_value == 0);
  CHECK(info.maximum_pixel_value == 134);
}

TEST_CASE("strings are decoded per SpecificCharacterSet, items may change it", "[unit]") {
  const auto charsets = pydicom_data / "charset_files";
  if (!fs::exists(charsets / "chrFren.dcm")) {
    WARN("python3-pydicom is not installed");
    return;
  }
  const auto fren = read_attributes(charsets / "chrFren.dcm");
  CHECK(find(fren, "PatientName")->values == std::vector<std::string>{"Buc^Jérôme"});

  // Root ISO_IR 192, the item ISO 2022 (JIS X 0201 + JIS X 0208).
  const auto sq = read_attributes(charsets / "chrSQEncoding.dcm");
  const auto* name = find(sq, "RequestedProcedureCodeSequence[1].PatientName");
  REQUIRE(name);
  CHECK(name->values == std::vector<std::string>{"ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"});
}

TEST_CASE("big endian values are read in native order", "[unit]") {
  const auto file = pydicom_data / "test_files" / "MR_small_bigendian.dcm";
  if (!fs::exists(file)) {
    WARN("python3-pydicom is not installed");
    return;
  }
  const auto list = read_attributes(file);
  CHECK(find(list, "Rows")->values == std::vector<std::string>{"64"});
  CHECK(find(list, "TransferSyntaxUID")->values == std::vector<std::string>{"1.2.840.10008.1.2.2"});
}

TEST_CASE("every pydicom sample that ingest accepts lists its attributes", "[unit]") {
  const auto samples = sbx::test::pydicom_samples();
  if (samples.empty()) {
    WARN("python3-pydicom is not installed");
    return;
  }
  int listed = 0;
  for (const auto& s : samples) {
    if (!readable(s)) continue;
    INFO(s);
    std::vector<image_attribute> list;
    REQUIRE_NOTHROW(list = read_attributes(s));
    REQUIRE_NOTHROW(read_image_information(s));
    for (const auto& a : list) {
      REQUIRE_FALSE(a.tag_path.empty());
      CHECK(addresses_element(a.tag_path));
      CHECK(a.tag_path.front().tag != 0x7fe00010u);
      CHECK((a.tag_path.back().tag >> 16) != 0xfffe);
      if (a.vr == "SQ") CHECK(a.values.empty());
      if (a.length == -1)
        CHECK((a.vr == "SQ" || a.values == std::vector<std::string>{"< Fragments >"}));
      if ((a.vr == "OB" || a.vr == "OW") && a.length > 20) {
        CHECK(a.values == std::vector<std::string>{"< Binary data >"});
      }
    }
    ++listed;
  }
  CHECK(listed > 20);
}
