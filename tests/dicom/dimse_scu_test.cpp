// SPDX-License-Identifier: Apache-2.0
#include "dicom/dimse_scu.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "dicom/dataset_header.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"

using namespace sbx::dicom;
namespace fs = std::filesystem;
using sbx::test::storescp_peer;

namespace {

constexpr const char* verification = "1.2.840.10008.1.1";
constexpr const char* implicit_le = "1.2.840.10008.1.2";
constexpr const char* explicit_le = "1.2.840.10008.1.2.1";
constexpr const char* jpeg_baseline = "1.2.840.10008.1.2.4.50";
constexpr const char* ct_class = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* mr_class = "1.2.840.10008.5.1.4.1.1.4";

const fs::path fixtures = SBX_FIXTURES_DIR;

store_peer peer_of(const storescp_peer& p) {
  store_peer peer;
  peer.called_ae = p.ae_title();
  peer.host = "127.0.0.1";
  peer.port = p.port();
  return peer;
}

store_failure failure_of(const store_peer& peer, const std::vector<fs::path>& files) {
  try {
    send_files(peer, files);
  } catch (const store_error& e) {
    INFO(e.what());
    return e.kind();
  }
  FAIL("the send succeeded");
  return store_failure::failed;
}

/// A storescp configuration that accepts CT images only, uncompressed.
std::string ct_only_config() {
  return "[[TransferSyntaxes]]\n"
         "[Uncompressed]\n"
         "TransferSyntax1 = LocalEndianExplicit\n"
         "TransferSyntax2 = LittleEndianImplicit\n"
         "[[PresentationContexts]]\n"
         "[CT]\n"
         "PresentationContext1 = CTImageStorage\\Uncompressed\n"
         "[[Profiles]]\n"
         "[CTOnly]\n"
         "PresentationContexts = CT\n";
}

}  // namespace

TEST_CASE("contexts are proposed per SOP class and transfer syntax, with uncompressed fallbacks",
          "[unit]") {
  const auto contexts = propose_contexts({{ct_class, jpeg_baseline},
                                          {ct_class, explicit_le},
                                          {mr_class, implicit_le},
                                          {ct_class, jpeg_baseline},
                                          {mr_class, explicit_le}});
  const std::vector<std::tuple<unsigned, std::string, std::string>> expected = {
      {1, verification, implicit_le}, {3, ct_class, explicit_le}, {5, ct_class, implicit_le},
      {7, ct_class, jpeg_baseline},   {9, mr_class, explicit_le}, {11, mr_class, implicit_le}};
  REQUIRE(contexts.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(contexts[i].id == std::get<0>(expected[i]));
    CHECK(contexts[i].abstract_syntax == std::get<1>(expected[i]));
    CHECK(contexts[i].transfer_syntax == std::get<2>(expected[i]));
  }
  CHECK(propose_contexts({}).size() == 1);
  // A compressed syntax of a class already proposed comes alone.
  const auto more = propose_contexts({{ct_class, explicit_le}, {ct_class, jpeg_baseline}});
  REQUIRE(more.size() == 4);
  CHECK(more[1].transfer_syntax == implicit_le);
  CHECK(more[2].transfer_syntax == explicit_le);
  CHECK(more[3].transfer_syntax == jpeg_baseline);
}

TEST_CASE("the file's transfer syntax is preferred, then Explicit, then Implicit VR LE", "[unit]") {
  CHECK(choose_transfer_syntax(jpeg_baseline, {implicit_le, explicit_le, jpeg_baseline}) ==
        jpeg_baseline);
  CHECK(choose_transfer_syntax(jpeg_baseline, {implicit_le, explicit_le}) == explicit_le);
  CHECK(choose_transfer_syntax(jpeg_baseline, {implicit_le}) == implicit_le);
  CHECK(choose_transfer_syntax(jpeg_baseline, {}).empty());
}

