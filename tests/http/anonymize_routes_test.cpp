// SPDX-License-Identifier: Apache-2.0
// Spec part A §7.3-§7.5, §11.3 (anonymize, anonymized), §11.4 (bulk): test cases 42-45, 50.
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <set>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/dicom_files.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

std::int64_t upload(const running_node& n, const std::string& bytes) {
  auto r = n.client().request("POST", "/api/images", bytes, {basic_auth("admin", "admin")});
  REQUIRE(r.status == 201);
  return parse_json(r.body)["id"].GetInt64();
}

const std::string basic = R"({"profile":{"options":[{"name":"BASIC_PROFILE"}]},"tagValues":[]})";

/// The root values of a DICOM file as the node's attribute listing shows them, by keyword.
std::map<std::string, std::string> values_of(const running_node& n, std::int64_t image) {
  auto attributes =
      parse_json(n.admin("GET", "/api/images/" + std::to_string(image) + "/attributes").body);
  std::map<std::string, std::string> out;
  for (const auto& a : attributes.GetArray())
    if (a["namePath"].Size() == 1 && a["values"].Size() > 0)
      out[a["namePath"][0].GetString()] = a["values"][0].GetString();
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("PUT /images/{id}/anonymize replaces the image with an anonymous one",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload(n, fixture("test.dcm"));
  auto r = n.admin("PUT", "/api/images/" + std::to_string(id) + "/anonymize", basic);
  REQUIRE(r.status == 200);
  auto fresh = parse_json(r.body)["id"].GetInt64();
  CHECK(fresh != id);
  CHECK(n.admin("GET", "/api/metadata/images/" + std::to_string(id)).status == 404);
  auto patients = parse_json(n.admin("GET", "/api/metadata/patients").body);
  REQUIRE(patients.Size() == 1);
  CHECK(std::string(patients[0]["patientName"]["value"].GetString()) != "anon270");
  CHECK(std::string(patients[0]["patientID"]["value"].GetString()) != "anon270");
  CHECK(std::string(patients[0]["patientSex"]["value"].GetString()).empty());
  auto v = values_of(n, fresh);
  CHECK(v["PatientIdentityRemoved"] == "YES");
  CHECK(n.admin("PUT", "/api/images/666/anonymize", basic).status == 404);
  CHECK(n.admin("PUT", "/api/images/" + std::to_string(fresh) + "/anonymize",
                R"({"profile":{"options":[{"name":"NO_SUCH_OPTION"}]},"tagValues":[]})")
            .status == 400);
}

TEMPLATE_TEST_CASE("POST /images/{id}/anonymized returns an anonymous file and records a key",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload(n, fixture("test.dcm"));
  auto r = n.admin(
      "POST", "/api/images/" + std::to_string(id) + "/anonymized",
      R"({"profile":{"options":[{"name":"BASIC_PROFILE"}]},"tagValues":[{"tagPath":{"tag":1048592,"name":"PatientName"},"value":"Anon Pat 1"}]})");
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type").value_or("") == "application/octet-stream");
  CHECK(r.body.find("Anon Pat 1") != std::string::npos);
  CHECK(r.body.find("anon270") == std::string::npos);
  // The original stays, and the key records real and anonymous values.
  CHECK(n.admin("GET", "/api/images/" + std::to_string(id)).status == 200);
  auto keys = parse_json(n.admin("GET", "/api/anonymization/keys").body);
  REQUIRE(keys.Size() == 1);
  CHECK(keys[0]["imageId"].GetInt64() == id);
  CHECK(std::string(keys[0]["patientName"].GetString()) == "anon270");
  CHECK(std::string(keys[0]["anonPatientName"].GetString()) == "Anon Pat 1");
  CHECK(std::string(keys[0]["anonPatientID"].GetString()) != "anon270");
  CHECK(n.admin("POST", "/api/images/666/anonymized", basic).status == 404);
}

TEMPLATE_TEST_CASE("anonymizing images of one study twice keeps the anonymous identities",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto a = upload(n, f1_in("P", "study", "series", "sop1"));
  auto b = upload(n, f1_in("P", "study", "series", "sop2"));
  auto first = n.admin("POST", "/api/images/" + std::to_string(a) + "/anonymized", basic);
  auto second = n.admin("POST", "/api/images/" + std::to_string(b) + "/anonymized", basic);
  auto again = n.admin("POST", "/api/images/" + std::to_string(a) + "/anonymized", basic);
  REQUIRE(first.status == 200);
  REQUIRE(second.status == 200);
  REQUIRE(again.status == 200);
  auto keys = parse_json(n.admin("GET", "/api/anonymization/keys").body);
  REQUIRE(keys.Size() == 3);
  auto field = [&](int i, const char* name) { return std::string(keys[i][name].GetString()); };
  CHECK(field(0, "anonPatientID") == field(1, "anonPatientID"));
  CHECK(field(0, "anonStudyInstanceUID") == field(1, "anonStudyInstanceUID"));
  CHECK(field(0, "anonSeriesInstanceUID") == field(1, "anonSeriesInstanceUID"));
  CHECK(field(0, "anonSOPInstanceUID") != field(1, "anonSOPInstanceUID"));
  CHECK(field(0, "anonSOPInstanceUID") == field(2, "anonSOPInstanceUID"));
  CHECK(again.body.find(field(0, "anonSOPInstanceUID")) != std::string::npos);
}

TEMPLATE_TEST_CASE("POST /anonymization/anonymize anonymizes several images in place",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto a = upload(n, fixture("test.dcm"));
  auto b = upload(n, dicom_variant("test.dcm", {{tags::patient_name, "John^Doe"},
                                                {tags::sop_uid, "1.2.3.4.5.6.7"}}));
  auto r = n.admin("POST", "/api/anonymization/anonymize",
                   R"({"profile":{"options":[]},"imageTagValuesSet":[{"imageId":)" +
                       std::to_string(a) + R"(,"tagValues":[]},{"imageId":)" + std::to_string(b) +
                       R"(,"tagValues":[]},{"imageId":666,"tagValues":[]}]})");
  REQUIRE(r.status == 200);
  CHECK(parse_json(r.body).Size() == 2);
  auto patients = n.admin("GET", "/api/metadata/patients").body;
  CHECK(patients.find("anon270") == std::string::npos);
  CHECK(patients.find("John^Doe") == std::string::npos);
}

TEMPLATE_TEST_CASE("concurrent anonymizations of one series share one anonymous patient",
                   "[http][anonymization][concurrency]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(upload(n, f1_in("P", "st", "se", "so" + std::to_string(i))));
  std::vector<std::future<int>> calls;
  for (auto id : ids)
    calls.push_back(std::async(std::launch::async, [&n, id] {
      return n.admin("POST", "/api/images/" + std::to_string(id) + "/anonymized", basic).status;
    }));
  for (auto& c : calls) CHECK(c.get() == 200);
  auto keys = parse_json(n.admin("GET", "/api/anonymization/keys?count=100").body);
  REQUIRE(keys.Size() == 20);
  std::set<std::string> patient_ids;
  for (const auto& k : keys.GetArray()) patient_ids.insert(k["anonPatientID"].GetString());
  CHECK(patient_ids.size() == 1);
}

TEMPLATE_TEST_CASE("anonymous data that comes back is filed under its real identity",
                   "[http][anonymization]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = upload(n, fixture("test.dcm"));
  auto anonymous = n.admin("POST", "/api/images/" + std::to_string(id) + "/anonymized", basic);
  REQUIRE(anonymous.status == 200);
  // Same instance as the original once reversed: 200 and the original's id.
  auto back =
      n.client().request("POST", "/api/images", anonymous.body, {basic_auth("admin", "admin")});
  REQUIRE(back.status == 200);
  CHECK(parse_json(back.body)["id"].GetInt64() == id);
  auto patients = parse_json(n.admin("GET", "/api/metadata/patients").body);
  REQUIRE(patients.Size() == 1);
  CHECK(std::string(patients[0]["patientName"]["value"].GetString()) == "anon270");

  // Anonymous data without a key is stored as it is.
  auto stranger = n.admin("POST", "/api/images/" + std::to_string(id) + "/anonymized", basic);
  REQUIRE(stranger.status == 200);
  for (const auto& k : parse_json(n.admin("GET", "/api/anonymization/keys").body).GetArray())
    REQUIRE(
        n.admin("DELETE", "/api/anonymization/keys/" + std::to_string(k["id"].GetInt64())).status ==
        204);
  auto kept =
      n.client().request("POST", "/api/images", stranger.body, {basic_auth("admin", "admin")});
  CHECK(kept.status == 201);
  CHECK(parse_json(n.admin("GET", "/api/metadata/patients").body).Size() == 2);

  // Anonymous data is sent as it is stored, and stays stored.
  auto kept_id = std::to_string(parse_json(kept.body)["id"].GetInt64());
  auto again = n.admin("POST", "/api/images/" + kept_id + "/anonymized", basic);
  REQUIRE(again.status == 200);
  CHECK(again.body == stranger.body);
  auto stored = n.admin("GET", "/api/images/" + kept_id);
  CHECK(stored.status == 200);
  CHECK(stored.body == stranger.body);
}
