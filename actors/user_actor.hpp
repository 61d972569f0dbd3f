// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "actors/credential_cache.hpp"
#include "persistence/database.hpp"
#include "proto/log_actor.hpp"
#include "proto/user_actor.hpp"

namespace sbx::actors {

/// What the users service needs.
struct user_service_config {
  persistence::database_config database;
  std::string superuser_name = "admin";
  std::string superuser_password = "admin";
  std::chrono::seconds session_timeout{3600};
  bool bind_sessions_to_client = true;  ///< user-sessions-include-ip-and-useragent
  proto::log_actor log;
  caf::group events;  ///< where source_deleted is published
  std::shared_ptr<credential_cache> verified = std::make_shared<credential_cache>();
};

/// Spawns the users service on its own thread (it blocks on the database and on password
/// hashing). It makes sure the configured superuser exists before it answers anything.
proto::user_actor spawn_user_actor(caf::actor_system& sys, user_service_config config);

}  // namespace sbx::actors
