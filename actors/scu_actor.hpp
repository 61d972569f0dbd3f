// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>

#include "persistence/database.hpp"
#include "proto/log_messages.hpp"
#include "proto/scu_messages.hpp"
#include "proto/storage_messages.hpp"

namespace sbx::actors {

/// What the SCU service needs.
struct scu_service_config {
  persistence::database_config database;
  proto::storage_actor storage;  ///< where the images' files are
  proto::log_actor log;
  caf::group events;  ///< where images_sent is published after each successful send
};

/// Spawns the SCU service on its own thread (it owns its table). Each send runs in a thread of
/// its own for as long as its association lasts, so a slow peer delays nothing else.
proto::scu_actor spawn_scu_actor(caf::actor_system& sys, scu_service_config config);

}  // namespace sbx::actors
