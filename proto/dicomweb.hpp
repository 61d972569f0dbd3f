// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/metadata.hpp"

// The vocabulary of DICOMweb (docs/dicomweb.md): searches over the index (QIDO-RS), the files a
// retrieval names (WADO-RS) and the parts of a store request (STOW-RS).
namespace sbx::proto {

/// The level a search answers at: QIDO-RS has study, series and instance; C-FIND also patient
/// (docs/api.md#queryretrieve).
enum class qido_level : std::uint8_t { patient, study, series, instance };

/// The indexed attributes a search can match on (docs/dicomweb.md#qido-rs).
enum class qido_key : std::uint8_t {
  patient_name,
  patient_id,
  patient_birth_date,
  patient_sex,
  patient_age,
  study_instance_uid,
  study_date,
  study_description,
  study_id,
  accession_number,
  modalities_in_study,
  series_instance_uid,
  series_date,
  series_description,
  modality,
  protocol_name,
  body_part_examined,
  manufacturer,
  station_name,
  frame_of_reference_uid,
  sop_instance_uid,
  instance_number,
  image_type,
};

/// How a value matches (PS3.4 C.2.2.2): the kind is chosen by the attribute and the value.
enum class qido_match_kind : std::uint8_t {
  exact,     ///< single value matching
  wildcard,  ///< `*` and `?` in the value
  uid_list,  ///< any of `values` (UIDs separated by `\` or `,`)
  range,     ///< `low-high` on dates, either end may be empty
};

/// One matching key.
struct qido_condition {
  qido_key key = qido_key::patient_name;
  qido_match_kind kind = qido_match_kind::exact;
  std::vector<std::string> values;  ///< one value; a UID list; or [low, high] for a range
  bool ignore_case = false;         ///< PersonName wildcards match regardless of case
};

/// A value of a date key as a condition (PS3.4 C.2.2.2.5): a single date `YYYYMMDD` or a range
/// `low-high` with either end empty; nullopt when the value is neither.
inline std::optional<qido_condition> date_condition(qido_key key, const std::string& value) {
  const auto is_date = [](std::string_view s) {
    return s.size() == 8 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const auto dash = value.find('-');
  if (dash == std::string::npos) {
    if (!is_date(value)) return std::nullopt;
    return qido_condition{key, qido_match_kind::exact, {value}, false};
  }
  auto low = value.substr(0, dash), high = value.substr(dash + 1);
  if ((!low.empty() && !is_date(low)) || (!high.empty() && !is_date(high)) ||
      (low.empty() && high.empty()))
    return std::nullopt;
  return qido_condition{key, qido_match_kind::range, {low, high}, false};
}

/// A value of a text key as a condition: wildcard matching when it has `*` or `?`, single value
/// matching otherwise; person names match regardless of case.
inline qido_condition text_condition(qido_key key, const std::string& value, bool person_name) {
  const bool wildcard = value.find_first_of("*?") != std::string::npos;
  return {key, wildcard ? qido_match_kind::wildcard : qido_match_kind::exact, {value}, person_name};
}

/// A QIDO-RS search, or the instances a WADO-RS retrieval names (all conditions must hold).
struct qido_query {
  qido_level level = qido_level::study;
  std::vector<qido_condition> conditions;
  std::int64_t offset = 0;
  std::int64_t limit = -1;  ///< -1: no limit
  bool counts = true;       ///< compute the number of related series/instances and modalities
};

/// One search result: the rows of its level and those above it (unset below the level).
struct qido_match {
  patient pat;
  study stu;
  series ser;
  image img;
  std::string storage_key;              ///< instance level: the file
  std::int64_t related_studies = 0;     ///< patient level
  std::int64_t related_series = 0;      ///< patient and study levels
  std::int64_t related_instances = 0;   ///< patient, study and series levels
  std::vector<std::string> modalities;  ///< study level: ModalitiesInStudy
};

/// One part of a STOW-RS request body, written to its own file under the store's tmp/.
struct stow_part {
  std::string file;       ///< empty when the part could not be used
  std::string sop_class;  ///< from the part's header, "" if unreadable
  std::string sop_instance;
  std::string study_instance;
  std::string problem;  ///< why the part cannot be stored, "" if it may be
};

}  // namespace sbx::proto
