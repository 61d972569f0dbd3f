// SPDX-License-Identifier: Apache-2.0
#include "dicom/dataset_header.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::dicom;
namespace fs = std::filesystem;
using sbx::test::read_bytes;
using sbx::test::scratch_dir;
using sbx::test::write_bytes;

namespace {

const fs::path fixtures = SBX_FIXTURES_DIR;
// Real DICOM samples of the python3-pydicom package (see shared/notes/dicom-samples.md).

constexpr const char* nm_class = "1.2.840.10008.5.1.4.1.1.20";
constexpr const char* sc_class = "1.2.840.10008.5.1.4.1.1.7";
constexpr const char* explicit_le = "1.2.840.10008.1.2.1";
constexpr const char* jpeg_baseline = "1.2.840.10008.1.2.4.50";

/// Writes `bytes` to a file in `dir` and returns its path.
fs::path write_in(const scratch_dir& dir, const std::string& bytes,
                  const std::string& name = "data.dcm") {
  write_bytes(dir / name, bytes);
  return dir / name;
}

// --- A minimal explicit VR little endian writer for hand-made datasets -----------------------

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

void put_tag(std::string& out, std::uint32_t tag) {
  put16(out, static_cast<std::uint16_t>(tag >> 16));
  put16(out, static_cast<std::uint16_t>(tag & 0xffff));
}

/// One element; the value is padded to even length (NUL for UI and OB, else space).
std::string element(std::uint32_t tag, const std::string& vr, std::string value) {
  if (value.size() % 2 != 0) value.push_back(vr == "UI" || vr == "OB" ? '\0' : ' ');
  std::string out;
  put_tag(out, tag);
  out += vr;
  if (vr == "OB" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UT") {
    put16(out, 0);
    put32(out, static_cast<std::uint32_t>(value.size()));
  } else {
    put16(out, static_cast<std::uint16_t>(value.size()));
  }
  return out + value;
}

/// A sequence of undefined length whose items (of undefined length) hold the given datasets.
std::string sequence(std::uint32_t tag, const std::vector<std::string>& items) {
  std::string out;
  put_tag(out, tag);
  out += "SQ";
  put16(out, 0);
  put32(out, 0xffffffff);
  for (const auto& item : items) {
    put_tag(out, 0xfffee000);
    put32(out, 0xffffffff);
    out += item;
    put_tag(out, 0xfffee00d);
    put32(out, 0);
  }
  put_tag(out, 0xfffee0dd);
  put32(out, 0);
  return out;
}

/// Encapsulated pixel data: an empty offset table, then the fragments, then (optionally) the
/// sequence delimiter.
std::string encapsulated(const std::vector<std::string>& fragments, bool delimited = true) {
  std::string out;
  put_tag(out, 0x7fe00010);
  out += "OB";
  put16(out, 0);
  put32(out, 0xffffffff);
  put_tag(out, 0xfffee000);
  put32(out, 0);
  for (const auto& f : fragments) {
    put_tag(out, 0xfffee000);
    put32(out, static_cast<std::uint32_t>(f.size()));
    out += f;
  }
  if (delimited) {
    put_tag(out, 0xfffee0dd);
    put32(out, 0);
  }
  return out;
}

/// A Part-10 file: preamble, File Meta Information (with group length), dataset.
std::string part10(const std::string& dataset, const std::string& sop_class = nm_class,
                   const std::string& ts = explicit_le) {
  std::string meta = element(0x00020001, "OB", std::string("\0\1", 2)) +
                     element(0x00020002, "UI", sop_class) + element(0x00020010, "UI", ts);
  std::string group_length;
  put32(group_length, static_cast<std::uint32_t>(meta.size()));
  return std::string(128, '\0') + "DICM" + element(0x00020000, "UL", group_length) + meta + dataset;
}

/// A dataset: elements in tag order (a tag -> encoded element map keeps them sorted).
using elements = std::map<std::uint32_t, std::string>;

std::string concat(const elements& e) {
  std::string out;
  for (const auto& [tag, bytes] : e) out += bytes;
  return out;
}

/// The minimal dataset of an NM image (SOP class and instance), plus `more`.
std::string nm_dataset(elements more = {}) {
  more.emplace(0x00080016, element(0x00080016, "UI", nm_class));
  more.emplace(0x00080018, element(0x00080018, "UI", "1.2.3.4"));
  return concat(more);
}

/// The NM dataset followed by `tail` (pixel data: always the last element here).
std::string nm_dataset_with(const std::string& tail) { return nm_dataset() + tail; }

/// `more` keyed by the tags of the encoded elements.
elements with(std::initializer_list<std::string> encoded) {
  elements out;
  for (const auto& e : encoded) {
    const auto b = [&](std::size_t i) { return std::uint32_t{static_cast<unsigned char>(e[i])}; };
    out.emplace((b(1) << 24) | (b(0) << 16) | (b(3) << 8) | b(2), e);
  }
  return out;
}

/// True if reading the file throws invalid_dicom; anything else escaping fails the test.
bool rejected(const fs::path& file) {
  try {
    read_header(file);
    return false;
  } catch (const invalid_dicom&) {
    return true;
  }
}

std::string rejection(const header_info& h, const accepted_contexts& contexts) {
  try {
    check_context(h, contexts);
  } catch (const invalid_dicom& e) {
    return e.what();
  }
  return {};
}

const fs::path pydicom_data = "/usr/lib/python3/dist-packages/pydicom/data";

std::vector<fs::path> pydicom_files() {
  auto names = sbx::test::pydicom_samples();
  return {names.begin(), names.end()};
}

/// Offset of the last root-level-looking (7FE0,0010) tag in little endian, or npos.
std::size_t pixel_data_offset(const std::string& bytes) {
  return bytes.rfind(std::string("\xe0\x7f\x10\x00", 4));
}

}  // namespace

