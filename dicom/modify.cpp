// SPDX-License-Identifier: Apache-2.0
#include "dicom/modify.hpp"

#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmExplicitDataElement.h>
#include <gdcmFile.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmWriter.h>

#include <array>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "dicom/charset.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/gdcm_file_writer.hpp"
#include "dicom/in_memory.hpp"

namespace sbx::dicom {

namespace {

std::uint32_t tag_key(const gdcm::Tag& t) {
  return (std::uint32_t{t.GetGroup()} << 16) | t.GetElement();
}

gdcm::Tag gdcm_tag(std::uint32_t tag) {
  return {static_cast<std::uint16_t>(tag >> 16), static_cast<std::uint16_t>(tag & 0xffff)};
}

/// The dictionary VR of a tag as GDCM's type (UN when unknown).
gdcm::VR dictionary_vr(std::uint32_t tag) {
  const gdcm::VR vr = gdcm::VR::GetVRType(vr_of(tag).name.c_str());
  if (vr == gdcm::VR::INVALID) return gdcm::VR::UN;
  return vr;
}

/// The VR of an element: its own, or the dictionary's for implicit-VR data.
gdcm::VR effective_vr(const gdcm::DataElement& de) {
  const gdcm::VR vr = de.GetVR();
  if (vr == gdcm::VR::INVALID) return dictionary_vr(tag_key(de.GetTag()));
  return vr;
}

gdcm::SequenceOfItems* sequence_value(const gdcm::DataElement& de) {
  if (de.IsEmpty()) return nullptr;
  return dynamic_cast<gdcm::SequenceOfItems*>(const_cast<gdcm::Value*>(&de.GetValue()));
}

/// The element's value as a sequence, if it is one. A sequence that GDCM kept as raw bytes
/// (defined length in implicit-VR data) is parsed and stored back as a sequence.
gdcm::SequenceOfItems* as_sequence(gdcm::DataElement& de) {
  if (auto* sq = sequence_value(de)) return sq;
  if (de.IsEmpty() || effective_vr(de) != gdcm::VR::SQ) return nullptr;
  gdcm::SmartPointer<gdcm::SequenceOfItems> parsed = de.GetValueAsSQ();
  if (!parsed) return nullptr;
  de.SetValue(*parsed);
  return sequence_value(de);
}

bool is_text_vr(gdcm::VR vr) {
  return vr == gdcm::VR::SH || vr == gdcm::VR::LO || vr == gdcm::VR::ST || vr == gdcm::VR::LT ||
         vr == gdcm::VR::UT || vr == gdcm::VR::PN || vr == gdcm::VR::UC;
}

std::string padded(std::string value, gdcm::VR vr) {
  if (value.size() % 2 != 0) {
    const bool nul = vr == gdcm::VR::UI || vr == gdcm::VR::OB || vr == gdcm::VR::UN;
    value.push_back(nul ? '\0' : ' ');
  }
  return value;
}

/// Drops group lengths, makes sequences and items undefined-length and converts text to UTF-8
/// at every depth.
void normalize(gdcm::DataSet& ds, const text_decoder& decoder) {
  std::vector<gdcm::DataElement> elements(ds.GetDES().begin(), ds.GetDES().end());
  for (auto& de : elements) {
    if (de.GetTag().GetElement() == 0x0000) {
      ds.Remove(de.GetTag());
      continue;
    }
    if (auto* sq = as_sequence(de)) {
      de.SetVLToUndefined();
      sq->SetLengthToUndefined();
      for (gdcm::SequenceOfItems::SizeType i = 1; i <= sq->GetNumberOfItems(); ++i) {
        gdcm::Item& item = sq->GetItem(i);
        item.SetVLToUndefined();
        normalize(item.GetNestedDataSet(), decoder);
      }
    } else if (is_text_vr(effective_vr(de)) && de.GetByteValue()) {
      const auto* bv = de.GetByteValue();
      const std::string_view text(bv->GetPointer(), bv->GetLength());
      std::string utf8 = decoder.decode(text);
      if (utf8 == text) continue;
      while (!utf8.empty() && (utf8.back() == ' ' || utf8.back() == '\0')) utf8.pop_back();
      utf8 = padded(std::move(utf8), effective_vr(de));
      de.SetByteValue(utf8.data(), static_cast<std::uint32_t>(utf8.size()));
    } else {
      continue;
    }
    ds.Replace(de);
  }
}

bool same_path(const proto::tag_path& a, const proto::tag_path& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].tag != b[i].tag || a[i].is_item != b[i].is_item ||
        (a[i].is_item && a[i].item != b[i].item)) {
      return false;
    }
  }
  return true;
}

