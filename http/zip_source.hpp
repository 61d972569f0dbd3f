// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "persistence/file_store.hpp"

namespace sbx::http {

/// One file to put in a ZIP: its name inside the archive and its path on disk, or how to open it
/// when its turn comes: `open` returns a stream of its bytes, or nullptr after setting `path`.
struct zip_item {
  std::string name;
  std::string path;
  std::function<std::unique_ptr<persistence::byte_stream>(std::string& path)> open;
};

/// A ZIP archive of `items`, written while it is sent (libarchive, deflate at `level`, 0 =
/// stored): only one read buffer of one file and the compressor's window are in memory. A file
/// that cannot be read makes the source throw (the archive stays without central directory).
/// Streams are opened one entry ahead, so the next one's first bytes are on their way while the
/// current one is sent.
std::shared_ptr<body_source> zip_source(std::vector<zip_item> items, int level);

}  // namespace sbx::http