TEST_CASE("read_header extracts the stored attributes of the NM fixture", "[unit]") {
  const auto h = read_header(fixtures / "test.dcm");
  CHECK(h.sop_class_uid == nm_class);
  CHECK(h.transfer_syntax_uid == explicit_le);
  CHECK_FALSE(h.patient_identity_removed);
  const auto& a = h.attributes;
  CHECK(a.pat.patient_name == "anon270");
  CHECK(a.pat.patient_id == "anon270");
  CHECK(a.pat.patient_birth_date == "");
  CHECK(a.pat.patient_sex == "F");
  CHECK(a.stu.study_instance_uid == "1.2.752.24.5.4236802714.20070711135934.4103859");
  CHECK(a.stu.study_description == "Statisk njurscintigrafi");
  CHECK(a.stu.study_date == "20100301");
  CHECK(a.stu.study_id == "SeSka_SEKMAS0003951476");
  CHECK(a.stu.accession_number == "SeSka_SEKMAS0003951476");
  CHECK(a.stu.patient_age == "011Y");
  CHECK(a.ser.series_instance_uid ==
        "65.2.840.10008.20.7.52.107.48.52.48.56.524320.13228481.537347.21");
  CHECK(a.ser.series_description == "DET 1");
  CHECK(a.ser.series_date == "20100301");
  CHECK(a.ser.modality == "NM");
  CHECK(a.ser.protocol_name == "DMSA");
  CHECK(a.ser.body_part_examined == "DMSA");
  CHECK(a.ser.manufacturer == "ADAC");
  CHECK(a.ser.station_name == "MAS");
  CHECK(a.ser.frame_of_reference_uid == "");
  CHECK(a.img.sop_instance_uid ==
        "65.2.840.10008.20.7.52.107.48.52.48.56.1.524320.13228481.537347");
  CHECK(a.img.image_type == "ORIGINAL\\PRIMARY\\STATIC\\EMISSION");
  CHECK(a.img.instance_number == "8");
}

