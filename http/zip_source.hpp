// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace sbx::http {

/// One file to put in a ZIP: its name inside the archive and its path on disk.
struct zip_item {
  std::string name;
  std::string path;
};

/// A ZIP archive of `items`, written while it is sent (libarchive, deflate at `level`, 0 =
/// stored): only one read buffer of one file and the compressor's window are in memory. A file
/// that cannot be read makes the source throw (the archive stays without central directory).
std::shared_ptr<body_source> zip_source(std::vector<zip_item> items, int level);

}  // namespace sbx::http
