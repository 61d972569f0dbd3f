// SPDX-License-Identifier: Apache-2.0
// Query/Retrieve on the node's SCPs (docs/api.md#queryretrieve) against DCMTK's findscu, movescu
// and getscu, with storescp as a C-MOVE destination registered as an SCU.
// clang-format off
#include "dcmtk/config/osconfig.h"  // DCMTK's build configuration precedes every other header
// clang-format on
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <set>

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "http/scu_requests.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

/// A returned identifier: "gggg,eeee" (lower case) -> value ("" when empty).
using identifier = std::map<std::string, std::string>;

constexpr std::uint32_t patient_birth_date = 0x00100030;
constexpr std::uint32_t study_date = 0x00080020;
constexpr std::uint32_t accession_number = 0x00080050;

/// One image of the test index.
struct image_spec {
  std::string patient_name, patient_id, birth_date;
  std::string study_uid, study_date, accession;
  std::string series_uid, modality;
  std::string sop_uid, instance_number;
};

/// Two patients; the first has one study of two series (CT with two images, MR with one), the
/// second one study of one CT series with one image.
const std::vector<image_spec>& index_images() {
  static const std::vector<image_spec> images = {
      {"Doe^John", "PID1", "19700101", "1.2.826.0.1.3680043.9.7.1", "20200101", "ACC1",
       "1.2.826.0.1.3680043.9.7.1.1", "CT", "1.2.826.0.1.3680043.9.7.1.1.1", "1"},
      {"Doe^John", "PID1", "19700101", "1.2.826.0.1.3680043.9.7.1", "20200101", "ACC1",
       "1.2.826.0.1.3680043.9.7.1.1", "CT", "1.2.826.0.1.3680043.9.7.1.1.2", "2"},
      {"Doe^John", "PID1", "19700101", "1.2.826.0.1.3680043.9.7.1", "20200101", "ACC1",
       "1.2.826.0.1.3680043.9.7.1.2", "MR", "1.2.826.0.1.3680043.9.7.1.2.1", "1"},
      {"Roe^Jane", "PID2", "19800202", "1.2.826.0.1.3680043.9.7.2", "20210615", "ACC2",
       "1.2.826.0.1.3680043.9.7.2.1", "CT", "1.2.826.0.1.3680043.9.7.2.1.1", "1"},
  };
  return images;
}

std::string dataset_of(const image_spec& i) {
  return dicom_variant("test.dcm", {{tags::patient_name, i.patient_name},
                                    {tags::patient_id, i.patient_id},
                                    {patient_birth_date, i.birth_date},
                                    {tags::study_uid, i.study_uid},
                                    {study_date, i.study_date},
                                    {accession_number, i.accession},
                                    {tags::series_uid, i.series_uid},
                                    {tags::modality, i.modality},
                                    {tags::sop_uid, i.sop_uid},
                                    {tags::media_sop_uid, i.sop_uid},
                                    {tags::instance_number, i.instance_number}});
}

/// A node holding the test index, with an SCP ("SLICEBOX") answering Query/Retrieve.
struct qr_node {
  explicit qr_node(sbx::persistence::backend b, bool query_retrieve = true)
      : node(b), port(free_port()) {
    std::string body = R"({"id":-1,"name":"qr","aeTitle":"SLICEBOX","port":)" +
                       std::to_string(port) + (query_retrieve ? "}" : R"(,"queryRetrieve":false})");
    auto r = node.admin("POST", "/api/scps", body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    for (const auto& image : index_images()) {
      const auto id = upload_image(node, dataset_of(image));
      // As stored: the bytes C-MOVE and C-GET must deliver.
      stored[image.sop_uid] = node.admin("GET", "/api/images/" + id).body;
    }
  }

  running_node node;
  std::uint16_t port;
  std::map<std::string, std::string> stored;  ///< SOP instance UID -> the file as stored
};

/// The elements dcmdump prints for a file: tag -> value.
identifier dump(const std::filesystem::path& file) {
  auto [rc, out] = run_command("dcmdump -q '" + file.string() + "' 2>&1");
  REQUIRE(rc == 0);
  identifier result;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() < 15 || line[0] != '(') continue;
    std::string tag = line.substr(1, 9);
    std::transform(tag.begin(), tag.end(), tag.begin(), ::tolower);
    const auto open = line.find('[', 11);
    const auto hash = line.find(" #");
    std::string value;
    if (open != std::string::npos && (hash == std::string::npos || open < hash))
      value = line.substr(open + 1, line.find(']', open) - open - 1);
    result[tag] = value;
  }
  return result;
}

