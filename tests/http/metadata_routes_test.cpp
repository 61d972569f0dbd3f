// SPDX-License-Identifier: Apache-2.0
// Spec part A §11.1, §11.2 over HTTP: test cases 18-35, 40, 41.
#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

namespace {

client_response upload(const running_node& n, const std::string& bytes) {
  return n.client().request("POST", "/api/images", bytes, {basic_auth("admin", "admin")});
}

/// Fixture F2: patient p1 with studies stuid1, stuid2, each with two series (seuid1..4), each
/// with two images (souid1..8), instance number 1.
void f2(const running_node& n) {
  int image = 1;
  for (int study = 1; study <= 2; ++study)
    for (int series = 1; series <= 2; ++series) {
      auto se = "seuid" + std::to_string((study - 1) * 2 + series);
      for (int i = 0; i < 2; ++i, ++image)
        REQUIRE(upload(n, f1_in("p1", "stuid" + std::to_string(study), se,
                                "souid" + std::to_string(image)))
                    .status == 201);
    }
}

rapidjson::Document get(const running_node& n, const std::string& target) {
  auto r = n.admin("GET", target);
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

rapidjson::Document query(const running_node& n, const std::string& level,
                          const std::string& body) {
  auto r = n.admin("POST", "/api/metadata/" + level + "/query", body);
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

std::string eq(const std::string& property, const std::string& value) {
  return R"({"startIndex":0,"count":100,"queryProperties":[{"propertyName":")" + property +
         R"(","operator":"=","propertyValue":")" + value + R"("}]})";
}

std::string id_str(const rapidjson::Value& v) { return std::to_string(v["id"].GetInt64()); }

}  // namespace

TEMPLATE_TEST_CASE("listings on an empty node are empty", "[http][metadata]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  CHECK(n.admin("GET", "/api/metadata/patients").body == "[]");
  CHECK(n.admin("GET", "/api/metadata/flatseries").body == "[]");
  CHECK(n.admin("GET", "/api/metadata/seriestags").body == "[]");
  CHECK(n.admin("GET", "/api/metadata/patients/1234").status == 404);
  CHECK(n.admin("GET",
                "/api/metadata/patients?sources=user:22,scp:5&seriestypes=3,4,11&seriestags=22,3,1")
            .body == "[]");
}

TEMPLATE_TEST_CASE("the hierarchy of fixture F2 lists level by level", "[http][metadata]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  f2(n);
  auto patients = get(n, "/api/metadata/patients?orderby=patientID");
  REQUIRE(patients.Size() == 1);
  CHECK(std::string(patients[0]["patientName"]["value"].GetString()) == "p1");
  auto p = id_str(patients[0]);
  auto studies = get(n, "/api/metadata/studies?patientid=" + p);
  REQUIRE(studies.Size() == 2);
  auto series = get(n, "/api/metadata/series?studyid=" + id_str(studies[0]));
  REQUIRE(series.Size() == 2);
  CHECK(get(n, "/api/metadata/images?seriesid=" + id_str(series[0])).Size() == 2);
  CHECK(get(n, "/api/metadata/studies?patientid=" + p +
                   "&sources=user:22,scp:5&seriestypes=3,4,11&seriestags=22,3,1")
            .Size() == 0);
  CHECK(get(n, "/api/metadata/studies?patientid=999").Size() == 0);
  CHECK(n.admin("GET", "/api/metadata/studies").status == 404);
  CHECK(n.admin("GET", "/api/metadata/series?studyid=x").status == 400);

  CHECK(get(n, "/api/metadata/flatseries").Size() == 4);
  CHECK(get(n, "/api/metadata/flatseries?orderby=patientID").Size() == 4);
  CHECK(n.admin("GET", "/api/metadata/flatseries?orderby=syntaxerror").status == 400);
  auto bad = n.admin("GET", "/api/metadata/patients?orderby=syntaxerror");
  CHECK(bad.status == 400);
  CHECK(bad.body == "Property syntaxerror does not exist");

  auto images_of_study = get(n, "/api/metadata/studies/" + id_str(studies[0]) + "/images");
  REQUIRE(images_of_study.Size() == 4);
  CHECK(std::string(images_of_study[0]["sopInstanceUID"]["value"].GetString()) == "souid1");
  CHECK(get(n, "/api/metadata/studies/666/images").Size() == 0);
  CHECK(get(n, "/api/metadata/patients/" + p + "/images").Size() == 8);
  CHECK(get(n, "/api/metadata/patients/666/images").Size() == 0);

  auto flat = get(n, "/api/metadata/flatseries/" + id_str(series[0]));
  CHECK(std::string(flat["series"]["seriesInstanceUID"]["value"].GetString()).rfind("seuid", 0) ==
        0);
  CHECK(flat["id"].GetInt64() == series[0]["id"].GetInt64());
}

