// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <memory>

#include "actors/cluster_member.hpp"
#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/series_type_messages.hpp"

namespace sbx::actors {

/// What the series-type service needs.
struct series_type_service_config {
  persistence::database_config database;
  caf::group events;  ///< image_added arrives here
  std::shared_ptr<const persistence::file_store> store;
  /// The labeller runs only while this node leads (none: always).
  std::shared_ptr<cluster_member> cluster;
};

/// Spawns the series-type service: one thread owns the tables, another re-labels series in the
/// background (docs/api.md#series-types) from a queue kept in the database, so neither ingest nor
/// the API wait for it, a restart resumes it, and in a cluster any node queues and the leader
/// labels.
proto::series_type_actor spawn_series_type_actor(caf::actor_system& sys,
                                                 series_type_service_config config);

}  // namespace sbx::actors