TEST_CASE("read_file_meta reads the meta information and where the dataset starts", "[unit]") {
  const auto file = fixtures / "test.dcm";
  const auto m = read_file_meta(file);
  CHECK(m.transfer_syntax_uid == explicit_le);
  CHECK(m.media_storage_sop_class_uid == nm_class);
  CHECK(m.media_storage_sop_instance_uid == read_header(file).attributes.img.sop_instance_uid);
  CHECK(read_bytes(file).substr(m.dataset_offset) == sbx::test::dataset_bytes(file));

  scratch_dir dir;
  write_bytes(dir / "bare.dcm", sbx::test::dataset_bytes(file));
  const auto bare = read_file_meta(dir / "bare.dcm");
  CHECK(bare.transfer_syntax_uid.empty());
  CHECK(bare.media_storage_sop_class_uid.empty());
  CHECK(bare.media_storage_sop_instance_uid.empty());
  CHECK(bare.dataset_offset == 0);
  write_bytes(dir / "text.dcm", "not DICOM at all");
  CHECK_THROWS_AS(read_file_meta(dir / "text.dcm"), invalid_dicom);
}

TEST_CASE("Secondary Capture is accepted by the extended contexts only", "[unit]") {
  const auto h = read_header(fixtures / "sc.dcm");
  CHECK(h.sop_class_uid == sc_class);
  CHECK(h.transfer_syntax_uid == jpeg_baseline);
  CHECK(h.attributes.pat.patient_name == "");
  CHECK(h.attributes.stu.study_instance_uid ==
        "1.2.276.0.7230010.3.1.2.715211261.9448.1421856211.669");
  for (auto d : {context_defaults::node, context_defaults::original}) {
    CHECK_NOTHROW(check_context(h, extended_contexts(d)));
    CHECK(rejection(h, image_data_contexts(d)) ==
          "The presentation context [SOPClassUID = 1.2.840.10008.5.1.4.1.1.7, TransferSyntaxUID = "
          "1.2.840.10008.1.2.4.50] is not supported");
  }
  const auto nm = read_header(fixtures / "test.dcm");
  CHECK_NOTHROW(check_context(nm, image_data_contexts(context_defaults::original)));
}

TEST_CASE("files that are not DICOM are invalid", "[unit]") {
  scratch_dir dir;
  CHECK(rejected(fixtures / "invalid.dcm"));
  CHECK(rejected(fixtures / "cat.jpg"));
  CHECK(rejected(write_in(dir, "", "empty.dcm")));
  CHECK(rejected(write_in(dir, std::string(131, '\0'), "zeros.dcm")));
  CHECK(rejected(write_in(dir, std::string(128, '\0') + "DICM", "preamble-only.dcm")));
  CHECK(rejected(write_in(dir, "hello, world\n", "text.dcm")));
  CHECK(rejected(write_in(dir, part10(""), "meta-only.dcm")));
  CHECK(rejected(fixtures / "no-such-file.dcm"));
}

