// SPDX-License-Identifier: Apache-2.0
// POST /api/scus/{id}/send against real peers (docs/api.md#scus): dcmtk's storescp, whose files
// are compared byte for byte with what the node stored, and Orthanc.
#include <catch2/catch.hpp>
#include <set>

#include "dicom/dataset_header.hpp"
#include "http/scu_requests.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"

using namespace sbx::test;

namespace {

std::string json_ids(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (const auto& id : ids) out += (out.size() > 1 ? "," : "") + id;
  return out + "]";
}

std::string send(const running_node& n, const std::string& scu, const std::vector<std::string>& ids,
                 int status) {
  auto r = n.admin("POST", "/api/scus/" + scu + "/send", json_ids(ids));
  INFO(r.body);
  CHECK(r.status == status);
  return r.body;
}

}  // namespace

TEMPLATE_TEST_CASE("images sent to storescp arrive byte for byte as the node stored them",
                   "[http][scu][integration]", sqlite_backend, postgres_backend) {
  // Unique file names: a few samples in different series share a SOP instance UID.
  storescp_peer storescp{{"-pm", "+xa", "+uf"}};
  running_node n{TestType::value};
  // The fixtures and every pydicom sample the node stores (re-uploads of one instance keep
  // its id, so each id stands for one SOP instance).
  std::vector<std::string> ids = {upload_image(n, fixture("test.dcm")),
                                  upload_image(n, fixture("sc.dcm"))};
  for (const auto& sample : pydicom_samples())
    if (auto r = upload(n, read_bytes(sample)); r.status == 201 || r.status == 200)
      ids.push_back(std::to_string(id_of(r)));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  REQUIRE(ids.size() > 40);

  auto scu = create_scu(n, "storescp", storescp.ae_title(), storescp.port());
  send(n, scu, ids, 204);
  INFO(storescp.log());

  // Each received dataset is exactly the dataset of one stored image; odd (deflated) datasets
  // arrive with a NUL pad byte.
  std::multiset<std::string> stored;
  std::size_t sendable = 0;
  for (const auto& id : ids) {
    auto bytes = n.admin("GET", "/api/images/" + id).body;
    scratch_dir dir;
    write_bytes(dir / "f.dcm", bytes);
    const auto meta = sbx::dicom::read_file_meta(dir / "f.dcm");
    if (meta.media_storage_sop_class_uid.empty() || meta.media_storage_sop_instance_uid.empty())
      continue;  // skipped by the SCU (docs/api.md#scus)
    ++sendable;
    auto dataset = dataset_bytes(dir / "f.dcm");
    if (dataset.size() % 2 != 0) dataset.push_back('\0');
    stored.insert(std::move(dataset));
  }
  const auto received = storescp.received();
  CHECK(received.size() == sendable);
  for (const auto& file : received) {
    INFO(file);
    auto match = stored.find(dataset_bytes(file));
    CHECK(match != stored.end());
    if (match != stored.end()) stored.erase(match);
  }
  CHECK(stored.empty());

  // Nothing was deleted, and the log says what happened.
  CHECK(n.admin("GET", "/api/images/" + ids.front()).status == 200);
  auto log = n.admin("GET", "/api/log?subject=SCU").body;
  const auto n_ids = std::to_string(ids.size());
  CHECK_THAT(log, Catch::Contains("Sending " + n_ids + " images using SCU storescp"));
  CHECK_THAT(log, Catch::Contains("Finished sending " + n_ids + " images using SCU storescp"));
}

TEMPLATE_TEST_CASE("a peer that refuses the SOP class gets nothing: 502, nothing deleted",
                   "[http][scu][integration]", sqlite_backend, postgres_backend) {
  scratch_dir dir;
  write_bytes(
      dir / "ct-only.cfg",
      "[[TransferSyntaxes]]\n[Uncompressed]\nTransferSyntax1 = LocalEndianExplicit\n"
      "[[PresentationContexts]]\n[CT]\nPresentationContext1 = CTImageStorage\\Uncompressed\n"
      "[[Profiles]]\n[CTOnly]\nPresentationContexts = CT\n");
  storescp_peer storescp{{"-xf", (dir / "ct-only.cfg").string(), "CTOnly"}, "CTONLY"};
  running_node n{TestType::value};
  auto image = upload_image(n, fixture("test.dcm"));  // NM
  auto scu = create_scu(n, "ct only", "CTONLY", storescp.port());
  auto body = send(n, scu, {image}, 502);
  CHECK(body.rfind("No presentation context when sending to CTONLY@127.0.0.1:" +
                       std::to_string(storescp.port()) + ": ",
                   0) == 0);
  CHECK_THAT(body, Catch::Contains("1.2.840.10008.5.1.4.1.1.20"));
  CHECK(storescp.received().empty());
  CHECK(n.admin("GET", "/api/images/" + image).body == fixture("test.dcm"));
}

TEMPLATE_TEST_CASE("images sent to Orthanc are stored there", "[http][scu][integration]",
                   sqlite_backend, postgres_backend) {
  orthanc_peer orthanc{"ORTHANC"};
  running_node n{TestType::value};
  std::vector<std::string> ids = {upload_image(n, fixture("test.dcm")),
                                  upload_image(n, fixture("sc.dcm"))};
  auto scu = create_scu(n, "orthanc", "ORTHANC", orthanc.dicom_port());
  send(n, scu, ids, 204);

  http_client rest{orthanc.http_port()};
  auto instances = parse_json(rest.request("GET", "/instances?expand").body);
  std::set<std::string> received;
  for (const auto& i : instances.GetArray())
    received.insert(i["MainDicomTags"]["SOPInstanceUID"].GetString());
  std::set<std::string> sent;
  for (const auto& id : ids)
    sent.insert(
        parse_json(n.admin("GET", "/api/metadata/images/" + id).body)["sopInstanceUID"]["value"]
            .GetString());
  CHECK(received == sent);

  // Orthanc checks the called AE title: another one is rejected at association.
  auto wrong = create_scu(n, "wrong ae", "NOT-ORTHANC", orthanc.dicom_port(), "localhost");
  auto body = send(n, wrong, ids, 502);
  CHECK(body.rfind("Unable to send images to NOT-ORTHANC@localhost:", 0) == 0);
  CHECK_THAT(body, Catch::Contains("Association rejected"));
}
