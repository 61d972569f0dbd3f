// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <memory>

#include "actors/cluster_member.hpp"
#include "actors/metrics.hpp"
#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/ingest_messages.hpp"
#include "proto/log_messages.hpp"
#include "proto/scp_messages.hpp"

namespace sbx::actors {

/// What the SCP service needs.
struct scp_service_config {
  persistence::database_config database;
  std::shared_ptr<const persistence::file_store> store;  ///< where datasets are received
  proto::ingest_actor ingest;
  proto::log_actor log;
  bool original_contexts = false;     ///< Slicebox 2.1.1's exact accepted lists
  caf::group events;                  ///< where source_deleted is published
  std::shared_ptr<metrics> counters;  ///< associations are counted here (GET /metrics); may be null
  /// Hands over the SCPs other nodes add or delete: every node listens on every SCP (none: one
  /// node).
  std::shared_ptr<cluster_member> cluster;
};

/// Spawns the SCP service on its own thread and starts every stored SCP. Each listener serves
/// its associations on threads of its own, which hand every received dataset to ingest and wait
/// for the answer before the C-STORE response. Its termination closes every port and waits for
/// the associations still open.
proto::scp_actor spawn_scp_actor(caf::actor_system& sys, scp_service_config config);

}  // namespace sbx::actors
