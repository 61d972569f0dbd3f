// SPDX-License-Identifier: Apache-2.0
#include "dicom/anonymization.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "dicom/anonymization_keys.hpp"
#include "dicom/dataset_header.hpp"
#include "dicom/modify.hpp"
#include "support/dicom_files.hpp"
#include "support/phi_corpus.hpp"
#include "support/scratch_files.hpp"

namespace {

using sbx::dicom::confidentiality_option;
using sbx::dicom::deid_action;
using sbx::dicom::deid_effect;
using opt = confidentiality_option;
using profile_t = std::vector<confidentiality_option>;
using sbx::test::read_bytes;
using sbx::test::require_tool;
using sbx::test::scratch_dir;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

bool dcmdump_accepts(const std::filesystem::path& p) {
  const std::string cmd = "dcmdump -q '" + p.string() + "' > /dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// An oracle written from docs/api.md#profiles over the table data, independent of action_for.
std::optional<deid_action> expected_action(std::uint32_t tag, const profile_t& profile) {
  auto by_rank = profile;
  std::stable_sort(by_rank.begin(), by_rank.end(), [](auto l, auto r) {
    return sbx::dicom::info(l).rank > sbx::dicom::info(r).rank;
  });
  std::optional<std::pair<int, deid_action>> exact, masked;
  for (const auto o : by_rank) {
    const int rank = sbx::dicom::info(o).rank;
    if (o == opt::retain_safe_private) {
      for (const auto s : sbx::dicom::safe_private_tags()) {
        if (!masked && (tag & 0xFFFF00FF) == s) masked = {rank, deid_action::k};
      }
      continue;
    }
    for (const auto& row : sbx::dicom::action_table()) {
      const auto a = row.action_of(o);
      if (!a || !row.matches(tag)) continue;
      if (row.exact() && !exact) exact = {rank, *a};
      if (!row.exact() && !masked) masked = {rank, *a};
    }
  }
  if (exact && masked) return exact->first > masked->first ? exact->second : masked->second;
  if (exact) return exact->second;
  if (masked) return masked->second;
  return std::nullopt;
}

deid_effect expected_effect(std::uint32_t tag, const profile_t& profile) {
  const auto a = expected_action(tag, profile);
  return a ? sbx::dicom::effect_of(*a) : deid_effect::keep;
}

bool is_text_vr(const std::string& vr) {
  return vr == "SH" || vr == "LO" || vr == "ST" || vr == "LT" || vr == "UT" || vr == "PN" ||
         vr == "UC";
}

std::string latin1_to_utf8(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (u >> 6)));
      out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
    }
  }
  if (out.size() % 2) out.push_back(' ');
  return out;
}

bool is_new_uid(const std::string& v) {
  const auto t = trimmed(v);
  return t.starts_with("2.25.") && t.size() <= 44 && t.size() > 5 &&
         t.find_first_not_of("0123456789", 5) == std::string::npos;
}

std::string method_of(const profile_t& p) {
  std::string m;
  for (const auto o : p)
    m += (m.empty() ? "" : " - ") + std::string(sbx::dicom::info(o).description);
  return m;
}

std::string profile_name(const profile_t& p) {
  std::string s;
  for (const auto o : p) s += (s.empty() ? "" : "+") + std::string(sbx::dicom::info(o).name);
  return s;
}

std::vector<profile_t> option_sets() {
  std::vector<profile_t> sets{{opt::basic_profile}};
  for (const auto o : sbx::dicom::all_options()) {
    if (o != opt::basic_profile) sets.push_back({opt::basic_profile, o});
  }
  sets.push_back({opt::basic_profile, opt::retain_longitudinal_temporal_information,
                  opt::retain_patient_characteristics, opt::retain_device_identity,
                  opt::retain_institution_identity, opt::retain_uids, opt::retain_safe_private});
  sets.push_back({opt::basic_profile, opt::clean_descriptors, opt::clean_graphics,
                  opt::clean_structured_content});
  // Profile order must not matter for the actions (ranks do), only for the method text.
  sets.push_back({opt::retain_uids, opt::clean_descriptors, opt::basic_profile});
  return sets;
}

constexpr std::uint32_t root_identity[] = {0x00100010, 0x00100020, 0x0020000D, 0x0020000E,
                                           0x00080018};

