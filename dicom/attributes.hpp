// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <vector>

#include "proto/image_attribute.hpp"

namespace sbx::dicom {

// Both read a stored file, which must have passed read_header (GDCM aborts on some malformed
// input). They throw std::runtime_error if GDCM cannot read it after all.

/// Every element of the file in stream order (depth first, File Meta Information first), up to
/// the root PixelData and without bulk data, as GET /api/images/{id}/attributes lists them.
std::vector<proto::image_attribute> read_attributes(const std::filesystem::path& file);

/// Frame count, frame index and pixel value range from the dataset up to (0028,0108), for
/// GET /api/images/{id}/imageinformation.
proto::image_information read_image_information(const std::filesystem::path& file);

}  // namespace sbx::dicom
