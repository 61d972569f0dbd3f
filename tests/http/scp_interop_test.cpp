// SPDX-License-Identifier: Apache-2.0
// The node's SCP against real peers: several dcmtk storescu at once, every transfer syntax of the
// python3-pydicom samples, and Orthanc sending through its /modalities API.
#include <catch2/catch.hpp>
#include <deque>
#include <map>

#include "dicom/dataset_header.hpp"
#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/background.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

const std::string fixtures = SBX_FIXTURES_DIR;

/// A node with one SCP ("SLICEBOX") on a free port.
struct node_with_scp {
  explicit node_with_scp(sbx::persistence::backend b) : node(b), port(free_port()) {
    auto r = node.admin(
        "POST", "/api/scps",
        R"({"id":-1,"name":"interop","aeTitle":"SLICEBOX","port":)" + std::to_string(port) + "}");
    REQUIRE(r.status == 201);
  }

  /// storescu's command line for sending to this SCP.
  std::string storescu(const std::string& options) const {
    return "TCP_NODELAY=1 storescu -aec SLICEBOX " + options + " 127.0.0.1 " + std::to_string(port);
  }

  /// The ids of every image the node holds.
  std::vector<std::int64_t> image_ids() const {
    auto r = node.admin("POST", "/api/metadata/images/query",
                        R"({"startIndex":0,"count":100000,"queryProperties":[]})");
    REQUIRE(r.status == 200);
    std::vector<std::int64_t> ids;
    for (const auto& image : parse_json(r.body).GetArray()) ids.push_back(image["id"].GetInt64());
    return ids;
  }

  running_node node;
  std::uint16_t port;
};

}  // namespace

TEST_CASE("four storescu processes store into one SCP at once", "[http][scp][interop]") {
  require_tool("storescu");
  node_with_scp n{sbx::persistence::backend::sqlite};
  std::deque<background_task<std::pair<int, std::string>>> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&] {
      // +II: a new SOP instance UID for every image, so that all 4 x 25 are distinct.
      return run_command(n.storescu("+II --repeat 25") + " " + fixtures + "/test.dcm 2>&1");
    });
  }
  for (auto& s : senders) {
    auto [rc, out] = s.get();
    INFO(out);
    CHECK(rc == 0);
  }
  CHECK(n.image_ids().size() == 100);
  CHECK(n.node.temp_files() == 0);
}