/// What a findscu run printed, and the identifiers it received.
struct find_outcome {
  int exit_code = -1;
  std::string log;
  std::vector<identifier> answers;
};

/// findscu against the node's SCP: `model` is -P or -S, `keys` its -k arguments.
find_outcome c_find(std::uint16_t port, const std::string& model,
                    const std::vector<std::string>& keys) {
  scratch_dir dir;
  std::string command =
      "TCP_NODELAY=1 findscu -d -aec SLICEBOX " + model + " -X -od '" + dir.path().string() + "'";
  for (const auto& k : keys) command += " -k '" + k + "'";
  command += " 127.0.0.1 " + std::to_string(port) + " 2>&1";
  find_outcome out;
  std::tie(out.exit_code, out.log) = run_command(command);
  std::vector<std::filesystem::path> files;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.answers.push_back(dump(f));
  return out;
}

/// The values of one key over every answer, sorted.
std::vector<std::string> values(const find_outcome& f, const std::string& tag) {
  std::vector<std::string> out;
  for (const auto& a : f.answers) out.push_back(a.contains(tag) ? a.at(tag) : "<absent>");
  std::sort(out.begin(), out.end());
  return out;
}

/// The dataset bytes of a Part-10 file held in memory.
std::string dataset_bytes_of(const std::string& file) {
  scratch_dir dir;
  write_bytes(dir / "f.dcm", file);
  return dataset_bytes(dir / "f.dcm");
}

/// Sends a Study Root C-FIND for every image and a C-CANCEL right after it, before reading any
/// response; returns the pending responses received and the final status.
std::pair<int, std::uint16_t> find_then_cancel(std::uint16_t port) {
  T_ASC_Network* net = nullptr;
  REQUIRE(ASC_initializeNetwork(NET_REQUESTOR, 0, 30, &net).good());
  T_ASC_Parameters* params = nullptr;
  REQUIRE(ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU).good());
  ASC_setAPTitles(params, "CANCELLER", "SLICEBOX", nullptr);
  const auto address = "127.0.0.1:" + std::to_string(port);
  ASC_setPresentationAddresses(params, "localhost", address.c_str());
  const char* syntaxes[] = {UID_LittleEndianImplicitTransferSyntax};
  ASC_addPresentationContext(params, 1, UID_FINDStudyRootQueryRetrieveInformationModel, syntaxes,
                             1);
  T_ASC_Association* assoc = nullptr;
  REQUIRE(ASC_requestAssociation(net, params, &assoc).good());
  T_DIMSE_Message request{};
  request.CommandField = DIMSE_C_FIND_RQ;
  auto& rq = request.msg.CFindRQ;
  rq.MessageID = 7;
  std::strcpy(rq.AffectedSOPClassUID, UID_FINDStudyRootQueryRetrieveInformationModel);
  rq.DataSetType = DIMSE_DATASET_PRESENT;
  rq.Priority = DIMSE_PRIORITY_MEDIUM;
  DcmDataset identifier;
  identifier.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
  identifier.putAndInsertString(DCM_SOPInstanceUID, "");
  REQUIRE(
      DIMSE_sendMessageUsingMemoryData(assoc, 1, &request, nullptr, &identifier, nullptr, nullptr)
          .good());
  REQUIRE(DIMSE_sendCancelRequest(assoc, 1, 7).good());
  int pending = 0;
  std::uint16_t status = 0xFFFF;
  while (true) {
    T_DIMSE_Message response{};
    T_ASC_PresentationContextID context = 0;
    DcmDataset* detail = nullptr;
    const auto cond = DIMSE_receiveCommand(assoc, DIMSE_BLOCKING, 0, &context, &response, &detail);
    delete detail;
    REQUIRE(cond.good());
    REQUIRE(response.CommandField == DIMSE_C_FIND_RSP);
    if (response.msg.CFindRSP.DataSetType != DIMSE_DATASET_NULL) {
      DcmDataset* answer = nullptr;
      REQUIRE(DIMSE_receiveDataSetInMemory(assoc, DIMSE_BLOCKING, 0, &context, &answer, nullptr,
                                           nullptr)
                  .good());
      delete answer;
    }
    status = response.msg.CFindRSP.DimseStatus;
    if (status != 0xFF00 && status != 0xFF01) break;
    ++pending;
  }
  ASC_releaseAssociation(assoc);
  ASC_destroyAssociation(&assoc);
  ASC_dropNetwork(&net);
  return {pending, status};
}

