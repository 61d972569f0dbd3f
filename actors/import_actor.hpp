// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>

#include "persistence/database.hpp"
#include "proto/import_messages.hpp"
#include "proto/ingest_messages.hpp"
#include "proto/log_messages.hpp"
#include "proto/metadata_messages.hpp"

namespace sbx::actors {

/// What the import-session service needs.
struct import_service_config {
  persistence::database_config database;
  proto::ingest_actor ingest;
  proto::metadata_actor metadata;
  proto::log_actor log;
  caf::group events;  ///< where source_deleted is published
};

/// Spawns the import-session service on its own thread (it owns its tables).
proto::import_actor spawn_import_actor(caf::actor_system& sys, import_service_config config);

}  // namespace sbx::actors
