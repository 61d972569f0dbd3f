// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/log.hpp"

namespace sbx::persistence {

/// The node's event log (table log_entries).
class log_repo {
 public:
  explicit log_repo(database& db) : db_(db) {}

  /// Inserts an entry (id ignored) and returns it with its new id.
  proto::log_entry insert(const proto::log_entry& e);
  /// A page of entries, newest first (created desc, then id desc), optionally only those with
  /// exactly this subject and/or type.
  std::vector<proto::log_entry> list(std::int64_t start, std::int64_t count,
                                     const std::optional<std::string>& subject,
                                     std::optional<proto::log_type> type);
  /// Deletes every entry.
  void remove_all();
  /// Deletes one entry; false if there was none.
  bool remove(std::int64_t id);

 private:
  database& db_;
};

}  // namespace sbx::persistence