TEMPLATE_TEST_CASE("queries match with = and like, order and page", "[http][metadata]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  f2(n);
  CHECK(query(n, "patients", eq("patientName", "p1")).Size() == 1);
  CHECK(query(n, "studies", eq("studyInstanceUID", "stuid1")).Size() == 1);
  CHECK(query(n, "series", eq("seriesInstanceUID", "seuid1")).Size() == 1);
  CHECK(query(n, "images", eq("instanceNumber", "1")).Size() == 8);
  CHECK(query(n, "flatseries", eq("seriesInstanceUID", "seuid1")).Size() == 1);
  REQUIRE(upload(n, f1_in("p2", "stuid9", "seuid9", "souid9")).status == 201);
  auto like = query(
      n, "patients",
      R"({"startIndex":0,"count":10,"queryProperties":[{"propertyName":"patientName","operator":"like","propertyValue":"%p%"}]})");
  REQUIRE(like.Size() == 2);
  CHECK(std::string(like[0]["patientName"]["value"].GetString()) == "p1");
  auto desc = query(
      n, "patients",
      R"({"startIndex":0,"count":10,"order":{"orderBy":"patientName","orderAscending":false},"queryProperties":[]})");
  REQUIRE(desc.Size() == 2);
  CHECK(std::string(desc[0]["patientName"]["value"].GetString()) == "p2");
  auto page = query(
      n, "patients",
      R"({"startIndex":1,"count":1,"order":{"orderBy":"patientName","orderAscending":false},"queryProperties":[]})");
  REQUIRE(page.Size() == 1);
  CHECK(std::string(page[0]["patientName"]["value"].GetString()) == "p1");
  CHECK(n.admin("POST", "/api/metadata/patients/query", eq("nosuchcolumn", "x")).status == 400);
  CHECK(
      n.admin(
           "POST", "/api/metadata/patients/query",
           R"({"startIndex":0,"count":10,"queryProperties":[{"propertyName":"patientName","operator":"<>","propertyValue":"x"}]})")
          .status == 400);
  CHECK(n.admin("POST", "/api/metadata/patients/query", "{").status == 400);
}

TEMPLATE_TEST_CASE("filter and query values are data, never SQL", "[http][metadata]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  REQUIRE(upload(n, f1_in("O'BRIEN^JOHN", "st", "se", "so")).status == 201);
  CHECK(get(n, "/api/metadata/patients?filter=O%27Brien").Size() == 1);
  CHECK(get(n, "/api/metadata/patients?filter=%27%20OR%20%271%27%3D%271").Size() == 0);
  CHECK(query(n, "patients", eq("patientName", "' OR '1'='1")).Size() == 0);
  CHECK(get(n, "/api/metadata/flatseries?filter=%22%3B%20DROP%20TABLE%20patients%3B--").Size() ==
        0);
  CHECK(get(n, "/api/metadata/patients").Size() == 1);
}

