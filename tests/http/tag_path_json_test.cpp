// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "dicom/tag_path.hpp"
#include "proto/json.hpp"
#include "proto/json_tag_path.hpp"

using namespace sbx;
using proto::tag_path;
namespace json = proto::json;

namespace {

tag_path parsed(std::string_view s, bool tree = false) {
  auto p = dicom::parse_tag_path(s, tree);
  return p;
}

tag_path read(std::string_view body, bool tree = false) {
  auto p = json::decode_tag_path(body, tree);
  dicom::resolve_names(p);
  return p;
}

}  // namespace

TEST_CASE("tag paths are written leaf first with previous steps nested", "[unit]") {
  CHECK(json::encode(parsed("DerivationCodeSequence[6].PatientID")) ==
        R"({"tag":1048608,"name":"PatientID","previous":)"
        R"({"tag":561685,"name":"DerivationCodeSequence","item":"6"}})");
  CHECK(json::encode(parsed("DerivationCodeSequence[*].(0019,0010)", true)) ==
        R"({"tag":1638416,"name":"","previous":)"
        R"({"tag":561685,"name":"DerivationCodeSequence","item":"*"}})");
  CHECK(json::encode(parsed("PatientName")) == R"({"tag":1048592,"name":"PatientName"})");
  // Tags of high groups are int32, as the original writes them.
  CHECK(json::encode(tag_path{{0xfffee000, "", false, 0}}) == R"({"tag":-73728,"name":""})");
}

TEST_CASE("tag path JSON round trips", "[unit]") {
  for (const auto* s : {"PatientID", "DerivationCodeSequence[2].PatientID",
                        "DerivationCodeSequence[1].SourceImageSequence[3].(0009,1001)",
                        "DerivationCodeSequence[3]"}) {
    INFO(s);
    CHECK(dicom::to_string(read(json::encode(parsed(s)))) == s);
  }
  const auto* t = "DerivationCodeSequence[*].SourceImageSequence[2].PatientName";
  CHECK(dicom::to_string(read(json::encode(parsed(t, true)), true)) == t);
}

TEST_CASE("tag path JSON reading rules", "[unit]") {
  SECTION("tag wins over name") {
    const auto p = read(R"({"tag":1048608,"name":"PatientName"})");
    REQUIRE(p.size() == 1);
    CHECK(p[0].name == "PatientID");
  }
  SECTION("a name alone is looked up") {
    const auto raw = json::decode_tag_path(R"({"name":"PatientID"})", false);
    CHECK(raw[0].tag == 0u);
    CHECK(raw[0].name == "PatientID");
    CHECK(read(R"({"name":"PatientID"})")[0].tag == 0x00100020u);
    auto unknown = json::decode_tag_path(R"({"name":"NoSuchKeyword"})", false);
    CHECK_THROWS_AS(dicom::resolve_names(unknown), std::invalid_argument);
  }
  SECTION("items: integer strings and integers; '*' only in trees") {
    CHECK(read(R"({"tag":561685,"item":"4"})")[0].item == 4);
    CHECK(read(R"({"tag":561685,"item":4})")[0].is_item);
    const auto any = read(R"({"tag":561685,"item":"*"})", true);
    CHECK(any[0].is_item);
    CHECK(any[0].item == 0);
    // In a plain tag path a non-integer item is ignored: the node is a tag.
    CHECK_FALSE(read(R"({"tag":561685,"item":"*"})")[0].is_item);
    CHECK_FALSE(read(R"({"tag":561685,"item":"x"})")[0].is_item);
  }
  SECTION("previous is kept only if it is an item step") {
    const auto kept =
        read(R"({"tag":1048608,"previous":{"name":"DerivationCodeSequence","item":"2"}})");
    CHECK(dicom::to_string(kept) == "DerivationCodeSequence[2].PatientID");
    const auto dropped = read(R"({"tag":1048608,"previous":{"tag":561685}})");
    CHECK(dicom::to_string(dropped) == "PatientID");
    const auto dropped_any = read(R"({"tag":1048608,"previous":{"tag":561685,"item":"*"}})");
    CHECK(dicom::to_string(dropped_any) == "PatientID");
  }
  SECTION("bad shapes are malformed") {
    for (const auto* bad : {"[]", "42", R"({"item":"1"})", R"({"tag":"x"})", R"({"name":""})",
                            R"({"tag":561685,"item":"0"})", "{"}) {
      INFO(bad);
      CHECK_THROWS_AS(json::decode_tag_path(std::string_view(bad), false), json::malformed);
    }
  }
  SECTION("whether the path addresses an element") {
    CHECK_FALSE(proto::addresses_element(read(R"({"tag":561685,"item":"1"})")));
    CHECK(proto::addresses_element(read(R"({"tag":1048608})")));
  }
}

TEST_CASE("image attributes and image information encode with the API's names", "[unit]") {
  proto::image_attribute a;
  a.tag_path = parsed("DerivationCodeSequence[1].PatientID");
  a.name_path = {"DerivationCodeSequence", "PatientID"};
  a.vr = "LO";
  a.length = 4;
  a.values = {"ab", "cd"};
  CHECK(json::encode(std::vector<proto::image_attribute>{a}) ==
        R"([{"tagPath":{"tag":1048608,"name":"PatientID","previous":{"tag":561685,)"
        R"("name":"DerivationCodeSequence","item":"1"}},"namePath":["DerivationCodeSequence",)"
        R"("PatientID"],"vr":"LO","length":4,"values":["ab","cd"]}])");
  CHECK(json::encode(proto::image_information{2, 8, -5, 134}) ==
        R"({"numberOfFrames":2,"frameIndex":8,"minimumPixelValue":-5,"maximumPixelValue":134})");
}
