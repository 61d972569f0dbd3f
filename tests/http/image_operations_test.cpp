// SPDX-License-Identifier: Apache-2.0
// GET /api/images/{id}/attributes, /imageinformation, /png and POST /api/images/jpeg.
#include <png.h>

#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

namespace {

std::string upload_f1(const running_node& n) {
  return std::to_string(upload_id(n, fixture("test.dcm")));
}

std::pair<unsigned, unsigned> png_size(const std::string& png) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&img, png.data(), png.size()) != 0);
  std::pair<unsigned, unsigned> size{img.width, img.height};
  png_image_free(&img);
  return size;
}

}  // namespace

TEMPLATE_TEST_CASE("GET /images/{id}/attributes lists the dataset", "[http][images]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload_f1(n);
  auto r = n.admin("GET", "/api/images/" + id + "/attributes");
  REQUIRE(r.status == 200);
  auto attributes = parse_json(r.body);
  REQUIRE(attributes.Size() > 10);
  bool found_nested = false, found_age = false;
  for (const auto& a : attributes.GetArray()) {
    const auto& names = a["namePath"];
    std::string last = names[names.Size() - 1].GetString();
    if (last == "PatientAge") found_age = std::string(a["values"][0].GetString()) == "011Y";
    if (last == "EnergyWindowUpperLimit" && names.Size() == 3 &&
        std::string(a["tagPath"]["previous"]["item"].GetString()) == "2")
      found_nested = std::string(a["values"][0].GetString()) == "147";
  }
  CHECK(found_age);
  CHECK(found_nested);
  CHECK(n.admin("GET", "/api/images/666/attributes").status == 404);
}

TEMPLATE_TEST_CASE("GET /images/{id}/imageinformation", "[http][images]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto id = upload_f1(n);
  auto info = parse_json(n.admin("GET", "/api/images/" + id + "/imageinformation").body);
  CHECK(info["numberOfFrames"].GetInt() == 1);
  CHECK(info.HasMember("frameIndex"));
  CHECK(info.HasMember("minimumPixelValue"));
  CHECK(info.HasMember("maximumPixelValue"));
  CHECK(n.admin("GET", "/api/images/666/imageinformation").status == 404);
}

TEMPLATE_TEST_CASE("GET /images/{id}/png renders, windows and scales", "[http][images]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload_f1(n);
  auto plain = n.admin("GET", "/api/images/" + id + "/png");
  REQUIRE(plain.status == 200);
  CHECK(plain.header("Content-Type").value_or("") == "image/png");
  auto [w, h] = png_size(plain.body);
  CHECK(w > 0);
  CHECK(h > 0);
  auto windowed = n.admin("GET", "/api/images/" + id + "/png?windowmin=10&windowmax=100");
  REQUIRE(windowed.status == 200);
  CHECK(windowed.body != plain.body);
  auto scaled = n.admin("GET", "/api/images/" + id + "/png?imageheight=400");
  REQUIRE(scaled.status == 200);
  CHECK(png_size(scaled.body).second == 400);
  CHECK(n.admin("GET", "/api/images/" + id + "/png?framenumber=2").status == 400);
  CHECK(n.admin("GET", "/api/images/" + id + "/png?framenumber=x").status == 400);
  CHECK(n.admin("GET", "/api/images/666/png").status == 404);
}

