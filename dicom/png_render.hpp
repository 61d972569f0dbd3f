// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace sbx::dicom {

/// What to render: the 1-based frame, an optional window and an optional output height.
struct png_options {
  int frame = 1;
  int window_min = 0;  ///< used when window_min < window_max, else the dataset's own window
  int window_max = 0;
  int image_height = 0;  ///< > 0 and not the frame height: scale, keeping the aspect ratio
};

/// Why rendering failed: the frame does not exist (the client's mistake, 400) or the pixel data
/// cannot be decoded (501).
class render_error : public std::runtime_error {
 public:
  enum class kind { bad_frame, undecodable };
  render_error(kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
  /// Which of the two failures this is.
  kind which() const { return kind_; }

 private:
  kind kind_;
};

/// Renders one frame of a DICOM file as an 8-bit PNG (grey or RGB). Blocking (file I/O, decoding,
/// deflate): never call it on a cooperative scheduler thread. The file must have passed
/// read_header (GDCM may abort on malformed data). Throws render_error.
std::string render_png(const std::filesystem::path& file, const png_options& o);

}  // namespace sbx::dicom
