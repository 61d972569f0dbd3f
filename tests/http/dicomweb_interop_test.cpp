// SPDX-License-Identifier: Apache-2.0
// DICOMweb against a client nobody here wrote: Orthanc's DICOMweb plugin configured with the node
// as a DICOMweb server (docs/dicomweb.md#interoperability).
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"

using namespace sbx::test;

namespace {

const std::string plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

client_response post_json(const http_client& c, const std::string& target,
                          const std::string& body) {
  return c.request("POST", target, body, {{"Content-Type", "application/json"}});
}

/// An attribute's (first) value as text, in the DICOM JSON model or in the form Orthanc's client
/// answers with (`"Value": "text"`).
std::string tag_text(const rapidjson::Value& object, const char* tag) {
  if (!object.HasMember(tag) || !object[tag].HasMember("Value")) return "<absent>";
  const auto& value = object[tag]["Value"];
  if (value.IsString()) return value.GetString();
  if (!value.IsArray() || value.Empty()) return "<other>";
  const auto& v = value[0];
  if (v.IsObject() && v.HasMember("Alphabetic")) return v["Alphabetic"].GetString();
  return v.IsString() ? v.GetString() : "<other>";
}

}  // namespace

TEST_CASE("Orthanc's DICOMweb client searches, retrieves from and stores into the node",
          "[http][dicomweb][interop]") {
  if (!std::filesystem::exists(plugin))
    FAIL("Orthanc's DICOMweb plugin is missing: deploy/install-deps.sh --test installs it");
  running_node n{sbx::persistence::backend::sqlite};
  const auto so1 = f1_in("Doe^John", "st1", "se1", "so1", "1");
  REQUIRE(upload(n, so1).status == 201);
  REQUIRE(upload(n, f1_in("Doe^John", "st1", "se1", "so2", "2")).status == 201);
  REQUIRE(upload(n, f1_in("Other^Pat", "st2", "se2", "so3")).status == 201);

  orthanc_peer orthanc{"ORTHANC",
                       {plugin},
                       "  \"DicomWeb\": {\"Enable\": true, \"Root\": \"/dicom-web/\", "
                       "\"Servers\": {\"sbx\": [\"http://127.0.0.1:" +
                           std::to_string(n.port()) + "/dicom-web/\", \"admin\", \"admin\"]}}"};
  http_client o{orthanc.http_port()};

  // QIDO-RS through Orthanc.
  auto studies = post_json(o, "/dicom-web/servers/sbx/qido",
                           R"({"Uri": "/studies", "Arguments": {"PatientName": "Doe*"}})");
  REQUIRE(studies.status == 200);
  auto found = parse_json(studies.body);
  REQUIRE(found.IsArray());
  REQUIRE(found.Size() == 1);
  CHECK(tag_text(found[0], "0020000D") == "st1");
  CHECK(tag_text(found[0], "00100010") == "Doe^John");
  auto series = post_json(o, "/dicom-web/servers/sbx/qido", R"({"Uri": "/studies/st1/series"})");
  REQUIRE(series.status == 200);
  CHECK(parse_json(series.body).Size() == 1);
  auto metadata =
      post_json(o, "/dicom-web/servers/sbx/get", R"({"Uri": "/studies/st1/series/se1/metadata"})");
  REQUIRE(metadata.status == 200);
  CHECK(parse_json(metadata.body).Size() == 2);

  // WADO-RS retrieval into Orthanc: the study's two instances, bytes as stored.
  auto retrieve =
      post_json(o, "/dicom-web/servers/sbx/retrieve", R"({"Resources": [{"Study": "st1"}]})");
  REQUIRE(retrieve.status == 200);
  auto instances = parse_json(o.request("GET", "/instances?expand").body);
  REQUIRE(instances.Size() == 2);
  std::set<std::string> sops;
  std::string so1_id;
  for (const auto& i : instances.GetArray()) {
    std::string sop = i["MainDicomTags"]["SOPInstanceUID"].GetString();
    sops.insert(sop);
    if (sop == "so1") so1_id = i["ID"].GetString();
  }
  CHECK(sops == std::set<std::string>{"so1", "so2"});
  CHECK(o.request("GET", "/instances/" + so1_id + "/file").body == so1);

  // STOW-RS from Orthanc into the node.
  auto added = o.request("POST", "/instances", f1_in("Sent^ByOrthanc", "st9", "se9", "so9"));
  REQUIRE(added.status == 200);
  std::string id = parse_json(added.body)["ID"].GetString();
  auto stow = post_json(o, "/dicom-web/servers/sbx/stow", R"({"Resources": [")" + id + "\"]}");
  REQUIRE(stow.status == 200);
  auto ours = n.admin("GET", "/dicom-web/studies?PatientName=Sent*");
  REQUIRE(ours.status == 200);
  auto stored = parse_json(ours.body);
  REQUIRE(stored.Size() == 1);
  CHECK(tag_text(stored[0], "0020000D") == "st9");
}
