// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sbx::http {

/// The boundary of a `multipart/form-data; boundary=...` content type (quotes removed), or
/// nullopt if the content type is not multipart/form-data or has no (usable) boundary.
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// What was found in a multipart body.
struct multipart_part {
  std::string name;            ///< the form field name (Content-Disposition `name`)
  std::string filename;        ///< Content-Disposition `filename` (or `filename*`); "" if none
  std::filesystem::path file;  ///< where the part's content was written
};

/// The size of the read buffer of extract_part (memory use is this plus the boundary).
inline constexpr std::size_t multipart_buffer_size = 64 * 1024;

/// Streams through a multipart body stored in `body`, copies the content of the first part named
/// `field` into a new file `out` (fixed-size buffer: works for multi-GB bodies), and returns its
/// name/filename. The whole body is checked, up to its closing boundary. Throws
/// std::invalid_argument with a clear message if the body is malformed or has no such part (no
/// `out` file is left behind then), std::system_error if a file cannot be read or written.
multipart_part extract_part(const std::filesystem::path& body, std::string_view boundary,
                            std::string_view field, const std::filesystem::path& out);

}  // namespace sbx::http