TEST_CASE("the context lists are 2.1.1's, and the node's add decodable syntaxes", "[unit]") {
  const auto original = image_data_contexts(context_defaults::original);
  CHECK(original.transfer_syntaxes ==
        std::set<std::string>{"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                              "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.50"});
  CHECK(original.sop_classes.size() == 37);
  CHECK(original.sop_classes.contains("1.2.840.10008.5.1.4.1.1.501.2.2"));
  CHECK(original.sop_classes.contains("1.2.840.10008.5.1.4.1.1.1.1"));
  CHECK(original.sop_classes.contains("1.2.840.10008.5.1.4.1.1.66.4"));
  CHECK_FALSE(original.sop_classes.contains("1.2.840.10008.5.1.4.1.1.1.1.1"));
  CHECK_FALSE(original.sop_classes.contains(sc_class));

  const auto original_extended = extended_contexts(context_defaults::original);
  CHECK(original_extended.transfer_syntaxes == original.transfer_syntaxes);
  CHECK(original_extended.sop_classes.size() == 42);
  for (const auto* sc :
       {"1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.7.1", "1.2.840.10008.5.1.4.1.1.7.2",
        "1.2.840.10008.5.1.4.1.1.7.3", "1.2.840.10008.5.1.4.1.1.7.4"}) {
    CHECK(original_extended.sop_classes.contains(sc));
  }

  const auto node = image_data_contexts(context_defaults::node);
  CHECK(node.transfer_syntaxes.size() == 13);
  for (const auto* ts :
       {"1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5"}) {
    CHECK(node.transfer_syntaxes.contains(ts));
  }
  CHECK(std::ranges::includes(node.transfer_syntaxes, original.transfer_syntaxes));
  CHECK(node.sop_classes.size() == 38);
  CHECK(node.sop_classes.contains("1.2.840.10008.5.1.4.1.1.1.1.1"));
  CHECK(std::ranges::includes(node.sop_classes, original.sop_classes));
  CHECK(extended_contexts(context_defaults::node).sop_classes.size() == 43);
}

TEST_CASE("a dataset without File Meta Information reads but is never accepted", "[unit]") {
  scratch_dir dir;
  // test.dcm without preamble and meta group: the bare explicit VR little endian dataset.
  const auto bytes = read_bytes(fixtures / "test.dcm");
  const auto dataset_start = bytes.find(std::string("\x08\x00", 2), 132);
  REQUIRE(dataset_start != std::string::npos);
  const auto h = read_header(write_in(dir, bytes.substr(dataset_start)));
  CHECK(h.transfer_syntax_uid == "");
  CHECK(h.sop_class_uid == nm_class);  // from SOPClassUID (0008,0016)
  CHECK(h.attributes.pat.patient_name == "anon270");
  for (auto d : {context_defaults::node, context_defaults::original}) {
    CHECK(rejection(h, extended_contexts(d)) ==
          "The presentation context [SOPClassUID = 1.2.840.10008.5.1.4.1.1.20, "
          "TransferSyntaxUID = <empty>] is not supported");
  }
  CHECK(rejection(header_info{}, extended_contexts(context_defaults::node)) ==
        "The presentation context [SOPClassUID = <empty>, TransferSyntaxUID = <empty>] is not "
        "supported");
}

TEST_CASE("values follow the extraction rules of spec 4.1", "[unit]") {
  scratch_dir dir;
  SECTION("first component, trimmed; image type keeps all components") {
    const auto h =
        read_header(write_in(dir, part10(nm_dataset(with({
                                      element(0x00080008, "CS", " ORIGINAL\\PRIMARY \\AXIAL "),
                                      element(0x00080060, "CS", "CT"),
                                      element(0x00100010, "PN", "  Doe^John\\Other^Name "),
                                      element(0x00100020, "LO", "PID1\\PID2"),
                                      element(0x00101010, "AS", "050Y"),
                                      element(0x00120062, "CS", "yes"),
                                      element(0x0020000d, "UI", "1.2.3"),
                                      element(0x00200013, "IS", " 7 "),
                                  })))));
    CHECK(h.attributes.img.image_type == "ORIGINAL\\PRIMARY\\AXIAL");
    CHECK(h.attributes.img.sop_instance_uid == "1.2.3.4");  // NUL padding removed
    CHECK(h.attributes.pat.patient_name == "Doe^John");
    CHECK(h.attributes.pat.patient_id == "PID1");
    CHECK(h.attributes.stu.patient_age == "050Y");
    CHECK(h.attributes.stu.study_instance_uid == "1.2.3");
    CHECK(h.attributes.img.instance_number == "7");
    CHECK(h.attributes.ser.modality == "CT");
    CHECK(h.attributes.ser.series_instance_uid == "");
    CHECK(h.patient_identity_removed);
    CHECK(h.sop_class_uid == nm_class);  // MediaStorageSOPClassUID
  }
  SECTION("only the root dataset counts, never a sequence item") {
    const auto item = element(0x00100010, "PN", "Nested^Name") + element(0x00120062, "CS", "YES");
    const auto h = read_header(write_in(dir, part10(nm_dataset(with({
                                                 sequence(0x00081140, {item}),
                                                 element(0x00120062, "CS", "NO"),
                                             })))));
    CHECK(h.attributes.pat.patient_name == "");
    CHECK_FALSE(h.patient_identity_removed);
  }
  SECTION("MediaStorageSOPClassUID wins over SOPClassUID") {
    const auto h = read_header(write_in(dir, part10(nm_dataset(), "1.2.840.10008.5.1.4.1.1.2")));
    CHECK(h.sop_class_uid == "1.2.840.10008.5.1.4.1.1.2");
  }
}

TEST_CASE("text is decoded per SpecificCharacterSet to UTF-8", "[unit]") {
  scratch_dir dir;
  auto name_in = [&](const std::string& charset, const std::string& name) {
    auto e = with({element(0x00100010, "PN", name)});
    if (!charset.empty()) e.emplace(0x00080005, element(0x00080005, "CS", charset));
    return read_header(write_in(dir, part10(nm_dataset(e)))).attributes.pat.patient_name;
  };
  CHECK(name_in("ISO_IR 100", "Buc^J\xe9r\xf4me") == "Buc^J\u00e9r\u00f4me");
  CHECK(name_in("ISO_IR 192", "Buc^J\u00e9r\u00f4me") == "Buc^J\u00e9r\u00f4me");
  CHECK(name_in("ISO_IR 144", "\xbb\xee\xda") == "\u041b\u044e\u043a");
  // No or an unknown character set: bytes are kept, invalid UTF-8 replaced.
  CHECK(name_in("", "Doe^John") == "Doe^John");
  CHECK(name_in("", "J\xe9r\xf4me") == "J\ufffdr\ufffdme");
  CHECK(name_in("NO SUCH SET", "J\u00e9r\u00f4me") == "J\u00e9r\u00f4me");
  // Decoded before splitting: 0x5C is a trail byte in GBK, not a delimiter.
  CHECK(name_in("GBK", "\x95\x5c") == "\u661e");

  const auto charsets = pydicom_data / "charset_files";
  if (!fs::is_directory(charsets)) {
    WARN("python3-pydicom is not installed; its character set samples are skipped");
    return;
  }
  const std::map<std::string, std::string> expected = {
      {"chrArab.dcm", "\u0642\u0628\u0627\u0646\u064a^\u0644\u0646\u0632\u0627\u0631"},
      {"chrFren.dcm", "Buc^J\u00e9r\u00f4me"},
      {"chrFrenMulti.dcm", "Buc^J\u00e9r\u00f4me"},
      {"chrGerm.dcm", "\u00c4neas^R\u00fcdiger"},
      {"chrGreek.dcm", "\u0394\u03b9\u03bf\u03bd\u03c5\u03c3\u03b9\u03bf\u03c2"},
      {"chrH31.dcm",
       "Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046"},
      {"chrH32.dcm",
       "\uff94\uff8f\uff80\uff9e^\uff80\uff9b\uff73=\u5c71\u7530^\u592a\u90ce="
       "\u3084\u307e\u3060^\u305f\u308d\u3046"},
      {"chrHbrw.dcm", "\u05e9\u05e8\u05d5\u05df^\u05d3\u05d1\u05d5\u05e8\u05d4"},
      {"chrI2.dcm", "Hong^Gildong=\u6d2a^\u5409\u6d1e=\ud64d^\uae38\ub3d9"},
      {"chrJapMulti.dcm", "\u3084\u307e\u3060^\u305f\u308d\u3046"},
      {"chrJapMultiExplicitIR6.dcm", "\u3084\u307e\u3060^\u305f\u308d\u3046"},
      {"chrKoreanMulti.dcm", "\uae40\ud76c\uc911"},
      {"chrRuss.dcm",
       "\u041b\u044e\u043a"
       "ce\u043c\u0431yp\u0433"},
      {"chrX1.dcm", "Wang^XiaoDong=\u738b^\u5c0f\u6771="},
      {"chrX2.dcm", "Wang^XiaoDong=\u738b^\u5c0f\u4e1c="},
  };
  for (const auto& [file, name] : expected) {
    CAPTURE(file);
    CHECK(read_header(charsets / file).attributes.pat.patient_name == name);
  }
}

TEST_CASE("pixel data must fit in the file", "[unit]") {
  scratch_dir dir;
  auto native = [](std::uint32_t declared, std::size_t present) {
    std::string out;
    put_tag(out, 0x7fe00010);
    out += "OW";
    put16(out, 0);
    put32(out, declared);
    return out + std::string(present, '\x11');
  };
  CHECK_FALSE(rejected(write_in(dir, part10(nm_dataset_with(native(64, 64))))));
  CHECK_FALSE(rejected(write_in(dir, part10(nm_dataset()))));  // no pixel data at all
  CHECK(rejected(write_in(dir, part10(nm_dataset_with(native(64, 62))))));
  CHECK(rejected(write_in(dir, part10(nm_dataset_with(native(0xfffffff0, 64))))));
  try {
    read_header(write_in(dir, part10(nm_dataset_with(native(64, 10)))));
    FAIL("truncated pixel data accepted");
  } catch (const invalid_dicom& e) {
    CHECK_THAT(e.what(), Catch::Contains("(7FE0,0010)"));
  }

  const std::string frame(100, '\x22');
  CHECK_FALSE(rejected(write_in(
      dir, part10(nm_dataset_with(encapsulated({frame, frame})), nm_class, jpeg_baseline))));
  // The last fragment cut short, the delimiter missing, a fragment claiming too much.
  auto cut = part10(nm_dataset_with(encapsulated({frame, frame}, false)), nm_class, jpeg_baseline);
  CHECK(rejected(write_in(dir, cut)));
  CHECK(rejected(write_in(dir, cut.substr(0, cut.size() - 10))));
  auto lying = part10(nm_dataset_with(encapsulated({frame})), nm_class, jpeg_baseline);
  lying[lying.size() - 8 - frame.size() - 4] = '\x7f';  // the fragment's length: 100 -> 127
  CHECK(rejected(write_in(dir, lying)));
}

TEST_CASE("every pydicom sample reads or is invalid, and contexts follow the lists", "[unit]") {
  const auto files = pydicom_files();
  // deploy/install-deps.sh --test installs python3-pydicom; without it this test cannot pass.
  REQUIRE_FALSE(files.empty());
  const auto node = extended_contexts(context_defaults::node);
  const auto original = extended_contexts(context_defaults::original);
  struct tally {
    int read = 0;
    int node = 0;
    int original = 0;
  };
  std::map<std::string, tally> by_ts;
  std::vector<std::string> invalid;
  for (const auto& file : files) {
    const auto name = fs::relative(file, pydicom_data).string();
    CAPTURE(name);
    header_info h;
    try {
      h = read_header(file);
    } catch (const invalid_dicom& e) {
      invalid.push_back(name + ": " + e.what());
      continue;
    }
    auto& t = by_ts[h.transfer_syntax_uid.empty() ? "<empty>" : h.transfer_syntax_uid];
    ++t.read;
    const bool node_ok = rejection(h, node).empty();
    const bool original_ok = rejection(h, original).empty();
    t.node += node_ok;
    t.original += original_ok;
    if (node.sop_classes.contains(h.sop_class_uid)) {
      CHECK(node_ok == node.transfer_syntaxes.contains(h.transfer_syntax_uid));
      CHECK(original_ok == original.transfer_syntaxes.contains(h.transfer_syntax_uid));
    } else {
      CHECK_FALSE(node_ok);
    }
  }
  // Known-bad samples: cut inside pixel data / a sequence, implicit data under an explicit TS.
  for (const auto* bad : {"test_files/MR_truncated.dcm", "test_files/rtplan_truncated.dcm",
                          "test_files/SC_rgb_jpeg.dcm"}) {
    CAPTURE(bad);
    CHECK(rejected(pydicom_data / bad));
  }
  for (const auto* good : {"test_files/CT_small.dcm", "test_files/MR_small_implicit.dcm",
                           "test_files/MR_small_bigendian.dcm", "test_files/MR_small_RLE.dcm",
                           "test_files/image_dfl.dcm", "test_files/ExplVR_LitEndNoMeta.dcm",
                           "test_files/ExplVR_BigEndNoMeta.dcm", "test_files/rtplan.dcm",
                           "test_files/JPEG2000.dcm", "test_files/liver_expb_1frame.dcm"}) {
    CAPTURE(good);
    CHECK_FALSE(rejected(pydicom_data / good));
  }
  CHECK(read_header(pydicom_data / "test_files/CT_small.dcm").attributes.pat.patient_name ==
        "CompressedSamples^CT1");
  CHECK(read_header(pydicom_data / "test_files/MR_small_bigendian.dcm").attributes.img.image_type ==
        "DERIVED\\SECONDARY\\OTHER");

  // What the two context sets make of the samples (extended contexts).
  std::cout << "pydicom samples: " << files.size() << " files, " << invalid.size() << " invalid\n";
  for (const auto& line : invalid) std::cout << "  invalid  " << line << "\n";
  for (const auto& [ts, t] : by_ts) {
    std::cout << "  " << ts << ": " << t.read << " read, node accepts " << t.node
              << ", original accepts " << t.original << "\n";
  }
}

TEST_CASE("truncated files are invalid, never a crash", "[unit]") {
  scratch_dir dir;
  std::vector<fs::path> samples = {fixtures / "test.dcm", fixtures / "sc.dcm"};
  for (const auto* f :
       {"test_files/MR_small_implicit.dcm", "test_files/MR_small_bigendian.dcm",
        "test_files/MR_small_RLE.dcm", "test_files/rtplan.dcm", "test_files/image_dfl.dcm",
        "test_files/UN_sequence.dcm", "test_files/ExplVR_BigEndNoMeta.dcm",
        "test_files/priv_SQ.dcm", "test_files/nested_priv_SQ.dcm"}) {
    if (fs::exists(pydicom_data / f)) samples.push_back(pydicom_data / f);
  }
  for (const auto& sample : samples) {
    const auto bytes = read_bytes(sample);
    CAPTURE(sample.string());
    const bool deflated = bytes.find("1.2.840.10008.1.2.1.99") != std::string::npos;
    const auto pixel = deflated ? std::string::npos : pixel_data_offset(bytes);
    // Every cut inside the first 4 KB, then about 300 spread over the rest.
    std::vector<std::size_t> cuts;
    for (std::size_t n = 0; n < std::min<std::size_t>(bytes.size(), 4096); ++n) cuts.push_back(n);
    const auto step = std::max<std::size_t>(1, bytes.size() / 300);
    for (std::size_t n = 4096; n < bytes.size(); n += step) cuts.push_back(n);
    cuts.push_back(bytes.size() - 1);
    int readable = 0;
    for (const auto n : cuts) {
      CAPTURE(n);
      const bool bad = rejected(write_in(dir, bytes.substr(0, n)));
      readable += !bad;
      // A cut inside the pixel data element (header or value) always shows.
      if (pixel != std::string::npos && n > pixel) CHECK(bad);
    }
    // A file cut exactly between two root elements is complete as far as anyone can tell; any
    // other cut is invalid. So only a few cuts may read.
    CHECK(readable < 200);
    CHECK_FALSE(rejected(sample));
  }
}

TEST_CASE("random and corrupted bytes are invalid, never a crash or a hang", "[unit]") {
  scratch_dir dir;
  std::mt19937 rng(20240611);
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
  };
  auto size = [&](std::size_t max) { return static_cast<std::size_t>(rng() % (max + 1)); };

  for (int i = 0; i < 300; ++i) {
    CAPTURE(i);
    CHECK(rejected(write_in(dir, random_bytes(size(4096)))));
  }
  // Past the first checks: a real preamble, or even real meta information, then garbage.
  const auto meta_only = part10("");
  for (int i = 0; i < 300; ++i) {
    CAPTURE(i);
    const std::string prefix = i % 2 == 0 ? std::string(128, '\0') + "DICM" : meta_only;
    rejected(write_in(dir, prefix + random_bytes(size(4096))));
  }
  // Real files with a few bytes changed in their headers: read or invalid, nothing else.
  std::vector<fs::path> samples = {fixtures / "test.dcm"};
  for (const auto* f : {"test_files/MR_small_implicit.dcm", "test_files/MR_small_bigendian.dcm",
                        "test_files/rtplan.dcm", "test_files/image_dfl.dcm",
                        "test_files/JPEG2000.dcm", "test_files/nested_priv_SQ.dcm",
                        "test_files/UN_sequence.dcm", "test_files/ExplVR_LitEndNoMeta.dcm"}) {
    if (fs::exists(pydicom_data / f)) samples.push_back(pydicom_data / f);
  }
  for (const auto& sample : samples) {
    CAPTURE(sample.string());
    const auto bytes = read_bytes(sample);
    const auto header = std::min<std::size_t>(bytes.size(), 2048);
    for (int i = 0; i < 400; ++i) {
      auto corrupted = bytes;
      const auto flips = 1 + rng() % 4;
      for (std::size_t k = 0; k < flips; ++k) {
        const auto at = rng() % header;
        corrupted[at] = i % 3 == 0 ? static_cast<char>(0xff) : static_cast<char>(rng() & 0xff);
      }
      CAPTURE(i);
      rejected(write_in(dir, corrupted));
    }
  }
}

TEST_CASE("malformed structures are invalid before GDCM sees them", "[unit]") {
  scratch_dir dir;
  auto header_of = [](std::uint32_t tag, const std::string& vr, std::uint32_t length) {
    std::string out;
    put_tag(out, tag);
    out += vr;
    put16(out, 0);
    put32(out, length);
    return out;
  };
  // Out of order, meta elements inside the dataset, no meta after DICM.
  CHECK(rejected(write_in(dir, part10(element(0x00100010, "PN", "A") + nm_dataset()))));
  CHECK(rejected(write_in(dir, part10(element(0x00020003, "UI", "1.2") + nm_dataset()))));
  CHECK(rejected(write_in(dir, std::string(128, '\0') + "DICM" + nm_dataset())));
  // A meta group length that does not match its elements.
  auto bad_length = part10(nm_dataset());
  bad_length[140] = static_cast<char>(bad_length[140] + 2);
  CHECK(rejected(write_in(dir, bad_length)));
  // Undefined length where the standard has none; pixel data as a sequence; unknown VR.
  CHECK(rejected(write_in(dir, part10(nm_dataset_with(header_of(0x00091010, "OB", 0xffffffff) +
                                                      encapsulated({"ab"}).substr(12))))));
  CHECK(rejected(write_in(dir, part10(nm_dataset_with(header_of(0x7fe00010, "SQ", 0))))));
  CHECK(rejected(write_in(dir, part10(nm_dataset_with(header_of(0x00091010, "XX", 0))))));
  // A sequence that never ends, an item delimiter outside an item, a UL of 6 bytes.
  auto open_sequence = sequence(0x00081140, {element(0x00100010, "PN", "A")});
  open_sequence.resize(open_sequence.size() - 8);
  CHECK(rejected(write_in(dir, part10(nm_dataset(with({open_sequence}))))));
  std::string stray;
  put_tag(stray, 0xfffee00d);
  put32(stray, 0);
  CHECK(rejected(write_in(dir, part10(nm_dataset_with(stray)))));
  CHECK(rejected(write_in(dir, part10(nm_dataset(with({element(0x00091010, "UL", "123456")}))))));
  // Nesting deep enough to exhaust a recursive parser.
  std::string nested = element(0x00100010, "PN", "deep");
  for (int i = 0; i < 200; ++i) nested = sequence(0x00081140, {nested});
  CHECK(rejected(write_in(dir, part10(nm_dataset(with({nested}))))));
  // Still fine: an empty sequence, an empty item, a duplicate element.
  CHECK_FALSE(rejected(write_in(dir, part10(nm_dataset(with({sequence(0x00081140, {})}))))));
  CHECK_FALSE(rejected(write_in(dir, part10(nm_dataset(with({sequence(0x00081140, {""})}))))));
  CHECK_FALSE(rejected(write_in(dir, part10(nm_dataset() + element(0x00080018, "UI", "1.2.3.4") +
                                            element(0x00100010, "PN", "A")))));
}
