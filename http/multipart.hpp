// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

/// A `multipart/related` content type (STOW-RS, docs/dicomweb.md#stow-rs): its `type` parameter
/// ("" if absent) and boundary ("" if absent or unusable).
struct related_type {
  std::string type;
  std::string boundary;
};

/// The parameters of a `multipart/related` content type, or nullopt for another media type.
std::optional<related_type> multipart_related(std::string_view content_type);

/// The media type of a Content-Type value, lower case, without parameters.
std::string media_type_of(std::string_view content_type);

/// One part of a multipart body, written to a file of its own.
struct related_part {
  std::string content_type;    ///< the part's Content-Type ("" if absent)
  std::filesystem::path file;  ///< its content
};

/// Streams through a multipart body and writes every part's content to a new file named by
/// `next_path()`, in order (fixed-size buffer). Throws std::invalid_argument with a clear message
/// if the body is malformed (no file is left behind then), std::system_error on I/O failures.
std::vector<related_part> split_parts(const std::filesystem::path& body, std::string_view boundary,
                                      const std::function<std::filesystem::path()>& next_path);

}  // namespace sbx::http
