// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sbx::proto {

/// An anonymization key (docs/api.md#anonymization-keys): the real and anonymous values of the five
/// identifying attributes of one anonymized image.
struct anonymization_key {
  std::int64_t id = -1;
  std::int64_t created = 0;    ///< epoch milliseconds
  std::int64_t image_id = -1;  ///< the source image (no reference to metadata rows)
  std::string patient_name;
  std::string anon_patient_name;
  std::string patient_id;
  std::string anon_patient_id;
  std::string study_instance_uid;
  std::string anon_study_instance_uid;
  std::string series_instance_uid;
  std::string anon_series_instance_uid;
  std::string sop_instance_uid;
  std::string anon_sop_instance_uid;
};

/// One other recorded value of a key; the tag path is kept in its string form
/// (docs/api.md#tag-paths).
struct anonymization_key_value {
  std::int64_t id = -1;
  std::int64_t anonymization_key_id = -1;
  std::string tag_path;
  std::string value;
  std::string anonymized_value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anonymization_key& x) {
  return f(x.id, x.created, x.image_id, x.patient_name, x.anon_patient_name, x.patient_id,
           x.anon_patient_id, x.study_instance_uid, x.anon_study_instance_uid,
           x.series_instance_uid, x.anon_series_instance_uid, x.sop_instance_uid,
           x.anon_sop_instance_uid);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anonymization_key_value& x) {
  return f(x.id, x.anonymization_key_id, x.tag_path, x.value, x.anonymized_value);
}

}  // namespace sbx::proto
