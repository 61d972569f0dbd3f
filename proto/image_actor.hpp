// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/image_attribute.hpp"
#include "proto/ingest_actor.hpp"
#include "proto/source.hpp"

namespace sbx::proto {

/// `GET /images/{id}/png` parameters (spec §11.3).
struct png_request {
  int frame = 1;
  int window_min = 0;
  int window_max = 0;
  int image_height = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_attribute& x) {
  return f(x.tag_path, x.name_path, x.vr, x.length, x.values);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_information& x) {
  return f(x.number_of_frames, x.frame_index, x.minimum_pixel_value, x.maximum_pixel_value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, png_request& x) {
  return f(x.frame, x.window_min, x.window_max, x.image_height);
}

/// Operations on stored images that read or write DICOM (spec §11.3). They run on a pool of
/// threads of their own. Unknown image or study: errc::not_found; a frame that does not exist:
/// errc::bad_request; pixel data the node cannot decode: errc::unsupported.
using image_actor = caf::typed_actor<
    caf::replies_to<attrs_atom, std::int64_t>::with<std::vector<image_attribute>>,
    caf::replies_to<info_atom, std::int64_t>::with<image_information>,
    caf::replies_to<png_atom, std::int64_t, png_request>::with<std::string>,
    // Wraps a received JPEG file into a Secondary Capture of the study, through ingest
    // (study id, description, JPEG file, source).
    caf::replies_to<jpeg_atom, std::int64_t, std::string, std::string, source>::with<ingest_result>,
    // Applies tag values to an image: the result is stored as a new image (same source, same
    // series tags) and the old one deleted (spec §11.3 modify).
    caf::replies_to<modify_atom, std::int64_t, std::vector<tag_value>>::with<image>>;

}  // namespace sbx::proto
