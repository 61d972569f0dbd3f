// SPDX-License-Identifier: Apache-2.0
#include "dicom/jpeg_wrap.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "dicom/dataset_header.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::dicom;
namespace fs = std::filesystem;
using sbx::test::read_bytes;
using sbx::test::require_tool;
using sbx::test::run_command;
using sbx::test::scratch_dir;
using sbx::test::write_bytes;

namespace {

const fs::path fixtures = SBX_FIXTURES_DIR;

std::string dcmdump(const fs::path& file) {
  require_tool("dcmdump");
  auto [rc, out] = run_command("dcmdump -q -M +L '" + file.string() + "' 2>&1");
  INFO(out);
  REQUIRE(rc == 0);
  return out;
}

/// The dcmdump line of one tag, e.g. "(0028,0004) CS [YBR_FULL_422]", trimmed of the comment.
std::string dump_line(const std::string& dump, const std::string& tag) {
  const auto at = dump.find(tag);
  if (at == std::string::npos) return "";
  auto line = dump.substr(at, dump.find('\n', at) - at);
  line = line.substr(0, line.find(" #"));
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string le32(std::uint32_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
}

const std::string item_tag("\xfe\xff\x00\xe0", 4);
const std::string sequence_delimiter("\xfe\xff\xdd\xe0\x00\x00\x00\x00", 8);

sbx::proto::patient cat_owner() {
  sbx::proto::patient p;
  p.patient_name = "Ärlig^Björn";
  p.patient_id = "pid-7";
  p.patient_birth_date = "19800101";
  p.patient_sex = "M";
  return p;
}

sbx::proto::study cat_study() {
  sbx::proto::study s;
  s.study_instance_uid = "1.2.3.4.5";
  s.study_description = "Cats";
  s.study_date = "20200202";
  s.study_id = "st-1";
  s.accession_number = "acc-9";
  s.patient_age = "040Y";
  return s;
}

/// A minimal 12-bit single-component stream: SOI, SOF1, SOS, EOI.
std::string grey_12bit_jpeg() {
  return std::string("\xff\xd8", 2) +
         std::string("\xff\xc1\x00\x0b\x0c\x00\x10\x00\x20\x01\x01\x11\x00", 13) +
         std::string("\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00", 10) + std::string("\xff\xd9", 2);
}

}  // namespace

TEST_CASE("wrap_jpeg writes a Secondary Capture instance around cat.jpg", "[unit]") {
  scratch_dir dir;
  const auto jpeg = read_bytes(fixtures / "cat.jpg");
  REQUIRE(jpeg.size() % 2 == 1);  // so the pad byte 2.1.1 omits is exercised
  const auto out = dir / "cat.dcm";
  wrap_jpeg(fixtures / "cat.jpg", cat_owner(), cat_study(), "A cat", out);

  const auto h = read_header(out);
  CHECK(h.sop_class_uid == "1.2.840.10008.5.1.4.1.1.7");
  CHECK(h.transfer_syntax_uid == "1.2.840.10008.1.2.4.50");
  CHECK_NOTHROW(check_context(h, extended_contexts(context_defaults::original)));
  CHECK(h.attributes.pat.patient_name == "Ärlig^Björn");
  CHECK(h.attributes.stu.study_instance_uid == "1.2.3.4.5");
  CHECK(h.attributes.ser.series_description == "A cat");

  const auto dump = dcmdump(out);
  INFO(dump);
  CHECK(dump_line(dump, "(0002,0002)") == "(0002,0002) UI =SecondaryCaptureImageStorage");
  CHECK(dump_line(dump, "(0002,0010)") == "(0002,0010) UI =JPEGBaseline");
  CHECK(dump_line(dump, "(0008,0005)") == "(0008,0005) CS [ISO_IR 192]");
  CHECK(dump_line(dump, "(0008,0016)") == "(0008,0016) UI =SecondaryCaptureImageStorage");
  CHECK(dump_line(dump, "(0008,0013)") == "(0008,0013) TM [000000]");
  CHECK(dump_line(dump, "(0008,0020)") == "(0008,0020) DA [20200202]");
  CHECK(dump_line(dump, "(0008,0050)") == "(0008,0050) SH [acc-9]");
  CHECK(dump_line(dump, "(0008,1030)") == "(0008,1030) LO [Cats]");
  CHECK(dump_line(dump, "(0008,103e)") == "(0008,103e) LO [A cat]");
  CHECK(dump_line(dump, "(0010,0010)") == "(0010,0010) PN [Ärlig^Björn]");
  CHECK(dump_line(dump, "(0010,0020)") == "(0010,0020) LO [pid-7]");
  CHECK(dump_line(dump, "(0010,0030)") == "(0010,0030) DA [19800101]");
  CHECK(dump_line(dump, "(0010,0040)") == "(0010,0040) CS [M]");
  CHECK(dump_line(dump, "(0010,1010)") == "(0010,1010) AS [040Y]");
  CHECK(dump_line(dump, "(0020,000d)") == "(0020,000d) UI [1.2.3.4.5]");
  CHECK(dump_line(dump, "(0020,0010)") == "(0020,0010) SH [st-1]");
  CHECK(dump_line(dump, "(0028,0002)") == "(0028,0002) US 3");
  CHECK(dump_line(dump, "(0028,0004)") == "(0028,0004) CS [YBR_FULL_422]");
  CHECK(dump_line(dump, "(0028,0006)") == "(0028,0006) US 0");
  CHECK(dump_line(dump, "(0028,0010)") == "(0028,0010) US 224");
  CHECK(dump_line(dump, "(0028,0011)") == "(0028,0011) US 225");
  CHECK(dump_line(dump, "(0028,0100)") == "(0028,0100) US 8");
  CHECK(dump_line(dump, "(0028,0101)") == "(0028,0101) US 8");
  CHECK(dump_line(dump, "(0028,0102)") == "(0028,0102) US 7");
  CHECK(dump_line(dump, "(0028,0103)") == "(0028,0103) US 0");
  // Not part of the generated dataset.
  CHECK(dump_line(dump, "(0008,0060)").empty());
  CHECK(dump_line(dump, "(0008,0008)").empty());
  CHECK(dump_line(dump, "(0020,0013)").empty());

  // Today's dates; new 2.25 UIDs, the meta header's instance UID equal to the dataset's.
  const auto today = dump_line(dump, "(0008,0012)");
  REQUIRE(today.size() == std::string("(0008,0012) DA [YYYYMMDD]").size());
  CHECK(dump_line(dump, "(0008,0021)") == "(0008,0021) DA " + today.substr(15));
  const auto sop = dump_line(dump, "(0008,0018)");
  const auto series = dump_line(dump, "(0020,000e)");
  CHECK(sop.rfind("(0008,0018) UI [2.25.", 0) == 0);
  CHECK(series.rfind("(0020,000e) UI [2.25.", 0) == 0);
  CHECK(sop.substr(11) != series.substr(11));
  CHECK(dump_line(dump, "(0002,0003)").substr(11) == sop.substr(11));

  // Pixel data: empty offset table, one fragment = the JPEG plus one pad byte, delimiter.
  const auto file = read_bytes(out);
  const auto padded_length = static_cast<std::uint32_t>(jpeg.size() + 1);
  const std::string expected = std::string("\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff", 12) +
                               item_tag + le32(0) + item_tag + le32(padded_length) + jpeg +
                               std::string(1, '\0') + sequence_delimiter;
  REQUIRE(file.size() >= expected.size());
  CHECK(file.substr(file.size() - expected.size()) == expected);

  // Another wrap gets other UIDs.
  wrap_jpeg(fixtures / "cat.jpg", cat_owner(), cat_study(), "", dir / "cat2.dcm");
  const auto dump2 = dcmdump(dir / "cat2.dcm");
  CHECK(dump_line(dump2, "(0008,0018)") != sop);
  CHECK(dump_line(dump2, "(0008,103e)") == "(0008,103e) LO (no value available)");
}

TEST_CASE("wrap_jpeg output renders with dcmj2pnm", "[unit]") {
  require_tool("dcmj2pnm");
  scratch_dir dir;
  wrap_jpeg(fixtures / "cat.jpg", cat_owner(), cat_study(), "A cat", dir / "cat.dcm");
  const auto [rc, out] = run_command("dcmj2pnm '" + (dir / "cat.dcm").string() + "' '" +
                                     (dir / "cat.ppm").string() + "' 2>&1");
  INFO(out);
  REQUIRE(rc == 0);
  const auto ppm = read_bytes(dir / "cat.ppm");
  CHECK(ppm.rfind("P6\n225 224\n255\n", 0) == 0);
  CHECK(ppm.size() == std::string("P6\n225 224\n255\n").size() + 225 * 224 * 3);
}

TEST_CASE("wrap_jpeg does not pad an even-length JPEG", "[unit]") {
  scratch_dir dir;
  const auto jpeg = read_bytes(fixtures / "cat.jpg") + std::string(1, '\0');
  REQUIRE(jpeg.size() % 2 == 0);
  write_bytes(dir / "even.jpg", jpeg);
  wrap_jpeg(dir / "even.jpg", cat_owner(), cat_study(), "", dir / "even.dcm");
  const auto file = read_bytes(dir / "even.dcm");
  const std::string tail =
      item_tag + le32(static_cast<std::uint32_t>(jpeg.size())) + jpeg + sequence_delimiter;
  CHECK(file.substr(file.size() - tail.size()) == tail);
  CHECK_NOTHROW(read_header(dir / "even.dcm"));
}

TEST_CASE("wrap_jpeg describes single-component images as MONOCHROME2", "[unit]") {
  scratch_dir dir;
  const auto frame = parse_jpeg(grey_12bit_jpeg());
  CHECK(frame.precision == 12);
  CHECK(frame.rows == 16);
  CHECK(frame.columns == 32);
  CHECK(frame.components == 1);

  write_bytes(dir / "grey.jpg", grey_12bit_jpeg());
  wrap_jpeg(dir / "grey.jpg", cat_owner(), cat_study(), "grey", dir / "grey.dcm");
  CHECK_NOTHROW(read_header(dir / "grey.dcm"));
  const auto dump = dcmdump(dir / "grey.dcm");
  INFO(dump);
  CHECK(dump_line(dump, "(0028,0002)") == "(0028,0002) US 1");
  CHECK(dump_line(dump, "(0028,0004)") == "(0028,0004) CS [MONOCHROME2]");
  CHECK(dump_line(dump, "(0028,0006)").empty());
  CHECK(dump_line(dump, "(0028,0010)") == "(0028,0010) US 16");
  CHECK(dump_line(dump, "(0028,0011)") == "(0028,0011) US 32");
  CHECK(dump_line(dump, "(0028,0100)") == "(0028,0100) US 16");
  CHECK(dump_line(dump, "(0028,0101)") == "(0028,0101) US 12");
  CHECK(dump_line(dump, "(0028,0102)") == "(0028,0102) US 11");
}

TEST_CASE("wrap_jpeg rejects streams that are not JPEG", "[unit]") {
  scratch_dir dir;
  const auto cat = read_bytes(fixtures / "cat.jpg");
  const auto sos = cat.find("\xff\xda");
  const auto sof = cat.find("\xff\xc0");
  REQUIRE(sos != std::string::npos);
  REQUIRE(sof != std::string::npos);
  REQUIRE(sof < sos);
  const auto sof_length =
      (static_cast<unsigned char>(cat[sof + 2]) << 8) | static_cast<unsigned char>(cat[sof + 3]);
  const auto without_sof = cat.substr(0, sof) + cat.substr(sof + 2 + sof_length);

  const auto check = [&](const std::string& bytes, const std::string& message) {
    INFO(message);
    write_bytes(dir / "bad.jpg", bytes);
    CHECK_THROWS_MATCHES(parse_jpeg(bytes), invalid_jpeg, Catch::Message(message));
    CHECK_THROWS_MATCHES(wrap_jpeg(dir / "bad.jpg", cat_owner(), cat_study(), "", dir / "bad.dcm"),
                         invalid_jpeg, Catch::Message(message));
    CHECK_FALSE(fs::exists(dir / "bad.dcm"));
  };
  check("", "JPEG stream does not start with FF D8 FF");
  check("GIF89a....", "JPEG stream does not start with FF D8 FF");
  check(std::string("\xff\xd8\xfe", 3) + cat.substr(3), "JPEG stream does not start with FF D8 FF");
  check(cat.substr(0, sos), "Missing SOS segment in JPEG stream");
  check(std::string("\xff\xd8\xff\xd9", 4), "Missing SOS segment in JPEG stream");
  check(without_sof, "Missing SOF segment in JPEG stream");
}
