// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/tag_path.hpp"

namespace sbx::proto {

/// `ImageAttribute`: one element of a stored dataset as listed by GET /images/{id}/attributes.
struct image_attribute {
  proto::tag_path tag_path;            ///< root first; names filled
  std::vector<std::string> name_path;  ///< keyword of every node, root first ("" if unknown)
  std::string vr;                      ///< e.g. "PN"; "SQ" for sequences
  std::int64_t length = 0;             ///< value length in bytes; -1 if undefined
  std::vector<std::string> values;     ///< the value as strings (docs/api.md#images)
};

/// `ImageInformation`: frame count, frame index and pixel value range of a stored image.
struct image_information {
  int number_of_frames = 1;
  int frame_index = 1;
  std::int64_t minimum_pixel_value = 0;
  std::int64_t maximum_pixel_value = 0;
};

}  // namespace sbx::proto
