// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sbx::proto {

/// `WatchedDirectory`: a folder whose files are imported (docs/api.md#directory-watches).
struct watched_directory {
  std::int64_t id = -1;
  std::string name;
  std::string path;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watched_directory& x) {
  return f(x.id, x.name, x.path);
}

}  // namespace sbx::proto
