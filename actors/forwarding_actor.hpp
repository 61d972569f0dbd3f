// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <chrono>

#include "actors/cluster_member.hpp"
#include "persistence/database.hpp"
#include "proto/forwarding_messages.hpp"
#include "proto/log_messages.hpp"
#include "proto/metadata_messages.hpp"
#include "proto/scu_messages.hpp"

namespace sbx::actors {

/// What the forwarding service needs.
struct forwarding_config {
  persistence::database_config database;
  proto::scu_actor scus;              ///< sends to SCU destinations
  proto::box_forwarding_actor boxes;  ///< sends to box destinations (none: such rules wait)
  proto::metadata_actor metadata;     ///< deletes what keepImages=false rules delivered
  proto::log_actor log;
  caf::group events;  ///< where it follows images and sources
  /// forwarding.batch_idle_ms: a batch that got no image for this long is sent.
  std::chrono::milliseconds batch_idle{std::chrono::seconds{30}};
  /// forwarding.retry_initial_ms, forwarding.retry_max_ms: after a failed send a batch waits
  /// retry_initial, doubled after every further failure up to retry_max.
  std::chrono::milliseconds retry_initial{std::chrono::seconds{30}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{10}};
  /// Batches are recorded on every node, sent and finalized only by the leader (none: always).
  std::shared_ptr<const cluster_member> cluster;
};

/// Spawns the forwarding service on its own thread (docs/forwarding.md). Everything it knows is
/// in the database: at start it resumes where it stopped.
proto::forwarding_actor spawn_forwarding_actor(caf::actor_system& sys, forwarding_config config);

}  // namespace sbx::actors