TEST_CASE("every transfer syntax of the pydicom samples arrives as sent", "[http][scp][interop]") {
  require_tool("storescu");
  require_tool("dcmodify");
  auto samples = pydicom_samples();
  REQUIRE_FALSE(samples.empty());  // deploy/install-deps.sh --test installs python3-pydicom
  node_with_scp n{sbx::persistence::backend::sqlite};
  const auto accepted = sbx::dicom::image_data_contexts(sbx::dicom::context_defaults::node);
  scratch_dir dir;
  // Secondary Capture carries most of the samples' syntaxes but is not image data
  // (docs/api.md#scps): those samples are sent as VL Endoscopic images instead.
  const std::string sc_prefix = "1.2.840.10008.5.1.4.1.1.7";
  // storescu proposes a compressed syntax only when told which: the option for each.
  const std::map<std::string, std::string> propose = {
      {"1.2.840.10008.1.2", "-xi"},      {"1.2.840.10008.1.2.1", "-xe"},
      {"1.2.840.10008.1.2.2", "-xb"},    {"1.2.840.10008.1.2.1.99", "-xd"},
      {"1.2.840.10008.1.2.4.50", "-xy"}, {"1.2.840.10008.1.2.4.51", "-xx"},
      {"1.2.840.10008.1.2.4.70", "-xs"}, {"1.2.840.10008.1.2.4.80", "-xt"},
      {"1.2.840.10008.1.2.4.81", "-xu"}, {"1.2.840.10008.1.2.4.90", "-xv"},
      {"1.2.840.10008.1.2.4.91", "-xw"}, {"1.2.840.10008.1.2.5", "-xr"}};
  std::map<std::string, std::string> files_by_syntax;
  std::multiset<std::string> expected;  // transfer syntaxes of the samples the SCP accepts
  int index = 0;
  for (const auto& sample : samples) {
    sbx::dicom::header_info h;
    try {
      h = sbx::dicom::read_header(sample);
    } catch (const sbx::dicom::invalid_dicom&) {
      continue;  // storescu could not send it either
    }
    if (!propose.contains(h.transfer_syntax_uid)) continue;
    // storescu skips a dataset without its own SOP class and instance UIDs.
    auto [dump_rc, uids] = run_command("dcmdump -q +P 0008,0016 +P 0008,0018 '" + sample + "'");
    if (uids.find("(0008,0016)") == std::string::npos ||
        uids.find("(0008,0018)") == std::string::npos)
      continue;
    const auto copy = dir / (std::to_string(++index) + ".dcm");
    std::filesystem::copy_file(sample, copy);
    if (h.sop_class_uid.rfind(sc_prefix, 0) == 0) {
      h.sop_class_uid = "1.2.840.10008.5.1.4.1.1.77.1.1";
      REQUIRE(run_command("dcmodify -nb -m '(0008,0016)=" + h.sop_class_uid + "' " + copy.string() +
                          " 2>&1")
                  .first == 0);
    }
    files_by_syntax[h.transfer_syntax_uid] += " " + copy.string();
    if (accepted.sop_classes.contains(h.sop_class_uid) &&
        accepted.transfer_syntaxes.contains(h.transfer_syntax_uid))
      expected.insert(h.transfer_syntax_uid);
  }
  // -R: only the contexts the files need; +II: distinct instances (several samples share UIDs);
  // -nh: go on past the files refused at negotiation.
  for (const auto& [syntax, files] : files_by_syntax) {
    auto [rc, out] = run_command(n.storescu("-R +II -nh " + propose.at(syntax)) + files + " 2>&1");
    UNSCOPED_INFO(syntax << ": " << out);
  }
  std::multiset<std::string> stored;
  for (auto id : n.image_ids()) {
    const auto file = dir / ("stored-" + std::to_string(id));
    write_bytes(file, n.node.admin("GET", "/api/images/" + std::to_string(id)).body);
    stored.insert(sbx::dicom::read_header(file).transfer_syntax_uid);
  }
  // Each accepted sample in its own syntax: nothing was converted on the way.
  CHECK(stored == expected);
  CHECK(std::set<std::string>(expected.begin(), expected.end()).size() >= 10);
  CHECK(n.node.client().request("GET", "/api/system/health").status == 200);
  CHECK(n.node.temp_files() == 0);
}

TEST_CASE("Orthanc sends an instance to the node's SCP", "[http][scp][interop]") {
  require_tool("Orthanc");
  node_with_scp n{sbx::persistence::backend::sqlite};
  scratch_dir dir;
  const auto http_port = free_port();
  const auto dicom_port = free_port();
  write_bytes(dir / "orthanc.json", R"({
  "Name": "SBX-TEST",
  "StorageDirectory": ")" + (dir / "storage").string() +
                                        R"(",
  "IndexDirectory": ")" + (dir / "storage").string() +
                                        R"(",
  "HttpPort": )" + std::to_string(http_port) +
                                        R"(,
  "DicomPort": )" + std::to_string(dicom_port) +
                                        R"(,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "Plugins": [],
  "SaveJobs": false,
  "DicomModalities": { "sbx": [ "SLICEBOX", "127.0.0.1", )" +
                                        std::to_string(n.port) + R"( ] }
})");
  background_command orthanc{"exec Orthanc " + (dir / "orthanc.json").string(),
                             dir / "orthanc.log"};
  http_client peer{http_port};
  auto up = [&] {
    try {
      return peer.request("GET", "/system").status == 200;
    } catch (const std::exception&) {
      return false;  // not listening yet
    }
  };
  REQUIRE(eventually(std::chrono::seconds{30}, up));
  auto uploaded = peer.request("POST", "/instances", fixture("test.dcm"),
                               {{"Content-Type", "application/dicom"}});
  INFO(orthanc.output());
  REQUIRE(uploaded.status == 200);
  const std::string instance = parse_json(uploaded.body)["ID"].GetString();
  CHECK(peer.request("POST", "/modalities/sbx/echo", "{}").status == 200);
  auto sent = peer.request("POST", "/modalities/sbx/store", instance);
  INFO(sent.body);
  CHECK(sent.status == 200);
  const auto ids = n.image_ids();
  REQUIRE(ids.size() == 1);
  auto image =
      parse_json(n.node.admin("GET", "/api/metadata/images/" + std::to_string(ids[0])).body);
  CHECK(std::string(image["sopInstanceUID"]["value"].GetString()) ==
        "65.2.840.10008.20.7.52.107.48.52.48.56.1.524320.13228481.537347");
}
