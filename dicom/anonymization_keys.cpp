// SPDX-License-Identifier: Apache-2.0
#include "dicom/anonymization_keys.hpp"

#include "dicom/in_memory.hpp"
#include "dicom/tags.hpp"

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

std::map<std::uint32_t, std::string> root_values(const gdcm::DataSet& ds) {
  std::string charset;
  const gdcm::Tag specific_character_set(0x0008, 0x0005);
  if (ds.FindDataElement(specific_character_set)) {
    const auto* bv = ds.GetDataElement(specific_character_set).GetByteValue();
    if (bv != nullptr && bv->GetPointer() != nullptr)
      charset.assign(bv->GetPointer(), bv->GetLength());
  }
  const text_decoder decoder(charset);
  std::map<std::uint32_t, std::string> out;
  for (const auto& t : value_tags()) {
    const gdcm::Tag tag(static_cast<std::uint16_t>(t.tag >> 16), static_cast<std::uint16_t>(t.tag));
    if (!ds.FindDataElement(tag)) continue;
    std::string joined;
    for (const auto& v : listed_values(ds.GetDataElement(tag), decoder))
      joined += (joined.empty() ? "" : "\\") + v;
    if (!joined.empty()) out[t.tag] = joined;
  }
  return out;
}

std::map<std::uint32_t, std::string> root_values(const std::filesystem::path& file) {
  gdcm::Reader reader;
  read_up_to(reader, file, tags::pixel_data);
  return root_values(reader.GetFile().GetDataSet());
}

}  // namespace sbx::dicom