TEMPLATE_TEST_CASE("POST /images/jpeg wraps a JPEG into a new series of the study",
                   "[http][images]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload_f1(n);
  auto image = parse_json(n.admin("GET", "/api/metadata/images/" + id).body);
  auto series = parse_json(
      n.admin("GET", "/api/metadata/series/" + std::to_string(image["seriesId"].GetInt64())).body);
  auto study = std::to_string(series["studyId"].GetInt64());
  auto r = n.client().request(
      "POST", "/api/images/jpeg?studyid=" + study + "&description=this%20is%20the%20description",
      fixture("cat.jpg"), {basic_auth("admin", "admin")});
  REQUIRE(r.status == 201);
  auto wrapped = parse_json(r.body);
  CHECK(wrapped["seriesId"].GetInt64() != image["seriesId"].GetInt64());
  auto new_series = parse_json(
      n.admin("GET", "/api/metadata/series/" + std::to_string(wrapped["seriesId"].GetInt64()))
          .body);
  CHECK(std::string(new_series["seriesDescription"]["value"].GetString()) ==
        "this is the description");
  CHECK(new_series["studyId"].GetInt64() == series["studyId"].GetInt64());
  auto png = n.admin("GET", "/api/images/" + std::to_string(wrapped["id"].GetInt64()) + "/png");
  CHECK(png.status == 200);
  CHECK(png.body.size() > 0);

  CHECK(n.client()
            .request("POST", "/api/images/jpeg?studyid=666", fixture("cat.jpg"),
                     {basic_auth("admin", "admin")})
            .status == 404);
  auto bad = n.client().request("POST", "/api/images/jpeg?studyid=" + study,
                                std::string("\x01\x02\x03\x04", 4), {basic_auth("admin", "admin")});
  CHECK(bad.status == 400);
  CHECK(bad.body == "JPEG stream does not start with FF D8 FF");
  CHECK(n.client()
            .request("POST", "/api/images/jpeg", fixture("cat.jpg"), {basic_auth("admin", "admin")})
            .status == 404);
}

TEMPLATE_TEST_CASE("PUT /images/{id}/modify stores a changed copy and deletes the original",
                   "[http][images]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload_f1(n);
  auto image = parse_json(n.admin("GET", "/api/metadata/images/" + id).body);
  auto series = std::to_string(image["seriesId"].GetInt64());
  REQUIRE(n.admin("POST", "/api/metadata/series/" + series + "/seriestags",
                  R"({"id":-1,"name":"Tag1"})")
              .status == 201);
  REQUIRE(n.admin("POST", "/api/metadata/series/" + series + "/seriestags",
                  R"({"id":-1,"name":"Tag2"})")
              .status == 201);
  auto r = n.admin("PUT", "/api/images/" + id + "/modify", R"([
    {"tagPath":{"tag":1052688,"name":"PatientAge"},"value":"123Y"},
    {"tagPath":{"tag":2625619,"name":"RescaleSlope"},"value":"2.5"},
    {"tagPath":{"tag":5505045,"name":"EnergyWindowUpperLimit","previous":{"tag":5505043,"name":"EnergyWindowRangeSequence","item":"2","previous":{"tag":5505042,"name":"EnergyWindowInformationSequence","item":"1"}}},"value":"999"}
  ])");
  REQUIRE(r.status == 201);
  auto fresh = parse_json(r.body);
  auto fresh_id = std::to_string(fresh["id"].GetInt64());
  CHECK(fresh_id != id);
  CHECK(n.admin("GET", "/api/images/" + id).status == 404);
  auto attributes = n.admin("GET", "/api/images/" + fresh_id + "/attributes").body;
  CHECK(attributes.find("\"123Y\"") != std::string::npos);
  CHECK(attributes.find("\"2.5\"") != std::string::npos);
  CHECK(attributes.find("\"999\"") != std::string::npos);
  auto fresh_series = std::to_string(fresh["seriesId"].GetInt64());
  auto source = parse_json(n.admin("GET", "/api/metadata/series/" + fresh_series + "/source").body);
  CHECK(std::string(source["sourceType"].GetString()) == "user");
  CHECK(parse_json(n.admin("GET", "/api/metadata/series/" + fresh_series + "/seriestags").body)
            .Size() == 2);
  CHECK(n.admin("PUT", "/api/images/666/modify", "[]").status == 404);
  CHECK(n.admin("PUT", "/api/images/" + fresh_id + "/modify", "[{}]").status == 400);
  CHECK(n.admin("PUT", "/api/images/" + fresh_id + "/modify",
                R"([{"tagPath":{"name":"NoSuchKeyword"},"value":"x"}])")
            .status == 400);
}
