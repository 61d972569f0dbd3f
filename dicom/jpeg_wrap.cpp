// SPDX-License-Identifier: Apache-2.0
#include "dicom/jpeg_wrap.hpp"

#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmFragment.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmTransferSyntax.h>
#include <gdcmWriter.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>

#include "dicom/gdcm_file_writer.hpp"

namespace sbx::dicom {

namespace {

constexpr const char* secondary_capture = "1.2.840.10008.5.1.4.1.1.7";

/// A new random UID in the UUID-derived `2.25.` form.
std::string new_random_uid() {
  std::random_device rd;
  unsigned __int128 v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 32) | rd();
  // Version 4 / variant 1 bits, so the UID is a proper UUID (ITU-T X.667).
  v &= ~(static_cast<unsigned __int128>(0xf) << 76);
  v |= static_cast<unsigned __int128>(0x4) << 76;
  v &= ~(static_cast<unsigned __int128>(0x3) << 62);
  v |= static_cast<unsigned __int128>(0x2) << 62;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return "2.25." + digits;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::array<char, 16> buf{};
  std::strftime(buf.data(), buf.size(), "%Y%m%d", &local);
  return buf.data();
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("Cannot read " + p.string());
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  if (in.bad()) throw std::runtime_error("Cannot read " + p.string());
  return bytes;
}

void put_text(gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element, gdcm::VR vr,
              std::string value) {
  if (value.size() % 2 != 0) value.push_back(vr == gdcm::VR::UI ? '\0' : ' ');
  gdcm::DataElement de(gdcm::Tag(group, element));
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<std::uint32_t>(value.size()));
  ds.Replace(de);
}

void put_us(gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element, int value) {
  const std::array<char, 2> le{static_cast<char>(value & 0xff),
                               static_cast<char>((value >> 8) & 0xff)};
  gdcm::DataElement de(gdcm::Tag(group, element));
  de.SetVR(gdcm::VR::US);
  de.SetByteValue(le.data(), 2);
  ds.Replace(de);
}

}  // namespace

jpeg_frame parse_jpeg(const std::string& jpeg) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(jpeg[i]); };
  if (jpeg.size() < 3 || byte(0) != 0xff || byte(1) != 0xd8 || byte(2) != 0xff)
    throw invalid_jpeg("JPEG stream does not start with FF D8 FF");
  std::optional<jpeg_frame> frame;
  std::size_t pos = 2;
  while (true) {
    // Markers may be preceded by any number of fill bytes (FF).
    if (pos >= jpeg.size() || byte(pos) != 0xff) break;
    while (pos < jpeg.size() && byte(pos) == 0xff) ++pos;
    if (pos >= jpeg.size()) break;
    const std::uint8_t marker = byte(pos++);
    if (marker == 0xda) {
      if (!frame) throw invalid_jpeg("Missing SOF segment in JPEG stream");
      return *frame;
    }
    // Stand-alone markers carry no length: TEM, RSTn, SOI.
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (marker == 0xd9) break;  // EOI before any scan
    if (pos + 2 > jpeg.size()) break;
    const std::size_t length = (std::size_t{byte(pos)} << 8) | byte(pos + 1);
    if (length < 2 || pos + length > jpeg.size()) break;
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    const bool sof =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (sof && !frame && length >= 8) {
      jpeg_frame f;
      f.precision = byte(pos + 2);
      f.rows = (byte(pos + 3) << 8) | byte(pos + 4);
      f.columns = (byte(pos + 5) << 8) | byte(pos + 6);
      f.components = byte(pos + 7);
      frame = f;
    }
    pos += length;
  }
  throw invalid_jpeg("Missing SOS segment in JPEG stream");
}

