// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>

#include "persistence/database.hpp"
#include "proto/log_messages.hpp"

namespace sbx::actors {

/// Spawns the log service on its own thread (it blocks on the database). Every entry is also
/// written to the process log (stderr).
proto::log_actor spawn_log_actor(caf::actor_system& sys, persistence::database_config database);

}  // namespace sbx::actors