void apply(gdcm::File& file, const tag_mapping& m) {
  const auto& path = m.path;
  gdcm::DataSet* ds = &file.GetDataSet();
  if (path.size() == 1 && (path.front().tag >> 16) == 0x0002) ds = &file.GetHeader();
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    const auto& step = path[i];
    if (!step.is_item || step.item < 1) return;
    const gdcm::Tag tag = gdcm_tag(step.tag);
    if (!ds->FindDataElement(tag)) return;
    gdcm::DataElement de = ds->GetDataElement(tag);
    gdcm::SequenceOfItems* sq = as_sequence(de);
    if (sq == nullptr || static_cast<std::size_t>(step.item) > sq->GetNumberOfItems()) return;
    // DataElement copies share their value, so the item lives on inside the data set.
    ds->Replace(de);
    ds = &sq->GetItem(static_cast<gdcm::SequenceOfItems::SizeType>(step.item)).GetNestedDataSet();
  }
  const std::uint32_t key = path.back().tag;
  const gdcm::Tag tag = gdcm_tag(key);
  const gdcm::VR dict_vr = dictionary_vr(key);
  if (dict_vr == gdcm::VR::SQ) return;
  const std::string value = padded(m.value, dict_vr);
  gdcm::DataElement de(tag);
  de.SetVR(dict_vr);
  if (ds->FindDataElement(tag)) {
    const gdcm::DataElement& existing = ds->GetDataElement(tag);
    if (sequence_value(existing) != nullptr || existing.GetSequenceOfFragments() != nullptr) return;
    de.SetVR(existing.GetVR());
  }
  de.SetByteValue(value.data(), static_cast<std::uint32_t>(value.size()));
  ds->Replace(de);
}

/// Sets (0002,0000) to the length of the rest of the meta header.
void recompute_group_length(gdcm::FileMetaInformation& header) {
  std::uint32_t length = 0;
  for (const auto& de : header.GetDES()) {
    if (de.GetTag() == gdcm::Tag(0x0002, 0x0000)) continue;
    length += de.GetLength<gdcm::ExplicitDataElement>();
  }
  const std::array<char, 4> le{
      static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
      static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff)};
  gdcm::DataElement de(gdcm::Tag(0x0002, 0x0000));
  de.SetVR(gdcm::VR::UL);
  de.SetByteValue(le.data(), 4);
  header.Replace(de);
}

}  // namespace

void modify_dataset(gdcm::File& file, const std::vector<tag_mapping>& mappings) {
  gdcm::DataSet& ds = file.GetDataSet();
  std::string charset;
  if (ds.FindDataElement(gdcm::Tag(0x0008, 0x0005))) {
    if (const auto* bv = ds.GetDataElement(gdcm::Tag(0x0008, 0x0005)).GetByteValue())
      charset.assign(bv->GetPointer(), bv->GetLength());
  }
  normalize(ds, text_decoder(charset));
  gdcm::DataElement cs(gdcm::Tag(0x0008, 0x0005));
  cs.SetVR(gdcm::VR::CS);
  cs.SetByteValue("ISO_IR 192", 10);
  ds.Replace(cs);

  std::vector<const tag_mapping*> applied;
  for (const auto& m : mappings) {
    if (!proto::addresses_element(m.path)) continue;
    bool seen = false;
    for (const auto* a : applied) seen = seen || same_path(a->path, m.path);
    if (seen) continue;
    applied.push_back(&m);
    apply(file, m);
  }
  recompute_group_length(file.GetHeader());
}

void write_file(const gdcm::File& file, const std::filesystem::path& out) {
  gdcm::Writer writer;
  writer.SetFile(file);
  // Keep the meta header as it is (GDCM would otherwise stamp its own implementation name).
  writer.CheckFileMetaInformationOff();
  write_file_with(writer, out);
}

std::string written(const gdcm::File& file) {
  std::ostringstream bytes;
  gdcm::Writer writer;
  writer.SetFile(file);
  writer.CheckFileMetaInformationOff();  // as write_file
  writer.SetStream(bytes);
  if (!writer.Write()) throw std::runtime_error("Cannot write a DICOM dataset");
  return std::move(bytes).str();
}

void modify_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 const std::vector<tag_mapping>& mappings) {
  gdcm::Reader reader;
  reader.SetFileName(in.string().c_str());
  if (!reader.Read()) throw std::runtime_error("Cannot read DICOM file " + in.string());
  modify_dataset(reader.GetFile(), mappings);
  write_file(reader.GetFile(), out);
}

}  // namespace sbx::dicom
