// SPDX-License-Identifier: Apache-2.0
#pragma once

// The in-memory (GDCM) forms of functions whose public versions take file paths, so that one
// parse can serve several of them. For the files of dicom/ only: nothing outside sees GDCM.

#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmReader.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dicom/charset.hpp"
#include "dicom/dataset_header.hpp"
#include "dicom/modify.hpp"

namespace sbx::dicom {

/// What read_header found, and where the pixel data is.
struct read_header_result {
  header_info info;
  /// Where the root pixel data element starts when it is the last element of a dataset that is
  /// not deflated: its bytes can be copied as they are, and `reader` holds all the rest.
  std::optional<std::uint64_t> trailing_pixel_data;
};

/// read_header, keeping what GDCM read (the file up to the pixel data) in `reader`.
read_header_result read_header(const std::filesystem::path& file, gdcm::Reader& reader);

/// Reads `file` up to (not including) root element `stop`, whose value is skipped. The file must
/// have passed read_header; throws std::runtime_error if GDCM cannot read it after all.
void read_up_to(gdcm::Reader& reader, const std::filesystem::path& file, std::uint32_t stop);

/// What modify_file does between reading and writing: normalizes `file` and applies `mappings`.
void modify_dataset(gdcm::File& file, const std::vector<tag_mapping>& mappings);

/// Writes `file` as it is (the meta header is not completed by GDCM). Throws std::runtime_error
/// if it cannot be written.
void write_file(const gdcm::File& file, const std::filesystem::path& out);

/// The bytes write_file writes.
std::string written(const gdcm::File& file);

/// The values of element `de` as the attribute listing shows them (none for a sequence).
std::vector<std::string> listed_values(const gdcm::DataElement& de, const text_decoder& decoder);

/// root_values of a dataset in memory.
std::map<std::uint32_t, std::string> root_values(const gdcm::DataSet& ds);

}  // namespace sbx::dicom