void wrap_jpeg(const std::filesystem::path& jpeg, const proto::patient& patient,
               const proto::study& study, const std::string& series_description,
               const std::filesystem::path& out) {
  std::string bytes = read_file(jpeg);
  const jpeg_frame frame = parse_jpeg(bytes);
  // Slicebox 2.1.1 declares an even fragment length without writing the pad byte
  // (docs/api.md#deviations-from-slicebox-211).
  if (bytes.size() % 2 != 0) bytes.push_back('\0');

  // Heap-allocated: the writer holds it through a SmartPointer and would free a stack object.
  gdcm::SmartPointer<gdcm::File> file = new gdcm::File;
  file->GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::JPEGBaselineProcess1);
  gdcm::DataSet& ds = file->GetDataSet();
  const std::string date = today();
  put_text(ds, 0x0008, 0x0005, gdcm::VR::CS, "ISO_IR 192");
  put_text(ds, 0x0008, 0x0012, gdcm::VR::DA, date);
  put_text(ds, 0x0008, 0x0013, gdcm::VR::TM, "000000");
  put_text(ds, 0x0008, 0x0016, gdcm::VR::UI, secondary_capture);
  put_text(ds, 0x0008, 0x0018, gdcm::VR::UI, new_random_uid());
  put_text(ds, 0x0008, 0x0020, gdcm::VR::DA, study.study_date);
  put_text(ds, 0x0008, 0x0021, gdcm::VR::DA, date);
  put_text(ds, 0x0008, 0x0050, gdcm::VR::SH, study.accession_number);
  put_text(ds, 0x0008, 0x1030, gdcm::VR::LO, study.study_description);
  put_text(ds, 0x0008, 0x103e, gdcm::VR::LO, series_description);
  put_text(ds, 0x0010, 0x0010, gdcm::VR::PN, patient.patient_name);
  put_text(ds, 0x0010, 0x0020, gdcm::VR::LO, patient.patient_id);
  put_text(ds, 0x0010, 0x0030, gdcm::VR::DA, patient.patient_birth_date);
  put_text(ds, 0x0010, 0x0040, gdcm::VR::CS, patient.patient_sex);
  put_text(ds, 0x0010, 0x1010, gdcm::VR::AS, study.patient_age);
  put_text(ds, 0x0020, 0x000d, gdcm::VR::UI, study.study_instance_uid);
  put_text(ds, 0x0020, 0x000e, gdcm::VR::UI, new_random_uid());
  put_text(ds, 0x0020, 0x0010, gdcm::VR::SH, study.study_id);
  put_us(ds, 0x0028, 0x0002, frame.components);
  const bool colour = frame.components == 3;
  put_text(ds, 0x0028, 0x0004, gdcm::VR::CS, colour ? "YBR_FULL_422" : "MONOCHROME2");
  if (colour) put_us(ds, 0x0028, 0x0006, 0);
  put_us(ds, 0x0028, 0x0010, frame.rows);
  put_us(ds, 0x0028, 0x0011, frame.columns);
  put_us(ds, 0x0028, 0x0100, frame.precision > 8 ? 16 : 8);
  put_us(ds, 0x0028, 0x0101, frame.precision);
  put_us(ds, 0x0028, 0x0102, frame.precision - 1);
  put_us(ds, 0x0028, 0x0103, 0);

  // Encapsulated pixel data: an empty basic offset table, then the whole JPEG as one fragment.
  gdcm::SmartPointer<gdcm::SequenceOfFragments> fragments = new gdcm::SequenceOfFragments;
  gdcm::Fragment fragment;
  fragment.SetByteValue(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  fragments->AddFragment(fragment);
  gdcm::DataElement pixel_data(gdcm::Tag(0x7fe0, 0x0010));
  pixel_data.SetValue(*fragments);
  pixel_data.SetVLToUndefined();  // before the VR: GDCM asserts on undefined-length OB
  pixel_data.SetVR(gdcm::VR::OB);
  ds.Replace(pixel_data);

  gdcm::Writer writer;
  writer.SetFile(*file);
  write_file_with(writer, out);
}

}  // namespace sbx::dicom