/// The line of DCMTK's debug output giving a response's status.
std::string status_line(const std::string& hex_status) {
  return "DIMSE Status                  : " + hex_status;
}

/// The retrieve keys of a study.
std::vector<std::string> study_keys(const std::string& uid) {
  return {"QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + uid};
}

}  // namespace

TEMPLATE_TEST_CASE("C-FIND matches at every level of both information models",
                   "[http][scp][queryretrieve]", sqlite_backend, postgres_backend) {
  require_tool("findscu");
  qr_node n{TestType::value};
  const auto& images = index_images();

  SECTION("patient level, Patient Root: wildcard on the name, counts returned") {
    auto f = c_find(n.port, "-P",
                    {"QueryRetrieveLevel=PATIENT", "PatientName=doe*", "PatientID",
                     "PatientBirthDate", "NumberOfPatientRelatedStudies",
                     "NumberOfPatientRelatedSeries", "NumberOfPatientRelatedInstances"});
    INFO(f.log);
    CHECK(f.exit_code == 0);
    REQUIRE(f.answers.size() == 1);
    auto& a = f.answers[0];
    CHECK(a["0008,0052"] == "PATIENT");
    CHECK(a["0010,0010"] == "Doe^John");
    CHECK(a["0010,0020"] == "PID1");
    CHECK(a["0010,0030"] == "19700101");
    CHECK(a["0020,1200"] == "1");
    CHECK(a["0020,1202"] == "2");
    CHECK(a["0020,1204"] == "3");
    // Keys not asked for are not returned.
    CHECK_FALSE(a.contains("0020,000d"));
    // Universal matching: every patient.
    auto all = c_find(n.port, "-P", {"QueryRetrieveLevel=PATIENT", "PatientID"});
    CHECK(values(all, "0010,0020") == std::vector<std::string>{"PID1", "PID2"});
  }

  SECTION("study level, both models: date range, accession number, modalities and counts") {
    for (const std::string model : {"-P", "-S"}) {
      INFO(model);
      auto f = c_find(n.port, model,
                      {"QueryRetrieveLevel=STUDY", "StudyDate=20210101-20211231",
                       "StudyInstanceUID", "AccessionNumber", "PatientName", "ModalitiesInStudy",
                       "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "StudyTime"});
      INFO(f.log);
      REQUIRE(f.answers.size() == 1);
      auto& a = f.answers[0];
      CHECK(a["0008,0052"] == "STUDY");
      CHECK(a["0020,000d"] == images[3].study_uid);
      CHECK(a["0008,0050"] == "ACC2");
      CHECK(a["0010,0010"] == "Roe^Jane");
      CHECK(a["0008,0061"] == "CT");
      CHECK(a["0020,1206"] == "1");
      CHECK(a["0020,1208"] == "1");
      CHECK(a.contains("0008,0030"));  // not indexed: returned empty
      CHECK(a["0008,0030"].empty());

      auto open_ended = c_find(n.port, model,
                               {"QueryRetrieveLevel=STUDY", "StudyDate=-20201231",
                                "StudyInstanceUID", "ModalitiesInStudy"});
      REQUIRE(open_ended.answers.size() == 1);
      CHECK(open_ended.answers[0]["0020,000d"] == images[0].study_uid);
      CHECK(open_ended.answers[0]["0008,0061"] == "CT\\MR");
      auto by_modality = c_find(
          n.port, model, {"QueryRetrieveLevel=STUDY", "ModalitiesInStudy=MR", "StudyInstanceUID"});
      CHECK(values(by_modality, "0020,000d") == std::vector<std::string>{images[0].study_uid});
    }
    // A UID list, and an accession number, in Study Root.
    auto listed = c_find(n.port, "-S",
                         {"QueryRetrieveLevel=STUDY",
                          "StudyInstanceUID=" + images[0].study_uid + "\\" + images[3].study_uid,
                          "AccessionNumber"});
    CHECK(values(listed, "0008,0050") == std::vector<std::string>{"ACC1", "ACC2"});
    auto by_accession =
        c_find(n.port, "-S", {"QueryRetrieveLevel=STUDY", "AccessionNumber=ACC1", "PatientID"});
    CHECK(values(by_accession, "0010,0020") == std::vector<std::string>{"PID1"});
  }

  SECTION("series level: modality, series UID list, counts") {
    for (const std::string model : {"-P", "-S"}) {
      INFO(model);
      auto f = c_find(n.port, model,
                      {"QueryRetrieveLevel=SERIES", "Modality=CT", "SeriesInstanceUID",
                       "StudyInstanceUID", "SeriesNumber", "NumberOfSeriesRelatedInstances"});
      INFO(f.log);
      REQUIRE(f.answers.size() == 2);
      CHECK(values(f, "0020,000e") ==
            std::vector<std::string>{images[0].series_uid, images[3].series_uid});
      CHECK(values(f, "0020,1209") == std::vector<std::string>{"1", "2"});
      CHECK(values(f, "0020,0011") == std::vector<std::string>{"", ""});
      for (auto& a : f.answers) CHECK(a["0008,0052"] == "SERIES");

      auto in_study =
          c_find(n.port, model,
                 {"QueryRetrieveLevel=SERIES", "StudyInstanceUID=" + images[0].study_uid,
                  "SeriesInstanceUID", "Modality"});
      CHECK(values(in_study, "0008,0060") == std::vector<std::string>{"CT", "MR"});
      auto listed = c_find(
          n.port, model,
          {"QueryRetrieveLevel=SERIES",
           "SeriesInstanceUID=" + images[2].series_uid + "\\" + images[3].series_uid, "Modality"});
      CHECK(values(listed, "0008,0060") == std::vector<std::string>{"CT", "MR"});
    }
  }

  SECTION("image level: SOP instance UIDs and instance numbers, wildcards with ?") {
    for (const std::string model : {"-P", "-S"}) {
      INFO(model);
      auto f = c_find(n.port, model,
                      {"QueryRetrieveLevel=IMAGE", "SeriesInstanceUID=" + images[0].series_uid,
                       "SOPInstanceUID", "InstanceNumber"});
      INFO(f.log);
      REQUIRE(f.answers.size() == 2);
      CHECK(values(f, "0008,0018") ==
            std::vector<std::string>{images[0].sop_uid, images[1].sop_uid});
      CHECK(values(f, "0020,0013") == std::vector<std::string>{"1", "2"});
      for (auto& a : f.answers) CHECK(a["0008,0052"] == "IMAGE");

      auto one = c_find(n.port, model,
                        {"QueryRetrieveLevel=IMAGE", "SOPInstanceUID=" + images[2].sop_uid,
                         "PatientID=PID?", "SeriesInstanceUID"});
      REQUIRE(one.answers.size() == 1);
      CHECK(one.answers[0]["0020,000e"] == images[2].series_uid);
      auto none =
          c_find(n.port, model, {"QueryRetrieveLevel=IMAGE", "PatientID=PID3", "SOPInstanceUID"});
      CHECK(none.answers.empty());
      CHECK(none.exit_code == 0);
    }
  }
}

TEST_CASE("C-FIND refuses bad identifiers with a failure status and stops on C-CANCEL",
          "[http][scp][queryretrieve]") {
  require_tool("findscu");
  qr_node n{sbx::persistence::backend::sqlite};
  auto failed_with = [&](const std::string& model, const std::vector<std::string>& keys,
                         const std::string& status) {
    auto f = c_find(n.port, model, keys);
    INFO(f.log);
    CHECK(f.answers.empty());
    CHECK(f.log.find(status_line(status)) != std::string::npos);
  };
  // PATIENT is not a level of Study Root; no level at all; an unknown level; a date that is not
  // one; a key below the query level.
  failed_with("-S", {"QueryRetrieveLevel=PATIENT", "PatientID"}, "0xa900");
  failed_with("-S", {"PatientID=PID1"}, "0xa900");
  failed_with("-P", {"QueryRetrieveLevel=FRAME", "PatientID"}, "0xa900");
  failed_with("-S", {"QueryRetrieveLevel=STUDY", "StudyDate=2020"}, "0xc000");
  failed_with("-P", {"QueryRetrieveLevel=PATIENT", "StudyInstanceUID=1.2.3"}, "0xa900");
  // The SCP still answers on the next association.
  CHECK(c_find(n.port, "-P", {"QueryRetrieveLevel=PATIENT", "PatientID"}).answers.size() == 2);

  // Four images match and the C-CANCEL follows the request at once. The SCP checks for it before
  // each answer and stops with Cancel; on a loaded machine it may have answered all four before
  // the C-CANCEL arrived, which the standard lets it ignore (Success). Every exchange ends one
  // of those two ways, and within a few tries one ends cancelled.
  bool cancelled = false;
  for (int attempt = 0; attempt < 20 && !cancelled; ++attempt) {
    auto [pending, status] = find_then_cancel(n.port);
    INFO("attempt " << attempt << ": " << pending << " pending, status " << status);
    CHECK(((status == 0xFE00 && pending < 4) || (status == 0x0000 && pending == 4)));
    cancelled = status == 0xFE00;
  }
  CHECK(cancelled);
}

TEST_CASE("C-FIND answers more matches than its responses are sent together, each once",
          "[http][scp][queryretrieve]") {
  require_tool("findscu");
  qr_node n{sbx::persistence::backend::sqlite};
  // Responses leave in batches of 64 (docs/api.md#queryretrieve): 150 matches take three.
  constexpr int many = 150;
  const std::string series = "1.2.826.0.1.3680043.9.7.9.1";
  for (int k = 1; k <= many; ++k)
    upload_image(n.node, dataset_of({"Many^Images", "PID9", "19900101", "1.2.826.0.1.3680043.9.7.9",
                                     "20220101", "ACC9", series, "CT",
                                     series + "." + std::to_string(k), std::to_string(k)}));
  auto [rc, log] = run_command(
      "TCP_NODELAY=1 findscu -v -aec SLICEBOX -S -k QueryRetrieveLevel=IMAGE -k PatientID=PID9 "
      "-k SOPInstanceUID 127.0.0.1 " +
      std::to_string(n.port) + " 2>&1");
  REQUIRE(rc == 0);
  std::set<std::string> answered;
  int pending = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("(Pending)") != std::string::npos) ++pending;
    const auto at = line.find("(0008,0018) UI [");
    if (at == std::string::npos) continue;
    auto uid = line.substr(at + 16, line.find(']', at) - at - 16);
    uid.erase(std::remove(uid.begin(), uid.end(), '\0'), uid.end());  // UI's NUL padding
    if (!uid.empty()) answered.insert(uid);
  }
  INFO(log.substr(log.size() > 2000 ? log.size() - 2000 : 0));
  CHECK(pending == many);
  CHECK(answered.size() == static_cast<std::size_t>(many));
  CHECK(answered.contains(series + ".1"));
  CHECK(answered.contains(series + "." + std::to_string(many)));
  CHECK(log.find("Received Final Find Response (Success)") != std::string::npos);
}

