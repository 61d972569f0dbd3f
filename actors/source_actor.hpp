// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>

#include "proto/services.hpp"
#include "proto/source_messages.hpp"

namespace sbx::actors {

/// Spawns the catalogue of sources and destinations; it asks their owners (users, SCPs, directory
/// watches, import sessions, SCUs: spawned before it) on every request and never blocks.
proto::source_actor spawn_source_actor(caf::actor_system& sys, const proto::services& owners);

}  // namespace sbx::actors
