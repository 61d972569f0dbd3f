// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbx::proto {

/// What `GET /api/system/status` reports (docs/api.md#system): the node's own facts, for the
/// web interface's system page and dashboards that cannot read `GET /metrics`.
struct system_status {
  /// Images stored and refused since the node started, for one source type.
  struct ingest {
    std::string source_type;
    std::int64_t images = 0;
    std::int64_t bytes = 0;
    std::int64_t failed = 0;
  };
  std::string version;
  std::string database;      ///< "SQLite" or "PostgreSQL"
  std::int64_t started = 0;  ///< milliseconds since the epoch
  std::int64_t stored_images = 0;
  std::int64_t stored_bytes = 0;
  std::vector<ingest> ingested;
  /// "leader" or "follower" among the nodes sharing the database (docs/operations.md).
  std::string role = "leader";
};

}  // namespace sbx::proto