/// A value with every new UID (random) replaced by one placeholder and its padding trimmed.
std::string without_new_uids(const std::string& v) {
  static const std::regex uid("2\\.25\\.[0-9]+");
  return trimmed(std::regex_replace(v, uid, "<uid>"));
}

/// The elements of a file, values without their new UIDs: equal for two anonymizations of one
/// input that differ only in the UIDs they drew.
std::vector<std::string> shape_of(const std::filesystem::path& file) {
  std::vector<std::string> out;
  for (const auto& e : sbx::test::read_flat(file)) {
    out.push_back(e.key + " " + e.vr + " " + std::to_string(e.items) + " " +
                  without_new_uids(e.value));
  }
  return out;
}

std::map<std::uint32_t, std::string> without_new_uids(std::map<std::uint32_t, std::string> m) {
  for (auto& [tag, v] : m) v = without_new_uids(v);
  return m;
}

sbx::proto::tag_path root_path(std::uint32_t tag) { return {{tag, "", false, 0}}; }

/// What the anonymization service applies after a key: custom values (root, nested, meta) and
/// harmonized ones, with a repeated path (the first wins).
std::vector<sbx::dicom::tag_mapping> key_mappings() {
  return {
      {root_path(0x00100010), "Anon^Patient"},
      {{{0x00081140, "", true, 1}, {0x00081155, "", false, 0}}, "9.8.7"},
      {root_path(0x00080018), "1.2.3.4"},
      {root_path(0x00020003), "1.2.3.4"},
      {root_path(0x00081030), ""},
      {root_path(0x00100030), "19000101"},
      {root_path(0x00100010), "Ignored^Second"},
  };
}

}  // namespace

TEST_CASE("confidentiality options: names, titles, descriptions, ranks", "[unit]") {
  REQUIRE(sbx::dicom::all_options().size() == 13);
  int previous = 0;
  for (const auto o : sbx::dicom::all_options()) {
    CHECK(sbx::dicom::info(o).rank > previous);
    previous = sbx::dicom::info(o).rank;
    CHECK(sbx::dicom::parse_option(sbx::dicom::info(o).name) == o);
  }
  CHECK(sbx::dicom::info(opt::basic_profile).rank == 10);
  CHECK(sbx::dicom::info(opt::retain_safe_private).rank == 130);
  CHECK(sbx::dicom::info(opt::clean_recognizable_visual_features).title == "Clean Visual Features");
  CHECK(
      sbx::dicom::info(opt::retain_longitudinal_temporal_information_modified_dates).description ==
      "Retain Longitudinal Temporal Information with Modified Dates");
  CHECK_FALSE(sbx::dicom::info(opt::clean_descriptors).supported);
  CHECK(sbx::dicom::info(opt::retain_uids).supported);
  CHECK_FALSE(sbx::dicom::parse_option("basic_profile"));
  CHECK_FALSE(sbx::dicom::parse_option("NOPE"));
}

TEST_CASE("action table holds Appendix A and B", "[unit]") {
  CHECK(sbx::dicom::action_table().size() == 301);
  CHECK(sbx::dicom::safe_private_tags().size() == 125);
  std::set<std::uint32_t> exact;
  for (const auto& row : sbx::dicom::action_table()) {
    if (row.exact()) CHECK(exact.insert(row.tag).second);  // duplicates: the later row wins
    CHECK(row.action_of(opt::basic_profile).has_value());
  }
  const auto row_of = [](std::uint32_t tag) {
    for (const auto& row : sbx::dicom::action_table())
      if (row.tag == tag) return row;
    FAIL("no row");
    return sbx::dicom::action_table()[0];
  };
  CHECK(row_of(0x300E0008).action_of(opt::basic_profile) == deid_action::x_z);
  CHECK(row_of(0x30080105).action_of(opt::basic_profile) == deid_action::x);
  CHECK(row_of(0x00102110).action_of(opt::retain_patient_characteristics) == deid_action::c);
  CHECK(row_of(0x00181002).action_of(opt::retain_device_identity) == deid_action::k);
  CHECK(row_of(0x00081140).action_of(opt::basic_profile) == deid_action::x_z_u);
  CHECK(row_of(0x60003000).mask == 0xFF00FFFF);
  CHECK(row_of(0x50000000).mask == 0xFF000000);
  CHECK(row_of(0x00010000).action_of(opt::retain_safe_private) == deid_action::c);
}

