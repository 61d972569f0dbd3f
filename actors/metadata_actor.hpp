// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/metrics.hpp"
#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/metadata_messages.hpp"

namespace sbx::actors {

/// What the metadata service needs.
struct metadata_service_config {
  persistence::database_config database;
  std::shared_ptr<const persistence::file_store> store;
  caf::group events;                  ///< where images_deleted is published
  unsigned readers = 2;               ///< reader threads (each with its own connection)
  std::shared_ptr<metrics> counters;  ///< group-commit sizes go here (GET /metrics); may be null
};

/// Spawns the metadata service: a pool whose first worker writes (batching concurrent upserts
/// into one transaction) and whose other workers read. Every worker runs on its own thread.
proto::metadata_actor spawn_metadata_actor(caf::actor_system& sys, metadata_service_config config);

/// Every storage key an image row references (read once at start, before the service runs, for
/// the storage sweep).
std::vector<std::string> referenced_storage_keys(const persistence::database_config& database);

/// What check_unflushed() found.
struct unflushed_check {
  std::size_t kept = 0;      ///< whole files, flushed now
  std::size_t restored = 0;  ///< images back on the file they replaced
  std::size_t removed = 0;   ///< images removed
};

/// Run at start, before the sweep: every file whose row was committed while the file was being
/// flushed and that was never marked flushed (docs/operations.md#durability) is checked. A whole
/// file is flushed and kept; for a missing or short one (a power cut), its image goes back to the
/// file it replaced if that is still there, or is removed.
unflushed_check check_unflushed(const persistence::file_store& store,
                                const persistence::database_config& database);

}  // namespace sbx::actors
