// SPDX-License-Identifier: Apache-2.0
#include "dicom/modify.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "dicom/dataset_header.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::dicom;
using sbx::proto::tag_path;
namespace fs = std::filesystem;
using sbx::test::read_bytes;
using sbx::test::require_tool;
using sbx::test::run_command;
using sbx::test::scratch_dir;

namespace {

const fs::path fixtures = SBX_FIXTURES_DIR;

void run_ok(const std::string& command) {
  const auto [rc, out] = run_command(command + " 2>&1");
  INFO(command << "\n" << out);
  REQUIRE(rc == 0);
}

std::string dcmdump(const fs::path& file) {
  require_tool("dcmdump");
  auto [rc, out] = run_command("dcmdump -q +L '" + file.string() + "' 2>&1");
  INFO(out);
  REQUIRE(rc == 0);
  return out;
}

/// The dcmdump lines holding `tag`, each trimmed of its comment, joined by '|'.
std::string dump_lines(const std::string& dump, const std::string& tag) {
  std::string result;
  for (auto at = dump.find(tag); at != std::string::npos; at = dump.find(tag, at + 1)) {
    auto line = dump.substr(at, dump.find('\n', at) - at);
    line = line.substr(0, line.find(" #"));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    result += (result.empty() ? "" : "|") + line;
  }
  return result;
}

tag_path path(std::uint32_t tag) { return {{tag, "", false, 0}}; }

tag_path nested(std::uint32_t seq, int item, const tag_path& rest) {
  tag_path p{{seq, "", true, item}};
  p.insert(p.end(), rest.begin(), rest.end());
  return p;
}

constexpr std::uint32_t patient_age = 0x00101010;
constexpr std::uint32_t rescale_slope = 0x00281053;
constexpr std::uint32_t energy_window_information = 0x00540012;
constexpr std::uint32_t energy_window_range = 0x00540013;
constexpr std::uint32_t energy_window_upper_limit = 0x00540015;

/// The pixel data element (from its tag to the end of the file).
std::string pixel_data(const std::string& file) {
  const auto at = file.rfind(std::string("\xe0\x7f\x10\x00", 4));
  REQUIRE(at != std::string::npos);
  return file.substr(at);
}

}  // namespace

TEST_CASE("modify_file replaces, inserts and sets nested values", "[unit]") {
  scratch_dir dir;
  const auto in = fixtures / "test.dcm";
  const auto out = dir / "modified.dcm";
  const std::vector<tag_mapping> mappings{
      {path(patient_age), "123Y"},
      {path(rescale_slope), "2.5"},
      {nested(energy_window_information, 1,
              nested(energy_window_range, 2, path(energy_window_upper_limit))),
       "999"},
      // The same path again: the first mapping wins.
      {path(patient_age), "001D"},
      // Items that do not exist: ignored, no item or sequence is created.
      {nested(energy_window_information, 2, path(energy_window_upper_limit)), "5"},
      {nested(energy_window_information, 1,
              nested(energy_window_range, 3, path(energy_window_upper_limit))),
       "6"},
      {nested(0x00081115, 1, path(0x00081150)), "1.2.3"},  // ReferencedSeriesSequence: absent
  };
  modify_file(in, out, mappings);

  const auto h = read_header(out);
  CHECK(h.sop_class_uid == "1.2.840.10008.5.1.4.1.1.20");
  CHECK(h.attributes.stu.patient_age == "123Y");

  const auto before = dcmdump(in);
  const auto after = dcmdump(out);
  INFO(after);
  CHECK(dump_lines(after, "(0010,1010)") == "(0010,1010) AS [123Y]");
  CHECK(dump_lines(after, "(0028,1053)") == "(0028,1053) DS [2.5]");
  CHECK(dump_lines(after, "(0054,0015)") == "(0054,0015) DS [155]|(0054,0015) DS [999]");
  CHECK(dump_lines(after, "(0008,0005)") == "(0008,0005) CS [ISO_IR 192]");
  CHECK(dump_lines(after, "(0008,1115)").empty());
  // Nothing else changed: the same number of items, the other values as before.
  CHECK(dump_lines(after, "(fffe,e000)") == dump_lines(before, "(fffe,e000)"));
  CHECK(dump_lines(after, "(0054,0014)") == dump_lines(before, "(0054,0014)"));
  CHECK(dump_lines(after, "(0010,0010)") == dump_lines(before, "(0010,0010)"));
  CHECK(dump_lines(after, "(0002,0010)") == dump_lines(before, "(0002,0010)"));
  CHECK(dump_lines(after, "(0002,0012)") == dump_lines(before, "(0002,0012)"));
  // The meta header's group length covers the meta header exactly.
  run_ok("dcmdump -q -ml '" + out.string() + "'");
  CHECK(dump_lines(after, "(0002,0000)") == dump_lines(before, "(0002,0000)"));

  CHECK(pixel_data(read_bytes(out)) == pixel_data(read_bytes(in)));
}

