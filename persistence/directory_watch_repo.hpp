// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "persistence/database.hpp"
#include "proto/directory_watch.hpp"

namespace sbx::persistence {

/// Watched directories (table directory_watches).
class directory_watch_repo {
 public:
  explicit directory_watch_repo(database& db) : db_(db) {}

  /// A page of watches in id order.
  std::vector<proto::watched_directory> list(std::int64_t start, std::int64_t count);
  /// Every watch, in id order.
  std::vector<proto::watched_directory> all();
  /// Inserts a watch (id ignored) and returns it with its id.
  proto::watched_directory insert(const proto::watched_directory& w);
  /// Deletes a watch; the deleted row, if there was one.
  std::optional<proto::watched_directory> remove(std::int64_t id);

 private:
  database& db_;
};

}  // namespace sbx::persistence