TEST_CASE("action_for picks the higher-ranked of the exact and the masked entry", "[unit]") {
  using sbx::dicom::action_for;
  const profile_t basic{opt::basic_profile};
  CHECK(action_for(0x00100010, basic) == deid_action::z);
  CHECK(action_for(0x00080018, basic) == deid_action::u);
  CHECK(action_for(0x00020003, basic) == deid_action::u);
  CHECK(action_for(0x00081030, basic) == deid_action::x);
  CHECK(action_for(0x00080060, basic) == std::nullopt);  // Modality: not listed
  CHECK(action_for(0x7FE00010, basic) == std::nullopt);
  // Retain options override BASIC_PROFILE, in either order.
  CHECK(action_for(0x00080020, {opt::basic_profile,
                                opt::retain_longitudinal_temporal_information}) == deid_action::k);
  CHECK(action_for(0x00080020, {opt::retain_longitudinal_temporal_information,
                                opt::basic_profile}) == deid_action::k);
  CHECK(action_for(0x00080020, {opt::basic_profile,
                                opt::retain_longitudinal_temporal_information_modified_dates}) ==
        deid_action::c);
  CHECK(action_for(0x0020000D, {opt::basic_profile, opt::retain_uids}) == deid_action::k);
  CHECK(action_for(0x00081120, {opt::basic_profile, opt::retain_uids}) == deid_action::x);
  CHECK(action_for(0x00081030, {opt::basic_profile, opt::clean_descriptors}) == deid_action::c);
  CHECK(action_for(0x00181002, {opt::basic_profile, opt::retain_uids,
                                opt::retain_device_identity}) == deid_action::k);
  // Masked rows.
  CHECK(action_for(0x50000010, basic) == deid_action::x);
  CHECK(action_for(0x501E3000, basic) == deid_action::x);
  CHECK(action_for(0x60003000, basic) == deid_action::x);
  CHECK(action_for(0x601E3000, basic) == deid_action::x);
  CHECK(action_for(0x601E4000, basic) == deid_action::x);
  CHECK(action_for(0x60000010, basic) == std::nullopt);
  CHECK(action_for(0x60003000, {opt::basic_profile, opt::clean_graphics}) == deid_action::c);
  CHECK(action_for(0x00191010, basic) == deid_action::x);
  CHECK(action_for(0x00190010, basic) == deid_action::x);
  // RETAIN_SAFE_PRIVATE: Appendix B with K for any private block; its own column is ignored.
  const profile_t safe{opt::basic_profile, opt::retain_safe_private};
  CHECK(action_for(0x00191023, safe) == deid_action::k);
  CHECK(action_for(0x00194223, safe) == deid_action::k);
  CHECK(action_for(0x00191021, safe) == deid_action::x);
  CHECK(action_for(0x00330010, safe) == deid_action::x);
  CHECK(action_for(0x01190010, safe) == deid_action::k);  // matches entry 01190010
  // An exact row wins over a masked one only with a higher rank.
  CHECK(action_for(0x00080020, {opt::basic_profile, opt::clean_graphics}) == deid_action::z);
  // CLEAN_PIXEL_DATA and CLEAN_RECOGNIZABLE_VISUAL_FEATURES have no column.
  for (const auto& row : sbx::dicom::action_table()) {
    CHECK_FALSE(row.action_of(opt::clean_pixel_data));
    CHECK_FALSE(row.action_of(opt::clean_recognizable_visual_features));
  }
  CHECK(action_for(0x00100010, {}) == std::nullopt);
}

TEST_CASE("new_uid is a 2.25 UID from a version 4 UUID", "[unit]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto uid = sbx::dicom::new_uid();
    REQUIRE(is_new_uid(uid));
    REQUIRE(seen.insert(uid).second);
  }
}

