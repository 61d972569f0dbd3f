// SPDX-License-Identifier: Apache-2.0
#include "support/dicom_files.hpp"

#include <gdcmReader.h>
#include <gdcmWriter.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace sbx::test {
namespace {

// Slicebox's test fixtures name their UIDs stuid1, seuid1, souid1...; the node stores them as
// given.
std::string uid_of(const std::string& name) { return name; }

}  // namespace

std::vector<std::string> pydicom_samples() {
  const std::filesystem::path data = "/usr/lib/python3/dist-packages/pydicom/data";
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(data, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data, ec))
    if (e.is_regular_file() && e.path().extension() == ".dcm") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SBX_FIXTURES_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("no fixture " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string dicom_variant(const std::string& fixture_name,
                          const std::map<std::uint32_t, std::string>& values,
                          const std::vector<std::uint32_t>& removed) {
  gdcm::Reader reader;
  reader.SetFileName((std::string(SBX_FIXTURES_DIR) + "/" + fixture_name).c_str());
  if (!reader.Read()) throw std::runtime_error("cannot read fixture " + fixture_name);
  auto& file = reader.GetFile();
  for (const auto& [tag, value] : values) {
    gdcm::Tag t(static_cast<std::uint16_t>(tag >> 16), static_cast<std::uint16_t>(tag & 0xffff));
    auto& ds = t.GetGroup() == 0x0002 ? file.GetHeader() : file.GetDataSet();
    gdcm::DataElement de(t);
    if (ds.FindDataElement(t)) de = ds.GetDataElement(t);
    std::string padded = value;
    if (padded.size() % 2)
      padded += (t == gdcm::Tag(0x0008, 0x0018) || t.GetGroup() == 0x0002 ||
                 t == gdcm::Tag(0x0020, 0x000D) || t == gdcm::Tag(0x0020, 0x000E))
                    ? '\0'
                    : ' ';
    de.SetByteValue(padded.data(), static_cast<std::uint32_t>(padded.size()));
    ds.Replace(de);
  }
  for (auto tag : removed)
    file.GetDataSet().Remove(
        gdcm::Tag(static_cast<std::uint16_t>(tag >> 16), static_cast<std::uint16_t>(tag & 0xffff)));
  gdcm::Writer writer;
  writer.SetFile(file);
  // GDCM rewrites the meta header (group length, MediaStorageSOPInstanceUID) to match.
  std::ostringstream out;
  writer.SetStream(out);
  if (!writer.Write()) throw std::runtime_error("cannot write variant of " + fixture_name);
  return out.str();
}

std::string f1_in(const std::string& patient, const std::string& study, const std::string& series,
                  const std::string& instance, const std::string& instance_number) {
  auto sop = uid_of(instance);
  return dicom_variant("test.dcm", {{tags::patient_name, patient},
                                    {tags::patient_id, patient},
                                    {tags::study_uid, uid_of(study)},
                                    {tags::series_uid, uid_of(series)},
                                    {tags::sop_uid, sop},
                                    {tags::instance_number, instance_number}});
}

std::string small_f1_in(const std::string& patient, const std::string& study,
                        const std::string& series, const std::string& instance) {
  return dicom_variant("test.dcm",
                       {{tags::patient_name, patient},
                        {tags::patient_id, patient},
                        {tags::study_uid, uid_of(study)},
                        {tags::series_uid, uid_of(series)},
                        {tags::sop_uid, uid_of(instance)}},
                       {tags::pixel_data});
}

}  // namespace sbx::test
