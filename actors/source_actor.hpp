// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>

#include "proto/box_actor.hpp"
#include "proto/directory_watch_actor.hpp"
#include "proto/import_actor.hpp"
#include "proto/scu_actor.hpp"
#include "proto/scp_actor.hpp"
#include "proto/source_actor.hpp"
#include "proto/user_actor.hpp"

namespace sbx::actors {

/// The services that own sources and destinations.
struct source_owners {
  proto::user_actor users;
  proto::scp_actor scps;
  proto::import_actor imports;
  proto::directory_watch_actor directories;
  proto::scu_actor scus;
  proto::box_actor boxes;
};

/// Spawns the catalogue of sources and destinations; it asks the owners on every request and
/// never blocks.
proto::source_actor spawn_source_actor(caf::actor_system& sys, source_owners owners);

}  // namespace sbx::actors