TEST_CASE("anonymize_file gives every attribute of the PHI corpus its table fate", "[unit]") {
  require_tool("dcmdump");
  const scratch_dir dir;
  const auto corpus = sbx::test::write_phi_corpus(dir / "in");
  REQUIRE(corpus.size() == 5);
  std::size_t checked = 0, runs = 0;
  for (const auto& ds : corpus) {
    REQUIRE(dcmdump_accepts(ds.file));
    REQUIRE_NOTHROW(sbx::dicom::read_header(ds.file));
    const auto input = sbx::test::read_flat(ds.file);
    const bool latin1 = ds.name == "latin1";
    for (const auto& profile : option_sets()) {
      INFO(ds.name << " with " << profile_name(profile));
      const auto out = dir / (ds.name + "-" + std::to_string(runs++) + ".dcm");
      const auto result = sbx::dicom::anonymize_file(ds.file, out, profile, true);
      CHECK(result.was_anonymous == (ds.name == "anonymous"));
      REQUIRE(dcmdump_accepts(out));
      const auto header = sbx::dicom::read_header(out);
      CHECK(header.patient_identity_removed);

      std::map<std::string, sbx::test::flat_element> output;
      for (auto& e : sbx::test::read_flat(out)) output.emplace(e.key, e);
      const auto value_at = [&](const std::string& key) {
        const auto it = output.find(key);
        return it == output.end() ? std::string("<absent>") : trimmed(it->second.value);
      };
      std::set<std::string> expected_keys;
      std::vector<std::string> kept_values, gone_values;

      for (const auto& e : input) {
        INFO(e.key);
        const auto own = e.tags.back();
        const bool root = e.tags.size() == 1;
        bool absent = (own & 0xffff) == 0 && own >> 16 != 0x0002;
        for (std::size_t i = 0; i + 1 < e.tags.size(); ++i) {
          absent = absent || expected_effect(e.tags[i], profile) != deid_effect::keep;
        }
        auto effect = expected_effect(own, profile);
        if (effect == deid_effect::remove) absent = true;
        if (root && (own == 0x00120062 || own == 0x00120063)) continue;  // checked below
        const auto it = output.find(e.key);
        ++checked;
        if (absent) {
          CHECK(it == output.end());
          gone_values.push_back(trimmed(e.value));
          continue;
        }
        expected_keys.insert(e.key);
        REQUIRE(it != output.end());
        const auto& o = it->second;
        if (own == 0x00020000 || own == 0x00080005) continue;  // recomputed / set to ISO_IR 192
        if (own == 0x00020003) {
          CHECK(trimmed(o.value) == value_at("(0008,0018)"));
          CHECK(is_new_uid(o.value) != (effect == deid_effect::keep));
          continue;
        }
        const bool refilled = root && std::find(std::begin(root_identity), std::end(root_identity),
                                                own) != std::end(root_identity);
        if (refilled && (effect == deid_effect::empty || trimmed(e.value).empty())) {
          effect = deid_effect::new_uid;
        }
        switch (effect) {
          case deid_effect::new_uid:
            CHECK(is_new_uid(o.value));
            CHECK(trimmed(o.value) != trimmed(e.value));
            gone_values.push_back(trimmed(e.value));
            break;
          case deid_effect::empty:
            CHECK(o.value.empty());
            CHECK(o.items == 0);
            gone_values.push_back(trimmed(e.value));
            break;
          case deid_effect::remove:
            break;
          case deid_effect::keep:
            if (e.sequence) {
              CHECK(o.sequence);
              CHECK(o.items == e.items);
            } else if (latin1 && is_text_vr(e.vr)) {
              CHECK(o.value == latin1_to_utf8(e.value));
            } else {
              CHECK(o.value == e.value);
            }
            kept_values.push_back(trimmed(e.value));
            break;
        }
      }
      // Nothing was added but the de-identification marks and the generated identifiers.
      for (const auto& [key, e] : output) {
        if (expected_keys.count(key)) continue;
        INFO("unexpected " << key);
        CHECK((key == "(0008,0005)" || key == "(0012,0062)" || key == "(0012,0063)" ||
               key == "(0010,0010)" || key == "(0010,0020)" || key == "(0020,000D)"));
      }
      CHECK(value_at("(0008,0005)") == "ISO_IR 192");
      CHECK(value_at("(0012,0062)") == "YES");
      CHECK(value_at("(0012,0063)") == method_of(profile));
      for (const auto tag : root_identity) {
        char key[16];
        std::snprintf(key, sizeof key, "(%04X,%04X)", tag >> 16, tag & 0xffff);
        CHECK_FALSE(value_at(key).empty());
      }
      if (profile == profile_t{opt::basic_profile}) {
        CHECK(is_new_uid(value_at("(0010,0010)")));
        CHECK(is_new_uid(value_at("(0010,0020)")));
      }
      CHECK(output.at("(7FE0,0010)").value ==
            std::find_if(input.begin(), input.end(), [](const auto& e) {
              return e.key == "(7FE0,0010)";
            })->value);
      // Zero leaks: no removed/emptied/replaced value survives anywhere in the output bytes.
      const auto bytes = read_bytes(out);
      for (const auto& v : gone_values) {
        if (v.size() < 6 || v.find_first_not_of("0123456789.") == std::string::npos) continue;
        if (std::any_of(kept_values.begin(), kept_values.end(),
                        [&](const auto& k) { return k.find(v) != std::string::npos; }))
          continue;
        INFO("leaked " << v);
        CHECK(bytes.find(v) == std::string::npos);
      }
    }
  }
  WARN("checked " << checked << " attribute fates in " << runs << " anonymizations");
}

