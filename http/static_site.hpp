// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>

#include "http/message.hpp"

namespace sbx::http {

/// The web interface's files, served at `/` from one folder (`http.ui_dir`, docs/ui.md#serving):
/// hashed assets under `assets/` cached for a year, every other file (index.html first)
/// revalidated (every file has an ETag and a Last-Modified), a `<file>.gz` sibling sent instead of
/// the file to clients that accept gzip. Paths without an extension that name no file get
/// index.html (the interface routes them itself). Nothing outside the folder is ever served: `..`
/// and `.` segments, hidden names, encoded slashes, backslashes and NULs are refused, and the
/// resolved path (symlinks followed) must still lie inside the folder. Folders are never listed.
class static_site {
 public:
  /// `root` need not exist (yet): while it does not, `/` explains how to build the interface.
  explicit static_site(std::filesystem::path root);

  /// Whether a request may be the site's: a GET or HEAD whose path does not start with `/api`,
  /// `/dicom-web` or `/metrics` (the caller also leaves to the API any path one of its routes
  /// serves).
  static bool claims(std::string_view method, std::string_view path);

  /// The answer to a GET or HEAD (the request's path, its If-None-Match, If-Modified-Since and
  /// Accept-Encoding headers); for a HEAD the server sends its header alone.
  http_response serve(const http_request& request) const;

  /// The folder served, as configured.
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace sbx::http
