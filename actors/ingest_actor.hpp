// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <memory>

#include "actors/metrics.hpp"
#include "actors/source_filters.hpp"
#include "persistence/file_store.hpp"
#include "proto/anonymization_messages.hpp"
#include "proto/ingest_messages.hpp"
#include "proto/metadata_messages.hpp"

namespace sbx::actors {

/// What ingest needs.
struct ingest_service_config {
  std::shared_ptr<const persistence::file_store> store;
  proto::metadata_actor metadata;
  caf::group events;               ///< where image_added is published
  bool original_contexts = false;  ///< Slicebox 2.1.1's exact accepted lists
  /// Each worker spends most of an image waiting for its file's flush (file_store::adopt), so
  /// there are enough for the uploads that arrive together to flush side by side.
  unsigned workers = 8;
  /// The tag filters of the sources (docs/api.md#filtering), published by the filtering service.
  std::shared_ptr<const source_filters> filters = std::make_shared<source_filters>();
  /// Where anonymous data goes for reverse anonymization. The anonymization service itself
  /// stores through ingest, so its handle is filled in after both are spawned (before the node
  /// takes requests).
  std::shared_ptr<proto::anonymization_actor> reverser =
      std::make_shared<proto::anonymization_actor>();
  /// Stored images and failures are counted here (GET /metrics); may be null.
  std::shared_ptr<metrics> counters;
  /// A new image's file is flushed while its row is committed (docs/operations.md#durability):
  /// only with a store that defers flushes and a database one node alone writes (SQLite), since
  /// the check at start undoes rows whose files are missing.
  bool flush_beside_commit = false;
};

/// Spawns the ingest service: a round-robin pool of workers on their own threads (they read
/// files, parse headers and flush the files they store).
proto::ingest_actor spawn_ingest_actor(caf::actor_system& sys, ingest_service_config config);

}  // namespace sbx::actors
