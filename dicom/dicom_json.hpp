// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sbx::dicom {

/// A stored file's dataset in the DICOM JSON model (PS3.18 F.2), as WADO-RS `/metadata` answers it
/// (docs/dicomweb.md#wado-rs): one object keyed by tags (`"0020000D"`), text decoded to UTF-8 and
/// SpecificCharacterSet given as `ISO_IR 192`, numbers as JSON numbers, PersonName as
/// `{"Alphabetic": ...}`, binary values up to 4 KiB inline (base 64). The File Meta Information,
/// group lengths and bulk data (the pixel data, overlays, waveforms, larger binary values) are left
/// out. The file must have passed ingest; throws std::runtime_error if GDCM cannot read it.
std::string dicom_json(const std::filesystem::path& file);

/// Explicit VR Little Endian: the syntax of frames that are not compressed.
inline constexpr const char* uncompressed_syntax = "1.2.840.10008.1.2.1";

/// Frames of pixel data and the transfer syntax their bytes are in.
struct frame_set {
  std::vector<std::string> frames;
  std::string transfer_syntax;
};

/// The frames of a stored file's pixel data, 1-based, as WADO-RS `/frames/{list}` answers them:
/// uncompressed data as stored (frame n is its n-th slice of Rows × Columns × SamplesPerPixel ×
/// BitsAllocated / 8 bytes). Compressed data stays in its stored syntax when `keep_compressed`
/// (a frame is its fragment, or all fragments of a single-frame image), and is decoded (GDCM) to
/// the uncompressed layout otherwise, or when fragments and frames do not pair up. Throws
/// std::out_of_range naming the frame count if a number is not a frame of the image, and
/// std::runtime_error if there is no pixel data or it cannot be decoded.
frame_set read_frames(const std::filesystem::path& file, const std::vector<std::int64_t>& numbers,
                      bool keep_compressed);

}  // namespace sbx::dicom