TEST_CASE("already anonymous data: copied unchanged or re-anonymized", "[unit]") {
  const scratch_dir dir;
  const auto corpus = sbx::test::write_phi_corpus(dir / "in");
  const auto& anonymous = *std::find_if(corpus.begin(), corpus.end(),
                                        [](const auto& d) { return d.name == "anonymous"; });
  const profile_t basic{opt::basic_profile};

  const auto kept = sbx::dicom::anonymize_file(anonymous.file, dir / "kept.dcm", basic, false);
  CHECK(kept.was_anonymous);
  CHECK(read_bytes(dir / "kept.dcm") == read_bytes(anonymous.file));

  const auto redone = sbx::dicom::anonymize_file(anonymous.file, dir / "redone.dcm", basic, true);
  CHECK(redone.was_anonymous);
  const auto bytes = read_bytes(dir / "redone.dcm");
  CHECK(bytes.find("PHI earlier method") == std::string::npos);
  CHECK(bytes.find("PHI^Anonymous^Already") == std::string::npos);
  CHECK(sbx::dicom::read_header(dir / "redone.dcm").patient_identity_removed);

  // Not anonymous: both modes anonymize.
  const auto& full = corpus.front();
  CHECK_FALSE(sbx::dicom::anonymize_file(full.file, dir / "full.dcm", basic, false).was_anonymous);
  CHECK(read_bytes(dir / "full.dcm") != read_bytes(full.file));
}

TEST_CASE("anonymize_file gives fresh UIDs on every run", "[unit]") {
  const scratch_dir dir;
  const auto corpus = sbx::test::write_phi_corpus(dir / "in");
  const profile_t basic{opt::basic_profile};
  sbx::dicom::anonymize_file(corpus.front().file, dir / "a.dcm", basic, false);
  sbx::dicom::anonymize_file(corpus.front().file, dir / "b.dcm", basic, false);
  const auto a = sbx::dicom::read_header(dir / "a.dcm").attributes;
  const auto b = sbx::dicom::read_header(dir / "b.dcm").attributes;
  CHECK(a.stu.study_instance_uid != b.stu.study_instance_uid);
  CHECK(a.ser.series_instance_uid != b.ser.series_instance_uid);
  CHECK(a.pat.patient_id != b.pat.patient_id);
  CHECK_THROWS_AS(
      sbx::dicom::anonymize_file(SBX_FIXTURES_DIR "/invalid.dcm", dir / "x.dcm", basic, false),
      sbx::dicom::invalid_dicom);
}

TEST_CASE("anonymize_file handles every readable pydicom sample", "[unit]") {
  require_tool("dcmdump");
  const scratch_dir dir;
  int done = 0;
  for (const auto& sample : sbx::test::pydicom_samples()) {
    try {
      sbx::dicom::read_header(sample);
    } catch (const sbx::dicom::invalid_dicom&) {
      continue;
    }
    INFO(sample);
    const auto out = dir / ("out" + std::to_string(done++) + ".dcm");
    sbx::dicom::anonymize_file(sample, out, {opt::basic_profile}, true);
    CHECK(dcmdump_accepts(out));
    CHECK(sbx::dicom::read_header(out).patient_identity_removed);
    const auto pixels = [](const std::filesystem::path& p) {
      for (auto& e : sbx::test::read_flat(p))
        if (e.key == "(7FE0,0010)") return e.value;
      return std::string("<none>");
    };
    CHECK(pixels(out) == pixels(sample));
  }
  WARN("anonymized " << done << " pydicom samples");
}

