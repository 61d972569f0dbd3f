// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "proto/metadata.hpp"

namespace sbx::dicom {

/// A JPEG stream that cannot be wrapped; what() is the API's message (answered 400 as is, without
/// the "Invalid DICOM data: " prefix of invalid_dicom).
class invalid_jpeg : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// What the SOF segment of a JPEG stream says about the image.
struct jpeg_frame {
  int precision = 0;  ///< bits per sample
  int rows = 0;
  int columns = 0;
  int components = 0;  ///< samples per pixel
};

/// Checks that `jpeg` is a JPEG stream (FF D8 FF, a SOF segment before the SOS segment) and reads
/// its frame header. Throws invalid_jpeg ("JPEG stream does not start with FF D8 FF",
/// "Missing SOS segment in JPEG stream", "Missing SOF segment in JPEG stream").
jpeg_frame parse_jpeg(const std::string& jpeg);

/// Wraps the JPEG file `jpeg` into a new Secondary Capture instance (JPEG Baseline transfer
/// syntax, new series and SOP instance UIDs) of the given patient and study, written to `out` as
/// a Part-10 file (POST /api/images/jpeg). Throws invalid_jpeg for a bad JPEG stream and
/// std::runtime_error if a file cannot be read or written.
void wrap_jpeg(const std::filesystem::path& jpeg, const proto::patient& patient,
               const proto::study& study, const std::string& series_description,
               const std::filesystem::path& out);

}  // namespace sbx::dicom