TEST_CASE("every pydicom sample arrives at storescp bit for bit", "[integration][scu]") {
  storescp_peer storescp;
  const auto peer = peer_of(storescp);
  std::set<std::string> syntaxes;
  int sent = 0, refused = 0;
  for (const auto& sample : sbx::test::pydicom_samples()) {
    INFO(sample);
    try {
      read_header(sample);
    } catch (const invalid_dicom&) {
      continue;  // the node never stores (so never sends) what it cannot read, e.g. truncated
    }
    // One association per file: several samples share a SOP instance UID (one file name).
    store_report report;
    try {
      report = send_files(peer, {sample});
    } catch (const store_error& e) {
      // storescp takes every storage class, but not the others among the samples.
      INFO(e.what());
      CHECK(e.kind() == store_failure::no_presentation_context);
      CHECK_THAT(e.what(), Catch::Contains("ColorPaletteStorage") ||
                               Catch::Contains("MediaStorageDirectoryStorage"));
      ++refused;
      continue;
    }
    CHECK(report.warnings.empty());
    if (report.sent == 0) {
      CHECK(report.skipped.size() == 1);
      continue;
    }
    const auto received = storescp.received();
    REQUIRE(received.size() == 1);
    auto expected = sbx::test::dataset_bytes(sample);
    if (expected.size() % 2 != 0) expected.push_back('\0');  // an odd deflated dataset, padded
    CHECK(sbx::test::dataset_bytes(received.front()) == expected);
    CHECK(read_file_meta(received.front()).transfer_syntax_uid ==
          read_file_meta(sample).transfer_syntax_uid);
    syntaxes.insert(read_file_meta(sample).transfer_syntax_uid);
    fs::remove(received.front());
    ++sent;
  }
  CHECK(sent > 70);
  CHECK(refused <= 10);
  // Implicit, Explicit LE and BE, deflated, JPEG baseline/extended/lossless, JPEG-LS,
  // JPEG 2000 (both), RLE.
  CHECK(syntaxes.size() == 11);
}

TEST_CASE("several images go over one association", "[integration][scu]") {
  storescp_peer storescp;
  const auto report = send_files(peer_of(storescp), {fixtures / "test.dcm", fixtures / "sc.dcm"});
  CHECK(report.sent == 2);
  CHECK(report.skipped.empty());
  CHECK(storescp.received().size() == 2);
}

TEST_CASE("a compressed image is decompressed for a peer that takes only uncompressed data",
          "[integration][scu]") {
  storescp_peer storescp{{}};  // storescp's defaults: uncompressed transfer syntaxes only
  const auto report = send_files(peer_of(storescp), {fixtures / "sc.dcm"});
  CHECK(report.sent == 1);
  const auto received = storescp.received();
  REQUIRE(received.size() == 1);
  CHECK(read_file_meta(received.front()).transfer_syntax_uid == explicit_le);
  // 1268 x 1392 RGB pixels, now native.
  CHECK(sbx::test::dataset_bytes(received.front()).size() > 1268u * 1392u * 3u);
}

TEST_CASE("a JPEG 2000 image for a peer that takes only uncompressed data fails clearly",
          "[integration][scu]") {
  std::vector<fs::path> j2k;
  for (const auto& s : sbx::test::pydicom_samples()) {
    try {
      if (read_file_meta(s).transfer_syntax_uid == "1.2.840.10008.1.2.4.90") j2k.emplace_back(s);
    } catch (const invalid_dicom&) {
    }
  }
  REQUIRE_FALSE(j2k.empty());
  storescp_peer storescp{{}};
  try {
    send_files(peer_of(storescp), {j2k.front()});
    FAIL("sent");
  } catch (const store_error& e) {
    CHECK(e.kind() == store_failure::failed);
    CHECK_THAT(e.what(), Catch::Contains("cannot convert image") && Catch::Contains("JPEG 2000") &&
                             Catch::Contains("Little Endian"));
  }
  CHECK(storescp.received().empty());
}

TEST_CASE("a peer that refuses the SOP class leaves no presentation context",
          "[integration][scu]") {
  sbx::test::scratch_dir dir;
  sbx::test::write_bytes(dir / "ct-only.cfg", ct_only_config());
  storescp_peer storescp{{"-xf", (dir / "ct-only.cfg").string(), "CTOnly"}};
  CHECK(failure_of(peer_of(storescp), {fixtures / "test.dcm"}) ==
        store_failure::no_presentation_context);
  CHECK(storescp.received().empty());
}

TEST_CASE("unreachable peers are told apart", "[integration][scu]") {
  sbx::test::require_private_network();
  store_peer peer;
  peer.called_ae = "NOBODY";
  peer.host = "127.0.0.1";
  peer.port = sbx::test::free_port();
  const std::vector<fs::path> files = {fixtures / "test.dcm"};
  CHECK(failure_of(peer, files) == store_failure::connection_refused);
  peer.host = "no-such-host.invalid";
  CHECK(failure_of(peer, files) == store_failure::unknown_host);
  peer.host = "192.0.2.1";  // TEST-NET-1; this namespace has no route but loopback
  CHECK(failure_of(peer, files) == store_failure::no_route);
}

TEST_CASE("files without usable meta information are skipped, not sent", "[integration][scu]") {
  storescp_peer storescp;
  sbx::test::scratch_dir dir;
  sbx::test::write_bytes(dir / "no-meta.dcm", sbx::test::dataset_bytes(fixtures / "test.dcm"));
  const auto report = send_files(peer_of(storescp), {dir / "no-meta.dcm", fixtures / "test.dcm"});
  CHECK(report.sent == 1);
  REQUIRE(report.skipped.size() == 1);
  CHECK_THAT(report.skipped.front(), Catch::Contains("no-meta.dcm"));
  CHECK(storescp.received().size() == 1);
}