TEST_CASE("anonymized_image writes in one pass what anonymize_file and modify_file write in two",
          "[unit]") {
  require_tool("dcmdump");
  const scratch_dir dir;
  std::vector<std::string> inputs;
  for (const auto& ds : sbx::test::write_phi_corpus(dir / "in")) inputs.push_back(ds.file);
  for (const auto& sample : sbx::test::pydicom_samples()) inputs.push_back(sample);
  const auto mappings = key_mappings();
  int done = 0;
  for (const auto& in : inputs) {
    try {
      sbx::dicom::read_header(in);
    } catch (const sbx::dicom::invalid_dicom&) {
      continue;
    }
    for (const bool strip : {false, true}) {
      INFO(in << (strip ? " stripped" : ""));
      const auto n = std::to_string(done++);
      sbx::dicom::anonymized_image image(in, {opt::basic_profile}, strip);
      image.write(dir / (n + "-one.dcm"), mappings);

      const auto first = dir / (n + "-first.dcm");
      const auto result = sbx::dicom::anonymize_file(in, first, {opt::basic_profile}, strip);
      CHECK(image.was_anonymous() == result.was_anonymous);
      if (image.unchanged()) {
        CHECK(read_bytes(dir / (n + "-one.dcm")) == read_bytes(in));
        continue;
      }
      auto real = sbx::dicom::root_values(in);
      if (strip) {
        real.erase(0x00120062);
        real.erase(0x00120063);
      }
      CHECK(image.real_values() == real);
      CHECK(without_new_uids(image.anonymized_values()) ==
            without_new_uids(sbx::dicom::root_values(first)));
      sbx::dicom::modify_file(first, dir / (n + "-two.dcm"), mappings);
      REQUIRE(dcmdump_accepts(dir / (n + "-one.dcm")));
      CHECK(shape_of(dir / (n + "-one.dcm")) == shape_of(dir / (n + "-two.dcm")));
    }
  }
  WARN("compared " << done << " anonymizations");
}

TEST_CASE("anonymized_image leaves pixel data that ends the input where it is", "[unit]") {
  const scratch_dir dir;
  const auto in = dir / "in.dcm";
  { std::ofstream(in, std::ios::binary) << sbx::test::fixture("test.dcm"); }
  // With the UIDs kept and the refilled identities set, two runs give the same bytes.
  const profile_t kept_uids{opt::basic_profile, opt::retain_uids};
  auto mappings = key_mappings();
  mappings.push_back({root_path(0x00100020), "Anon-ID"});

  sbx::dicom::anonymized_image first(in, kept_uids, true);
  const auto parts = first.output(mappings);
  REQUIRE(parts);
  CHECK(parts->file == in);
  const auto input = read_bytes(in);
  REQUIRE(parts->offset < input.size());
  CHECK(input.compare(parts->offset, 4, std::string("\xE0\x7F\x10\x00", 4)) == 0);  // (7FE0,0010)

  sbx::dicom::anonymized_image second(in, kept_uids, true);
  second.write(dir / "out.dcm", mappings);
  CHECK(read_bytes(dir / "out.dcm") == parts->head + input.substr(parts->offset));
  CHECK(dcmdump_accepts(dir / "out.dcm"));

  // A value at the pixel data needs the pixel data in the dataset: no parts, but a file.
  sbx::dicom::anonymized_image third(in, kept_uids, true);
  const std::vector<sbx::dicom::tag_mapping> at_pixels{{root_path(0x7FE00010), "AB"}};
  CHECK_FALSE(third.output(at_pixels));
  sbx::dicom::anonymized_image fourth(in, kept_uids, true);
  fourth.write(dir / "pixels.dcm", at_pixels);
  const auto flat = sbx::test::read_flat(dir / "pixels.dcm");
  const auto pixels =
      std::find_if(flat.begin(), flat.end(), [](const auto& e) { return e.key == "(7FE0,0010)"; });
  REQUIRE(pixels != flat.end());
  CHECK(pixels->value == "AB");

  // Already anonymous and not stripped: the whole input, as it is.
  const auto anonymous = sbx::test::write_phi_corpus(dir / "corpus");
  const auto& already = *std::find_if(anonymous.begin(), anonymous.end(),
                                      [](const auto& d) { return d.name == "anonymous"; });
  sbx::dicom::anonymized_image unchanged(already.file, kept_uids, false);
  const auto whole = unchanged.output();
  REQUIRE(whole);
  CHECK(whole->head.empty());
  CHECK(whole->file == already.file);
  CHECK(whole->offset == 0);
}