TEMPLATE_TEST_CASE("series sources and the sources filter", "[http][metadata]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto image = parse_json(upload(n, f1_in("p1", "st", "se", "so")).body);
  auto series = std::to_string(image["seriesId"].GetInt64());
  auto source = get(n, "/api/metadata/series/" + series + "/source");
  CHECK(std::string(source["sourceType"].GetString()) == "user");
  CHECK(std::string(source["sourceName"].GetString()) == "admin");
  CHECK(source["sourceId"].GetInt64() == 1);
  CHECK(n.admin("GET", "/api/metadata/series/666/source").status == 404);
  CHECK(get(n, "/api/metadata/patients?sources=user:1").Size() == 1);
  CHECK(get(n, "/api/metadata/patients?sources=box:1").Size() == 0);
  CHECK(get(n, "/api/metadata/flatseries?sources=user:1,box:3").Size() == 1);
  auto bad = n.admin("GET", "/api/metadata/patients?sources=user");
  CHECK(bad.status == 400);
  CHECK(bad.body.rfind("Sources parameter must be formatted", 0) == 0);
  CHECK(n.admin("GET", "/api/metadata/patients?seriestags=a,b").status == 400);
  CHECK(
      query(
          n, "patients",
          R"({"startIndex":0,"count":10,"queryProperties":[],"filters":{"sourceRefs":[{"sourceType":"user","sourceId":1}],"seriesTypeIds":[],"seriesTagIds":[]}})")
          .Size() == 1);
  CHECK(
      query(
          n, "patients",
          R"({"startIndex":0,"count":10,"queryProperties":[],"filters":{"sourceRefs":[{"sourceType":"box","sourceId":666}],"seriesTypeIds":[],"seriesTagIds":[]}})")
          .Size() == 0);
}

TEMPLATE_TEST_CASE("series tags: link, list, filter by, unlink, rename, delete", "[http][metadata]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto image = parse_json(upload(n, f1_in("p1", "st", "se", "so")).body);
  auto series = std::to_string(image["seriesId"].GetInt64());
  auto missing =
      n.admin("POST", "/api/metadata/series/666/seriestags", R"({"id":-1,"name":"Tag1"})");
  CHECK(missing.status == 404);
  auto t1 = n.admin("POST", "/api/metadata/series/" + series + "/seriestags",
                    R"({"id":-1,"name":"Tag1"})");
  REQUIRE(t1.status == 201);
  CHECK(std::string(parse_json(t1.body)["name"].GetString()) == "Tag1");
  REQUIRE(n.admin("POST", "/api/metadata/series/" + series + "/seriestags",
                  R"({"id":-1,"name":"Tag2"})")
              .status == 201);
  CHECK(n.admin("POST", "/api/metadata/series/" + series + "/seriestags",
                R"({"id":-1,"name":"Tag2"})")
            .status == 201);
  CHECK(get(n, "/api/metadata/seriestags").Size() == 2);
  CHECK(get(n, "/api/metadata/series/" + series + "/seriestags").Size() == 2);
  auto tag1 = id_str(parse_json(t1.body));
  CHECK(get(n, "/api/metadata/patients?seriestags=" + tag1).Size() == 1);
  CHECK(get(n, "/api/metadata/patients?seriestags=666").Size() == 0);

  CHECK(n.admin("DELETE", "/api/metadata/series/" + series + "/seriestags/" + tag1).status == 204);
  CHECK(get(n, "/api/metadata/series/" + series + "/seriestags").Size() == 1);
  CHECK(get(n, "/api/metadata/seriestags").Size() == 2);

  CHECK(n.admin("GET", "/api/metadata/seriestags/" + tag1).status == 200);
  CHECK(n.admin("GET", "/api/metadata/seriestags/666").status == 404);
  CHECK(n.admin("POST", "/api/metadata/seriestags", R"({"id":-1,"name":"Tag1"})").status == 400);
  CHECK(n.admin("POST", "/api/metadata/seriestags", R"({"id":-1,"name":"Tag3"})").status == 201);
  auto renamed = n.admin("PUT", "/api/metadata/seriestags/" + tag1,
                         R"({"id":)" + tag1 + R"(,"name":"Renamed"})");
  CHECK(renamed.status == 200);
  CHECK(
      n.admin("PUT", "/api/metadata/seriestags/" + tag1, R"({"id":)" + tag1 + R"(,"name":"Tag3"})")
          .status == 400);
  CHECK(n.admin("PUT", "/api/metadata/seriestags/1", R"({"id":666,"name":"x"})").status == 404);
  CHECK(get(n, "/api/metadata/seriestags?filter=Ren").Size() == 1);
  CHECK(n.admin("DELETE", "/api/metadata/seriestags/" + tag1).status == 204);
  CHECK(get(n, "/api/metadata/seriestags").Size() == 2);
}
