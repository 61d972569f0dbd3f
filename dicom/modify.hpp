// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "proto/tag_path.hpp"

namespace sbx::dicom {

/// One change of PUT /images/{id}/modify: set the element at `path` (which must address an
/// element) to `value`.
struct tag_mapping {
  proto::tag_path path;
  std::string value;  ///< UTF-8 text, written as is and padded to even length
};

/// Rewrites the Part-10 file `in` to `out` as PUT /api/images/{id}/modify does: group
/// lengths dropped (the meta header's recomputed), sequences and items made undefined-length,
/// text converted to UTF-8 (SpecificCharacterSet "ISO_IR 192"), then each mapping applied:
/// the element is replaced if present, else inserted with its dictionary VR; nested paths only
/// reach existing items (sequences are never created); of two mappings with the same path the
/// first wins; paths that do not address an element or that address a sequence are ignored.
/// Pixel data is copied as is. `in` must have passed read_header (GDCM aborts on malformed
/// files). Throws std::runtime_error if a file cannot be read or written.
void modify_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 const std::vector<tag_mapping>& mappings);

}  // namespace sbx::dicom
