// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/metadata.hpp"

// The vocabulary of DICOMweb (docs/dicomweb.md): searches over the index (QIDO-RS), the files a
// retrieval names (WADO-RS) and the parts of a store request (STOW-RS).
namespace sbx::proto {

/// The level a QIDO-RS search answers at.
enum class qido_level : std::uint8_t { study, series, instance };

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
  std::int64_t related_series = 0;      ///< study level
  std::int64_t related_instances = 0;   ///< study and series levels
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
