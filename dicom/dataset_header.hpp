// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>

#include "proto/metadata.hpp"

namespace sbx::dicom {

/// Data that is not acceptable DICOM; what() says why (answered 400 "Invalid DICOM data: ...").
class invalid_dicom : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What ingest needs from a dataset, read without its pixel data.
struct header_info {
  std::string sop_class_uid;              ///< MediaStorageSOPClassUID, else SOPClassUID; "" if none
  std::string transfer_syntax_uid;        ///< TransferSyntaxUID (0002,0010); "" without meta header
  proto::image_attributes attributes;     ///< the stored tags (docs/api.md#metadata), UTF-8
  bool patient_identity_removed = false;  ///< PatientIdentityRemoved (0012,0062) is YES
};

/// Reads a Part-10 file's header, stopping before the pixel data, and checks that the file is
/// complete (the pixel data's declared length, or its fragments, fit in the file). Throws
/// invalid_dicom for anything that is not a readable DICOM file.
header_info read_header(const std::filesystem::path& file);

/// What a Part-10 file's meta information says, and where its dataset starts.
struct file_meta {
  std::string transfer_syntax_uid;             ///< (0002,0010); "" if absent
  std::string media_storage_sop_class_uid;     ///< (0002,0002); "" if absent
  std::string media_storage_sop_instance_uid;  ///< (0002,0003); "" if absent
  std::uint64_t dataset_offset = 0;            ///< where the dataset's bytes start in the file
};

/// Reads only the preamble and the file meta information (a file without them has an empty
/// meta and its dataset at offset 0). Throws invalid_dicom if they are malformed.
file_meta read_file_meta(const std::filesystem::path& file);

/// A set of accepted presentation contexts.
struct accepted_contexts {
  std::set<std::string> transfer_syntaxes;
  std::set<std::string> sop_classes;
};

/// Throws invalid_dicom("The presentation context [SOPClassUID = x, TransferSyntaxUID = y] is
/// not supported") unless both are accepted; missing values read `<empty>`.
void check_context(const header_info& h, const accepted_contexts& accepted);

/// Which lists to start from.
enum class context_defaults {
  node,      ///< 2.1.1's lists plus GDCM-decodable compressed syntaxes and real DX-for-processing
  original,  ///< exactly Slicebox 2.1.1's lists (docs/api.md#accepted-data)
};

/// The image-data contexts (SCP, directory watch, import sessions).
accepted_contexts image_data_contexts(context_defaults d);
/// The extended contexts: image data plus Secondary Capture (REST upload, boxes).
accepted_contexts extended_contexts(context_defaults d);

}  // namespace sbx::dicom
