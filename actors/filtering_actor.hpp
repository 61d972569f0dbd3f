// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <chrono>
#include <memory>

#include "actors/cluster_member.hpp"
#include "actors/source_filters.hpp"
#include "persistence/database.hpp"
#include "proto/filtering_messages.hpp"

namespace sbx::actors {

/// What the filtering service needs.
struct filtering_service_config {
  persistence::database_config database;
  caf::group events;  ///< source_deleted arrives here
  /// Where the filters ingest applies are published (at start and after every change).
  std::shared_ptr<source_filters> published = std::make_shared<source_filters>();
  /// How often the tables are read again, for changes made by other nodes sharing the database
  /// (a safety net: on PostgreSQL their changes are announced through `cluster`).
  std::chrono::seconds reload_interval{10};
  /// Hands over the other nodes' announcements of changed filters (none: one node).
  std::shared_ptr<cluster_member> cluster;
};

/// Spawns the filtering service on its own thread (it owns the filter tables), after publishing
/// the stored filters (so ingest applies them from the first image on). Throws
/// persistence::database_error if they cannot be read.
proto::filtering_actor spawn_filtering_actor(caf::actor_system& sys,
                                             filtering_service_config config);

}  // namespace sbx::actors
