// SPDX-License-Identifier: Apache-2.0
#include "dicom/anonymization_keys.hpp"

#include "dicom/attributes.hpp"

namespace sbx::dicom {

const std::vector<value_tag>& value_tags() {
  static const std::vector<value_tag> tags = {
      {0x00100010, key_level::patient},  // PatientName
      {0x00100020, key_level::patient},  // PatientID
      {0x0020000D, key_level::study},    // StudyInstanceUID
      {0x0020000E, key_level::series},   // SeriesInstanceUID
      {0x00080018, key_level::image},    // SOPInstanceUID
      {0x00120062, key_level::image},    // PatientIdentityRemoved
      {0x00120063, key_level::image},    // DeidentificationMethod
      {0x00080050, key_level::study},    // AccessionNumber
      {0x00081030, key_level::study},    // StudyDescription
      {0x0008103E, key_level::series},   // SeriesDescription
      {0x00100030, key_level::patient},  // PatientBirthDate
      {0x00181030, key_level::series},   // ProtocolName
      {0x00200010, key_level::study},    // StudyID
      {0x00200052, key_level::study},    // FrameOfReferenceUID
  };
  return tags;
}

std::map<std::uint32_t, std::string> root_values(const std::filesystem::path& file) {
  std::map<std::uint32_t, std::string> wanted;
  for (const auto& t : value_tags()) wanted[t.tag];
  std::map<std::uint32_t, std::string> out;
  for (const auto& a : read_attributes(file)) {
    if (a.tag_path.size() != 1 || a.tag_path.front().tag < 0x00080000) continue;
    auto tag = a.tag_path.front().tag;
    if (!wanted.count(tag)) continue;
    std::string joined;
    for (const auto& v : a.values) joined += (joined.empty() ? "" : "\\") + v;
    if (!joined.empty()) out[tag] = joined;
  }
  return out;
}

}  // namespace sbx::dicom