TEMPLATE_TEST_CASE("C-MOVE sends the matching images byte for byte to an SCU's storescp",
                   "[http][scp][queryretrieve]", sqlite_backend, postgres_backend) {
  require_tool("movescu");
  qr_node n{TestType::value};
  storescp_peer storescp{{"-pm", "+xa", "+uf"}};
  create_scu(n.node, "destination", storescp.ae_title(), storescp.port());
  const auto& images = index_images();
  auto move = [&](const std::string& model, const std::string& destination,
                  const std::vector<std::string>& keys) {
    std::string command =
        "TCP_NODELAY=1 movescu -d -aec SLICEBOX -aem " + destination + " " + model;
    for (const auto& k : keys) command += " -k '" + k + "'";
    return run_command(command + " 127.0.0.1 " + std::to_string(n.port) + " 2>&1");
  };

  auto [rc, log] = move("-S", storescp.ae_title(), study_keys(images[0].study_uid));
  INFO(log);
  CHECK(rc == 0);
  CHECK(log.find("Completed Suboperations       : 3") != std::string::npos);
  // A pending response after each of the first two stores, with what remains.
  CHECK(log.find("Remaining Suboperations       : 2") != std::string::npos);
  CHECK(log.find("Remaining Suboperations       : 1") != std::string::npos);
  CHECK(log.find(status_line("0x0000")) != std::string::npos);
  CHECK(log.find("Failed Suboperations          : 0") != std::string::npos);
  REQUIRE(eventually([&] { return storescp.received().size() == 3; }));
  std::set<std::string> expected;
  for (int i = 0; i < 3; ++i) expected.insert(dataset_bytes_of(n.stored.at(images[i].sop_uid)));
  std::set<std::string> received;
  for (const auto& file : storescp.received()) received.insert(dataset_bytes(file));
  CHECK(received == expected);

  // Patient Root, one image by its UID at IMAGE level.
  auto [rc2, log2] =
      move("-P", storescp.ae_title(),
           {"QueryRetrieveLevel=IMAGE", "PatientID=PID2", "StudyInstanceUID=" + images[3].study_uid,
            "SeriesInstanceUID=" + images[3].series_uid, "SOPInstanceUID=" + images[3].sop_uid});
  INFO(log2);
  CHECK(log2.find("Completed Suboperations       : 1") != std::string::npos);
  CHECK(eventually([&] { return storescp.received().size() == 4; }));

  // An AE title no SCU has: Move Destination Unknown, nothing sent.
  auto [rc3, log3] = move("-S", "NOBODY", study_keys(images[0].study_uid));
  INFO(log3);
  CHECK(log3.find(status_line("0xa801")) != std::string::npos);
  // Without the unique key of the level.
  auto [rc4, log4] = move("-S", storescp.ae_title(), {"QueryRetrieveLevel=SERIES"});
  INFO(log4);
  CHECK(log4.find(status_line("0xa900")) != std::string::npos);
  CHECK(storescp.received().size() == 4);
}

