// SPDX-License-Identifier: Apache-2.0
#include "dicom/tag_filter.hpp"

#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmWriter.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "dicom/dataset_header.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/gdcm_file_writer.hpp"
#include "dicom/tag_path.hpp"

namespace sbx::dicom {

namespace {

std::uint32_t tag_key(const gdcm::Tag& t) {
  return (std::uint32_t{t.GetGroup()} << 16) | t.GetElement();
}

/// True if the element is a sequence (by its VR, or the dictionary's in implicit-VR data).
bool is_sequence(const gdcm::DataElement& de) {
  if (de.GetVR() == gdcm::VR::SQ) return true;
  if (!de.IsEmpty() && dynamic_cast<const gdcm::SequenceOfItems*>(&de.GetValue()) != nullptr)
    return true;
  return de.GetVR() == gdcm::VR::INVALID && vr_of(tag_key(de.GetTag())).name == "SQ";
}

/// The items of a sequence element (`sequence`), if it has any. A defined-length sequence that GDCM
/// kept as raw bytes (implicit-VR data) is parsed; the caller stores it back.
gdcm::SmartPointer<gdcm::SequenceOfItems> items_of(const gdcm::DataElement& de, bool sequence) {
  if (!sequence || de.IsEmpty()) return nullptr;
  return de.GetValueAsSQ();
}

/// Filters one dataset in place; `prefix` is the path of the item holding it (empty at the root)
/// and is restored before returning.
void filter_dataset(gdcm::DataSet& ds, proto::tag_path& prefix, const tag_filter& filter) {
  // Removing while walking the set itself would invalidate the walk: work on a copy (elements
  // share their values with the set's).
  const std::vector<gdcm::DataElement> elements(ds.GetDES().begin(), ds.GetDES().end());
  for (auto de : elements) {
    const gdcm::Tag tag = de.GetTag();
    if (tag.GetElement() == 0x0000) {  // group lengths would be wrong after filtering
      ds.Remove(tag);
      continue;
    }
    const bool sequence = is_sequence(de);
    prefix.push_back({tag_key(tag), "", false, 0});
    if (!keeps(filter, prefix, sequence)) {
      ds.Remove(tag);
    } else if (auto sq = items_of(de, sequence)) {
      // Backwards, so that removing an item leaves the indices still to visit as they were.
      for (auto i = sq->GetNumberOfItems(); i >= 1; --i) {
        prefix.back() = {tag_key(tag), "", true, static_cast<int>(i)};
        if (!keeps(filter, prefix, false)) {
          sq->RemoveItemByIndex(i);
          continue;
        }
        gdcm::Item& item = sq->GetItem(i);
        filter_dataset(item.GetNestedDataSet(), prefix, filter);
        item.SetVLToUndefined();
      }
      sq->SetLengthToUndefined();
      de.SetValue(*sq);
      de.SetVLToUndefined();
      ds.Replace(de);
    }
    prefix.pop_back();
  }
}

}  // namespace

bool keeps(const tag_filter& filter, const proto::tag_path& path, bool sequence) {
  for (const auto& tree : filter.blacklist) {
    if (!is_trunk_of(tree, path)) continue;
    // A tree ending in the plain sequence tag names an element, not the sequence
    // (docs/api.md#filtering).
    if (sequence && tree.size() == path.size() && !tree.back().is_item) continue;
    return false;
  }
  if (filter.whitelist.empty()) return true;
  for (const auto& tree : filter.whitelist) {
    if (has_trunk(tree, path) || is_trunk_of(tree, path)) return true;
  }
  return false;
}

void filter_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 const tag_filter& filter) {
  gdcm::Reader reader;
  reader.SetFileName(in.c_str());
  if (!reader.Read()) throw invalid_dicom("the dataset cannot be parsed");
  gdcm::File& file = reader.GetFile();
  // Only the dataset: the File Meta Information is the header (a deviation:
  // docs/api.md#deviations-from-slicebox-211).
  proto::tag_path prefix;
  filter_dataset(file.GetDataSet(), prefix, filter);

  gdcm::Writer writer;
  writer.SetFile(file);
  // Keep the meta header as it is (GDCM would otherwise stamp its own implementation name);
  // without one, GDCM builds it from the dataset.
  if (file.GetHeader().FindDataElement(gdcm::Tag(0x0002, 0x0010)))
    writer.CheckFileMetaInformationOff();
  write_file_with(writer, out);
}

}  // namespace sbx::dicom
