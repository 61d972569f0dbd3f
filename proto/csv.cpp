// SPDX-License-Identifier: Apache-2.0
#include "proto/csv.hpp"

namespace sbx::proto::csv {
namespace {

void field(std::string& out, const std::string& v, bool last = false) {
  if (v.find_first_of(";\"\\\r\n") == std::string::npos) {
    out += v;
  } else {
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += c;
      out += c;
    }
    out += '"';
  }
  out += last ? "\r\n" : ";";
}

}  // namespace

std::string anonymization_keys(const std::vector<key_row>& rows) {
  std::string out =
      "ID;Image ID;Created;Patient Name;Anonymous Patient Name;Patient ID;Anonymous Patient ID;"
      "Study Instance UID;Anonymous Study Instance UID;Series Instance UID;"
      "Anonymous Series Instance UID;SOP Instance UID;Anonymous SOP Instance UID;Tag Path;Value;"
      "Anonymized Value\r\n";
  for (const auto& r : rows) {
    const auto& k = r.key;
    field(out, std::to_string(k.id));
    field(out, std::to_string(k.image_id));
    field(out, std::to_string(k.created));
    field(out, k.patient_name);
    field(out, k.anon_patient_name);
    field(out, k.patient_id);
    field(out, k.anon_patient_id);
    field(out, k.study_instance_uid);
    field(out, k.anon_study_instance_uid);
    field(out, k.series_instance_uid);
    field(out, k.anon_series_instance_uid);
    field(out, k.sop_instance_uid);
    field(out, k.anon_sop_instance_uid);
    field(out, r.value.tag_path);
    field(out, r.value.value);
    field(out, r.value.anonymized_value, true);
  }
  return out;
}

}  // namespace sbx::proto::csv