TEST_CASE("C-MOVE counts failed sub-operations when the destination does not answer",
          "[http][scp][queryretrieve]") {
  require_tool("movescu");
  qr_node n{sbx::persistence::backend::sqlite};
  create_scu(n.node, "gone", "GONE", free_port());  // nothing listens there
  auto [rc, log] = run_command(
      "TCP_NODELAY=1 movescu -d -aec SLICEBOX -aem GONE -S -k "
      "QueryRetrieveLevel=STUDY -k StudyInstanceUID=" +
      index_images()[0].study_uid + " 127.0.0.1 " + std::to_string(n.port) + " 2>&1");
  INFO(log);
  CHECK(log.find(status_line("0xa702")) != std::string::npos);
  CHECK(log.find("Failed Suboperations          : 3") != std::string::npos);
}

TEMPLATE_TEST_CASE("C-GET sends the matching images on the same association, byte for byte",
                   "[http][scp][queryretrieve]", sqlite_backend, postgres_backend) {
  require_tool("getscu");
  qr_node n{TestType::value};
  const auto& images = index_images();
  scratch_dir dir;
  // storescp's +B equivalent is the default of getscu: datasets written as received.
  auto [rc, log] = run_command("TCP_NODELAY=1 getscu -d -aec SLICEBOX -S -od '" +
                               dir.path().string() + "' -k QueryRetrieveLevel=SERIES -k " +
                               "SeriesInstanceUID=" + images[0].series_uid + " 127.0.0.1 " +
                               std::to_string(n.port) + " 2>&1");
  INFO(log);
  CHECK(rc == 0);
  std::set<std::string> expected{dataset_bytes_of(n.stored.at(images[0].sop_uid)),
                                 dataset_bytes_of(n.stored.at(images[1].sop_uid))};
  std::set<std::string> received;
  for (const auto& f : std::filesystem::directory_iterator(dir.path()))
    received.insert(dataset_bytes(f.path()));
  CHECK(received == expected);
  CHECK(log.find("Completed Suboperations       : 2") != std::string::npos);
}

