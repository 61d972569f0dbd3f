// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

// The image payload of the box protocol (`POST /transactions/{token}/image` bodies and
// `GET /transactions/{token}/outgoing` answers): one DICOM Part-10 file as a zlib stream (RFC
// 1950), as Slicebox 2.1.1 boxes write and expect it (docs/federation.md, "Wire format").
namespace sbx::actors {

/// The zlib level used unless `box.compression_level` says otherwise: 1, because any level is
/// valid to a receiver and DICOM pixel data compresses little more for much more time at 9;
/// 0 (stored blocks) costs only a checksum, for links faster than a core can compress.
inline constexpr int default_compression_level = 1;

/// Compresses `head` followed by `file` from `offset` into the zlib file `out` at `level` (0-9).
void compress_payload(std::string_view head, const std::filesystem::path& file,
                      std::uint64_t offset, const std::filesystem::path& out,
                      int level = default_compression_level);

/// The same into memory: for payloads of up to a few tens of MB, sent from memory without a
/// temporary file.
std::string compress_payload(std::string_view head, const std::filesystem::path& file,
                             std::uint64_t offset, int level = default_compression_level);

/// What inflating a received payload found.
enum class payload_state {
  complete,   ///< a whole zlib stream
  truncated,  ///< the stream stops before its end: the transfer was cut, try again
  corrupt,    ///< not a zlib stream, or damaged
};

/// Inflates the zlib file `in` into `out`; `why` says what was wrong when not complete.
payload_state inflate_payload(const std::filesystem::path& in, const std::filesystem::path& out,
                              std::string& why);
/// The same from a payload held in memory (a fetched answer).
payload_state inflate_payload(std::string_view in, const std::filesystem::path& out,
                              std::string& why);

/// Compresses `head` + `file` from `offset` piece by piece at `level`, for a streamed answer;
/// the file is removed at the end when `temporary`.
class payload_deflater {
 public:
  payload_deflater(std::string head, std::filesystem::path file, std::uint64_t offset,
                   bool temporary, int level = default_compression_level);
  ~payload_deflater();
  payload_deflater(const payload_deflater&) = delete;
  payload_deflater& operator=(const payload_deflater&) = delete;
  /// The next compressed piece, empty once the stream is complete; throws on a read error.
  std::string_view next();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sbx::actors
