// SPDX-License-Identifier: Apache-2.0
#include "dicom/query_retrieve.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <string_view>

#include "dicom/tag_text.hpp"

namespace sbx::dicom {
namespace {

using proto::qido_condition;
using proto::qido_key;
using proto::qido_level;
using proto::qido_match;
using proto::qido_match_kind;

constexpr std::uint32_t query_retrieve_level_tag = 0x00080052;
constexpr std::uint32_t specific_character_set_tag = 0x00080005;

/// How a key's value is matched (PS3.4 C.2.2.2).
enum class matching : std::uint8_t {
  uid,          ///< single value or a list of UIDs
  date,         ///< single date or a range
  person_name,  ///< exact or wildcard, wildcards regardless of case
  text,         ///< exact or wildcard
  code_list,    ///< any of several codes (ModalitiesInStudy)
  none,         ///< a count: returned, never matched
};

/// A key the SCP answers (docs/api.md#queryretrieve).
struct attribute {
  std::uint32_t tag;
  qido_level level;  ///< the level it belongs to (patient keys are study keys in Study Root)
  std::optional<qido_key> key;  ///< the indexed attribute it matches; none: returned only
  matching kind;
  std::function<std::string(const qido_match&)> value;
  bool only_at_level = false;  ///< a count of this level: empty at any other
};

std::string count(std::int64_t n) { return std::to_string(n); }

const std::vector<attribute>& attributes() {
  using L = qido_level;
  using K = qido_key;
  using M = matching;
  static const std::vector<attribute> table = {
      {0x00100010, L::patient, K::patient_name, M::person_name,
       [](const qido_match& m) { return m.pat.patient_name; }},
      {0x00100020, L::patient, K::patient_id, M::text,
       [](const qido_match& m) { return m.pat.patient_id; }},
      {0x00100030, L::patient, K::patient_birth_date, M::date,
       [](const qido_match& m) { return m.pat.patient_birth_date; }},
      {0x00100040, L::patient, K::patient_sex, M::text,
       [](const qido_match& m) { return m.pat.patient_sex; }},
      {0x00201200, L::patient, std::nullopt, M::none,
       [](const qido_match& m) { return count(m.related_studies); }, true},
      {0x00201202, L::patient, std::nullopt, M::none,
       [](const qido_match& m) { return count(m.related_series); }, true},
      {0x00201204, L::patient, std::nullopt, M::none,
       [](const qido_match& m) { return count(m.related_instances); }, true},
      {0x0020000D, L::study, K::study_instance_uid, M::uid,
       [](const qido_match& m) { return m.stu.study_instance_uid; }},
      {0x00080020, L::study, K::study_date, M::date,
       [](const qido_match& m) { return m.stu.study_date; }},
      {0x00081030, L::study, K::study_description, M::text,
       [](const qido_match& m) { return m.stu.study_description; }},
      {0x00200010, L::study, K::study_id, M::text,
       [](const qido_match& m) { return m.stu.study_id; }},
      {0x00080050, L::study, K::accession_number, M::text,
       [](const qido_match& m) { return m.stu.accession_number; }},
      {0x00101010, L::study, K::patient_age, M::text,
       [](const qido_match& m) { return m.stu.patient_age; }},
      {0x00080061, L::study, K::modalities_in_study, M::code_list,
       [](const qido_match& m) {
         std::string out;
         for (const auto& modality : m.modalities) out += (out.empty() ? "" : "\\") + modality;
         return out;
       },
       true},
      {0x00201206, L::study, std::nullopt, M::none,
       [](const qido_match& m) { return count(m.related_series); }, true},
      {0x00201208, L::study, std::nullopt, M::none,
       [](const qido_match& m) { return count(m.related_instances); }, true},
      {0x0020000E, L::series, K::series_instance_uid, M::uid,
       [](const qido_match& m) { return m.ser.series_instance_uid; }},
      {0x00080060, L::series, K::modality, M::text,
       [](const qido_match& m) { return m.ser.modality; }},
      {0x0008103E, L::series, K::series_description, M::text,
       [](const qido_match& m) { return m.ser.series_description; }},
      {0x00080021, L::series, K::series_date, M::date,
       [](const qido_match& m) { return m.ser.series_date; }},
      {0x00181030, L::series, K::protocol_name, M::text,
       [](const qido_match& m) { return m.ser.protocol_name; }},
      {0x00180015, L::series, K::body_part_examined, M::text,
       [](const qido_match& m) { return m.ser.body_part_examined; }},
      {0x00080070, L::series, K::manufacturer, M::text,
       [](const qido_match& m) { return m.ser.manufacturer; }},
      {0x00081010, L::series, K::station_name, M::text,
       [](const qido_match& m) { return m.ser.station_name; }},
      {0x00200052, L::series, K::frame_of_reference_uid, M::uid,
       [](const qido_match& m) { return m.ser.frame_of_reference_uid; }},
      {0x00201209, L::series, std::nullopt, M::none,
       [](const qido_match& m) { return count(m.related_instances); }, true},
      {0x00080018, L::instance, K::sop_instance_uid, M::uid,
       [](const qido_match& m) { return m.img.sop_instance_uid; }},
      {0x00200013, L::instance, K::instance_number, M::text,
       [](const qido_match& m) { return m.img.instance_number; }},
      {0x00080008, L::instance, K::image_type, M::text,
       [](const qido_match& m) { return m.img.image_type; }},
  };
  return table;
}

const attribute* find_attribute(std::uint32_t tag) {
  for (const auto& a : attributes())
    if (a.tag == tag) return &a;
  return nullptr;
}

/// The level a key of the index's hierarchy belongs to when it is not a key this SCP matches:
/// by the usual module of its group, so that keys below the query level are told apart.
std::optional<qido_level> level_of_unknown(std::uint32_t tag) {
  switch (tag) {
    case 0x00200011:  // SeriesNumber
    case 0x00080031:  // SeriesTime
      return qido_level::series;
    case 0x00080016:  // SOPClassUID
    case 0x00080023:  // ContentDate
      return qido_level::instance;
    default:
      return std::nullopt;
  }
}

std::vector<std::string> split_values(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto end = value.find('\\', start);
    auto piece = value.substr(start, end == std::string_view::npos ? end : end - start);
    if (!piece.empty()) out.emplace_back(piece);
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

/// The matching key a value stands for; nullopt for universal matching.
std::optional<qido_condition> condition_of(const attribute& a, const std::string& value) {
  if (value.empty() || value == "*" || a.kind == matching::none) return std::nullopt;
  qido_condition c;
  c.key = *a.key;
  switch (a.kind) {
    case matching::uid:
    case matching::code_list:
      c.kind = qido_match_kind::uid_list;
      c.values = split_values(value);
      if (c.values.empty()) return std::nullopt;
      return c;
    case matching::date:
      if (auto date = proto::date_condition(c.key, value)) return date;
      throw qr_refusal(qr_status::unable_to_process,
                       "Invalid date or date range " + value + " for " + tag_text(a.tag));
    default:
      break;
  }
  return proto::text_condition(c.key, value, a.kind == matching::person_name);
}

qido_level level_named(qr_model model, const qr_identifier& identifier, std::string* name) {
  const auto it = std::find_if(identifier.begin(), identifier.end(), [](const qr_element& e) {
    return e.tag == query_retrieve_level_tag;
  });
  if (it == identifier.end())
    throw qr_refusal(qr_status::identifier_mismatch, "QueryRetrieveLevel (0008,0052) is missing");
  *name = it->value;
  if (it->value == "PATIENT" && model == qr_model::patient_root) return qido_level::patient;
  if (it->value == "STUDY") return qido_level::study;
  if (it->value == "SERIES") return qido_level::series;
  if (it->value == "IMAGE") return qido_level::instance;
  throw qr_refusal(qr_status::identifier_mismatch,
                   "QueryRetrieveLevel " + it->value + " is not a level of the " +
                       (model == qr_model::patient_root ? "Patient" : "Study") +
                       " Root information model");
}

/// The conditions of every key at or above `level`; a key below it with a value is refused.
std::vector<qido_condition> conditions(const qr_identifier& identifier, qido_level level,
                                       std::vector<qr_element>* returned) {
  std::vector<qido_condition> out;
  for (const auto& e : identifier) {
    if (e.tag == query_retrieve_level_tag || e.tag == specific_character_set_tag ||
        (e.tag & 0xFFFF) == 0 || e.tag >> 16 == 0)
      continue;
    const auto* a = find_attribute(e.tag);
    const auto key_level = a != nullptr ? std::optional(a->level) : level_of_unknown(e.tag);
    if (key_level && *key_level > level) {
      if (!e.value.empty())
        throw qr_refusal(qr_status::identifier_mismatch,
                         "The key " + tag_text(e.tag) + " is below the query level");
      continue;
    }
    if (returned != nullptr) returned->push_back({e.tag, e.vr, {}});
    if (a == nullptr) continue;  // not indexed: universal matching, answered empty
    if (auto c = condition_of(*a, e.value)) out.push_back(std::move(*c));
  }
  return out;
}

bool ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

qr_find parse_find(qr_model model, const qr_identifier& identifier) {
  qr_find f;
  f.query.level = level_named(model, identifier, &f.level);
  f.query.conditions = conditions(identifier, f.query.level, &f.returned);
  f.query.counts = true;
  return f;
}

qr_identifier answer(const qr_find& find, const qido_match& match) {
  qr_identifier out;
  out.push_back({query_retrieve_level_tag, "CS", find.level});
  bool unicode = false;
  for (const auto& r : find.returned) {
    const auto* a = find_attribute(r.tag);
    std::string value;
    if (a != nullptr && (!a->only_at_level || a->level == find.query.level))
      value = a->value(match);
    unicode = unicode || !ascii(value);
    out.push_back({r.tag, r.vr, std::move(value)});
  }
  if (unicode) out.push_back({specific_character_set_tag, "CS", "ISO_IR 192"});
  return out;
}

proto::qido_query parse_retrieve(qr_model model, const qr_identifier& identifier) {
  std::string name;
  const auto level = level_named(model, identifier, &name);
  static constexpr std::uint32_t unique_keys[] = {0x00100020, 0x0020000D, 0x0020000E, 0x00080018};
  const auto unique = unique_keys[static_cast<int>(level)];
  const bool given = std::any_of(identifier.begin(), identifier.end(), [&](const qr_element& e) {
    return e.tag == unique && !e.value.empty();
  });
  if (!given)
    throw qr_refusal(qr_status::identifier_mismatch,
                     "The unique key " + tag_text(unique) + " of level " + name + " is missing");
  proto::qido_query q;
  q.level = qido_level::instance;
  q.conditions = conditions(identifier, level, nullptr);
  q.counts = false;
  return q;
}

}  // namespace sbx::dicom
