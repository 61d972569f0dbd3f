// SPDX-License-Identifier: Apache-2.0
// /api/dicom/dictionary/... (docs/api.md#dicom-dictionary).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>

#include "http/json_view.hpp"
#include "http/running_node.hpp"

using namespace sbx::test;

TEST_CASE("dictionary look-ups are public and answer as Slicebox does", "[http][dictionary]") {
  running_node n{sbx::persistence::backend::sqlite};
  auto c = n.client();
  auto keyword = c.request("GET", "/api/dicom/dictionary/keyword?tag=1048592");
  REQUIRE(keyword.status == 200);
  CHECK(std::string(parse_json(keyword.body)["keyword"].GetString()) == "PatientName");
  CHECK(c.request("GET", "/api/dicom/dictionary/keyword?tag=-1").status == 404);
  CHECK(c.request("GET", "/api/dicom/dictionary/keyword?tag=4294967295").status == 404);
  CHECK(c.request("GET", "/api/dicom/dictionary/keyword").status == 404);
  CHECK(c.request("GET", "/api/dicom/dictionary/keyword?tag=x").status == 400);

  auto vr = parse_json(c.request("GET", "/api/dicom/dictionary/vr?tag=1048592").body);
  CHECK(std::string(vr["name"].GetString()) == "PN");
  CHECK(vr["code"].GetInt() == 0x504E);
  auto unknown_vr = parse_json(c.request("GET", "/api/dicom/dictionary/vr?tag=-1").body);
  CHECK(std::string(unknown_vr["name"].GetString()) == "UN");
  CHECK(unknown_vr["code"].GetInt() == 21838);

  auto vm = parse_json(c.request("GET", "/api/dicom/dictionary/vm?tag=1048592").body);
  CHECK(vm["min"].GetInt() == 1);
  CHECK(vm["max"].GetInt() == 1);
  auto unknown_vm = parse_json(c.request("GET", "/api/dicom/dictionary/vm?tag=-1").body);
  CHECK(unknown_vm["min"].GetInt() == 1);
  CHECK_FALSE(unknown_vm.HasMember("max"));

  auto tag = parse_json(c.request("GET", "/api/dicom/dictionary/tag?keyword=PatientName").body);
  CHECK(tag["tag"].GetInt64() == 1048592);
  CHECK(c.request("GET", "/api/dicom/dictionary/tag?keyword=abc").status == 404);

  auto keywords =
      parse_json(c.request("GET", "/api/dicom/dictionary/keywords?filter=atientnam").body);
  const auto& list = keywords["keywords"];
  REQUIRE(list.Size() > 0);
  bool has_patient_name = false;
  for (const auto& k : list.GetArray()) {
    std::string s = k.GetString();
    has_patient_name |= s == "PatientName";
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    CHECK(s.find("atientnam") != std::string::npos);
  }
  CHECK(has_patient_name);

  auto sequences =
      c.request("GET", "/api/dicom/dictionary/keywords/sequence?filter=ReferencedImage");
  CHECK(sequences.body.find("\"ReferencedImageSequence\"") != std::string::npos);
  auto others =
      c.request("GET", "/api/dicom/dictionary/keywords/nonsequence?filter=ReferencedImage");
  CHECK(others.body.find("\"ReferencedImageSequence\"") == std::string::npos);
}