TEST_CASE("an SCP with Query/Retrieve off refuses its presentation contexts",
          "[http][scp][queryretrieve]") {
  require_tool("findscu");
  qr_node n{sbx::persistence::backend::sqlite, false};
  auto listed = parse_json(n.node.admin("GET", "/api/scps").body);
  REQUIRE(listed.Size() == 1);
  CHECK_FALSE(listed[0]["queryRetrieve"].GetBool());
  auto f = c_find(n.port, "-S", {"QueryRetrieveLevel=STUDY", "StudyInstanceUID"});
  INFO(f.log);
  CHECK(f.exit_code != 0);
  CHECK(f.answers.empty());
  scratch_dir dir;
  auto [rc, log] =
      run_command("getscu -aec SLICEBOX -S -od '" + dir.path().string() +
                  "' -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.3 127.0.0.1 " +
                  std::to_string(n.port) + " 2>&1");
  INFO(log);
  CHECK(rc != 0);
  // C-STORE and C-ECHO are unchanged.
  CHECK(echo_succeeds(n.port, "SLICEBOX"));
}

TEST_CASE("Orthanc queries the node and retrieves a study from it with C-MOVE",
          "[http][scp][queryretrieve][interop]") {
  require_tool("Orthanc");
  qr_node n{sbx::persistence::backend::sqlite};
  const auto& images = index_images();
  orthanc_peer orthanc{"ORTHANC",
                       {},
                       R"(  "DicomModalities": { "sbx": [ "SLICEBOX", "127.0.0.1", )" +
                           std::to_string(n.port) + " ] }"};
  create_scu(n.node, "orthanc", orthanc.ae_title(), orthanc.dicom_port());
  http_client peer{orthanc.http_port()};
  auto post = [&](const std::string& target, const std::string& body) {
    return peer.request("POST", target, body, {{"Content-Type", "application/json"}});
  };

  // C-FIND at study level through Orthanc's /modalities/{id}/query.
  auto query = post("/modalities/sbx/query",
                    R"({"Level":"Study","Query":{"PatientID":"PID1","StudyDate":"",)"
                    R"("AccessionNumber":"","ModalitiesInStudy":""}})");
  INFO(query.body);
  REQUIRE(query.status == 200);
  const std::string id = parse_json(query.body)["ID"].GetString();
  auto answers = peer.request("GET", "/queries/" + id + "/answers?expand&simplify");
  INFO(answers.body);
  REQUIRE(answers.status == 200);
  auto list = parse_json(answers.body);
  REQUIRE(list.Size() == 1);
  CHECK(std::string(list[0]["StudyInstanceUID"].GetString()) == images[0].study_uid);
  CHECK(std::string(list[0]["AccessionNumber"].GetString()) == "ACC1");
  CHECK(std::string(list[0]["ModalitiesInStudy"].GetString()) == "CT\\MR");

  // C-MOVE of the answer to Orthanc itself (an SCU record of the node).
  auto retrieved = post("/queries/" + id + "/retrieve", R"({"TargetAet":"ORTHANC"})");
  INFO(retrieved.body);
  CHECK(retrieved.status == 200);
  auto instances = parse_json(peer.request("GET", "/instances").body);
  CHECK(instances.Size() == 3);
}