TEST_CASE("modify_file drops group lengths, undefines lengths and converts text to UTF-8",
          "[unit]") {
  require_tool("dcmodify");
  require_tool("dcmconv");
  scratch_dir dir;
  const auto latin1 = dir / "latin1.dcm";
  fs::copy_file(fixtures / "test.dcm", latin1);
  // Latin-1 PatientName and StudyDescription; group lengths; explicit-length sequences.
  run_ok(
      "dcmodify -nb -i '(0008,0005)=ISO_IR 100' -m '(0010,0010)=M\xfcller^J\xf6rg' "
      "-m '(0008,1030)=\xc5ngstr\xf6m' '" +
      latin1.string() + "'");
  const auto explicit_lengths = dir / "explicit.dcm";
  run_ok("dcmconv +g +e '" + latin1.string() + "' '" + explicit_lengths.string() + "'");
  const auto before = dcmdump(explicit_lengths);
  REQUIRE(before.find("(0008,0000)") != std::string::npos);
  REQUIRE(before.find("SQ (Sequence with explicit length") != std::string::npos);

  const auto out = dir / "modified.dcm";
  modify_file(explicit_lengths, out, {{path(patient_age), "123Y"}});
  const auto after = dcmdump(out);
  INFO(after);
  CHECK(after.find("(0008,0000)") == std::string::npos);
  CHECK(after.find("(0010,0000)") == std::string::npos);
  CHECK(dump_lines(after, "(0002,0000)") == dump_lines(before, "(0002,0000)"));
  CHECK(after.find("explicit length") == std::string::npos);
  CHECK(dump_lines(after, "(0008,0005)") == "(0008,0005) CS [ISO_IR 192]");
  CHECK(dump_lines(after, "(0010,0010)") == "(0010,0010) PN [Müller^Jörg]");
  CHECK(dump_lines(after, "(0008,1030)") == "(0008,1030) LO [Ångström]");
  CHECK(dump_lines(after, "(0010,1010)") == "(0010,1010) AS [123Y]");
  const auto h = read_header(out);
  CHECK(h.attributes.pat.patient_name == "Müller^Jörg");
  CHECK(pixel_data(read_bytes(out)) == pixel_data(read_bytes(explicit_lengths)));
}

TEST_CASE("modify_file works on implicit VR little endian data", "[unit]") {
  require_tool("dcmconv");
  scratch_dir dir;
  const auto implicit = dir / "implicit.dcm";
  run_ok("dcmconv +ti +e '" + (fixtures / "test.dcm").string() + "' '" + implicit.string() + "'");
  const auto out = dir / "modified.dcm";
  modify_file(implicit, out,
              {{path(rescale_slope), "2.5"},
               {nested(energy_window_information, 1,
                       nested(energy_window_range, 2, path(energy_window_upper_limit))),
                "999"}});
  CHECK_NOTHROW(read_header(out));
  const auto after = dcmdump(out);
  INFO(after);
  CHECK(dump_lines(after, "(0002,0010)") == "(0002,0010) UI =LittleEndianImplicit");
  CHECK(dump_lines(after, "(0028,1053)") == "(0028,1053) DS [2.5]");
  CHECK(dump_lines(after, "(0054,0015)") == "(0054,0015) DS [155]|(0054,0015) DS [999]");
  CHECK(pixel_data(read_bytes(out)) == pixel_data(read_bytes(implicit)));
}
