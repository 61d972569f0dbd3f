// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <memory>

#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/anonymization_actor.hpp"
#include "proto/ingest_actor.hpp"
#include "proto/metadata_actor.hpp"

namespace sbx::actors {

/// What the anonymization service needs.
struct anonymization_service_config {
  persistence::database_config database;
  caf::group events;             ///< images_deleted arrives here
  bool purge_empty_keys = true;  ///< delete the keys of deleted images (spec §7.7)
  std::shared_ptr<const persistence::file_store> store;
  proto::metadata_actor metadata;
  proto::ingest_actor ingest;
  unsigned workers = 2;  ///< threads that read, de-identify and write images
};

/// Spawns the anonymization service: a keeper on its own thread that owns the key tables (key
/// operations are serialised through it, as §7.5 requires) and a pool of workers on their own
/// threads that do the file work of (reverse) anonymization and ask the keeper for keys.
proto::anonymization_actor spawn_anonymization_actor(caf::actor_system& sys,
                                                     anonymization_service_config config);

}  // namespace sbx::actors
