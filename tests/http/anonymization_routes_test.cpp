// SPDX-License-Identifier: Apache-2.0
// Spec part A §7.7, §7.9, §11.4 (keys, options, CSV): test cases 46-49.
#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "persistence/anonymization_repo.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

namespace {

/// Inserts a key straight into the node's database, as the anonymization routes will.
std::int64_t insert_key(const running_node& n, const std::string& patient_name,
                        std::int64_t image_id,
                        std::vector<sbx::proto::anonymization_key_value> values = {}) {
  auto db =
      sbx::persistence::open_database({n.config().sqlite_path.string(), n.config().database_url});
  sbx::persistence::anonymization_repo repo{*db};
  sbx::proto::anonymization_key k;
  k.created = 1000 + image_id;
  k.image_id = image_id;
  k.patient_name = patient_name;
  k.anon_patient_name = "anon " + patient_name;
  k.patient_id = "pid " + patient_name;
  k.anon_patient_id = "2.25.1" + std::to_string(image_id);
  sbx::persistence::transaction tx{*db};
  auto stored = repo.insert(k, values);
  tx.commit();
  return stored.id;
}

}  // namespace

TEMPLATE_TEST_CASE("GET /anonymization/options lists the supported retain options",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto r = n.admin("POST", "/api/anonymization/options");
  REQUIRE(r.status == 200);
  auto options = parse_json(r.body);
  REQUIRE(options.Size() == 6);
  CHECK(std::string(options[0]["name"].GetString()) == "RETAIN_LONGITUDINAL_TEMPORAL_INFORMATION");
  CHECK(std::string(options[4]["name"].GetString()) == "RETAIN_UIDS");
  CHECK(std::string(options[4]["title"].GetString()) == "Retain UIDs");
  CHECK(options[4]["rank"].GetInt() == 120);
  CHECK(std::string(options[5]["name"].GetString()) == "RETAIN_SAFE_PRIVATE");
}

TEMPLATE_TEST_CASE("keys are listed, ordered, fetched, queried and deleted",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto b = insert_key(n, "B", 1);
  auto a = insert_key(n, "A", 2);
  auto all = parse_json(n.admin("GET", "/api/anonymization/keys").body);
  REQUIRE(all.Size() == 2);
  CHECK(all[0]["id"].GetInt64() == b);
  CHECK(std::string(all[0]["anonPatientName"].GetString()) == "anon B");
  auto first = parse_json(
      n.admin(
           "GET",
           "/api/anonymization/keys?startindex=0&count=1&orderby=patientName&orderascending=true")
          .body);
  REQUIRE(first.Size() == 1);
  CHECK(std::string(first[0]["patientName"].GetString()) == "A");
  CHECK(n.admin("GET", "/api/anonymization/keys?orderby=xyz").status == 400);
  CHECK(parse_json(n.admin("GET", "/api/anonymization/keys?filter=ANON%20a").body).Size() == 1);
  auto one = parse_json(n.admin("GET", "/api/anonymization/keys/" + std::to_string(a)).body);
  CHECK(std::string(one["patientID"].GetString()) == "pid A");
  CHECK(n.admin("GET", "/api/anonymization/keys/666").status == 404);
  auto queried = parse_json(
      n.admin(
           "POST", "/api/anonymization/keys/query",
           R"({"startIndex":0,"count":10,"queryProperties":[{"propertyName":"anonPatientName","operator":"=","propertyValue":"anon A"}]})")
          .body);
  REQUIRE(queried.Size() == 1);
  CHECK(queried[0]["id"].GetInt64() == a);
  CHECK(
      n.admin(
           "POST", "/api/anonymization/keys/query",
           R"({"startIndex":0,"count":10,"queryProperties":[{"propertyName":"modality","operator":"=","propertyValue":"x"}]})")
          .status == 400);
  CHECK(n.admin("DELETE", "/api/anonymization/keys/" + std::to_string(a)).status == 204);
  CHECK(n.admin("GET", "/api/anonymization/keys/" + std::to_string(a)).status == 404);
  CHECK(n.admin("DELETE", "/api/anonymization/keys/666").status == 204);
}

TEMPLATE_TEST_CASE("key values keep their order and show tag paths", "[http][anonymization]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = insert_key(n, "A", 1,
                       {{-1, -1, "FrameOfReferenceUID", "1.2.3", "2.25.9"},
                        {-1, -1, "PatientBirthDate", "19700101", ""}});
  auto values = parse_json(
      n.admin("GET", "/api/anonymization/keys/" + std::to_string(id) + "/keyvalues").body);
  REQUIRE(values.Size() == 2);
  CHECK(values[0]["tagPath"]["tag"].GetInt64() == 0x00200052);
  CHECK(std::string(values[0]["tagPath"]["name"].GetString()) == "FrameOfReferenceUID");
  CHECK(std::string(values[1]["value"].GetString()) == "19700101");
  CHECK(n.admin("GET", "/api/anonymization/keys/666/keyvalues").body == "[]");
}

TEMPLATE_TEST_CASE("the key CSV is for administrators and follows the spec's format",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  insert_key(n, "Doe;John", 1, {{-1, -1, "PatientBirthDate", "A\\B", ""}});
  insert_key(n, "Plain", 2);
  n.admin("POST", "/api/users", R"({"user":"user","role":"USER","password":"p"})");
  CHECK(n.as("user", "p", "GET", "/api/anonymization/keys/export/csv").status == 403);
  auto r = n.admin("GET", "/api/anonymization/keys/export/csv");
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type").value_or("") == "text/csv; charset=UTF-8");
  CHECK(r.header("Content-Disposition").value_or("") ==
        "attachment; filename=slicebox-anonymization-info.csv");
  CHECK(r.body.rfind("ID;Image ID;Created;Patient Name;", 0) == 0);
  CHECK(r.body.find("\"Doe;John\"") != std::string::npos);
  CHECK(r.body.find("PatientBirthDate;\"A\\\\B\";\r\n") != std::string::npos);
  CHECK(r.body.find(";CommandGroupLength;;\r\n") != std::string::npos);
  CHECK(r.body.size() > 2);
  CHECK(r.body.substr(r.body.size() - 2) == "\r\n");
}

TEMPLATE_TEST_CASE("deleting an image purges its keys", "[http][anonymization]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto up = n.client().request("POST", "/api/images", fixture("test.dcm"),
                               {basic_auth("admin", "admin")});
  REQUIRE(up.status == 201);
  auto image = parse_json(up.body)["id"].GetInt64();
  insert_key(n, "A", image);
  insert_key(n, "B", image + 1000);
  REQUIRE(n.admin("DELETE", "/api/images/" + std::to_string(image)).status == 204);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  rapidjson::SizeType left = 2;
  while (left != 1 && std::chrono::steady_clock::now() < deadline) {
    left = parse_json(n.admin("GET", "/api/anonymization/keys").body).Size();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(left == 1);
}
