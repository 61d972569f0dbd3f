// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/metadata_messages.hpp"
#include "proto/storage_messages.hpp"

namespace sbx::actors {

/// Spawns the storage service (on its own thread: it touches the file system). It keeps export sets
/// in the database, so that any node of a cluster serves them, each for `export_lifetime` after its
/// creation (6 hours by default, as in Slicebox).
proto::storage_actor spawn_storage_actor(
    caf::actor_system& sys, std::shared_ptr<const persistence::file_store> store,
    proto::metadata_actor metadata, persistence::database_config database,
    std::chrono::milliseconds export_lifetime = std::chrono::hours{6});

/// Removes temporary files and files no key in `referenced` names; returns how many (run before
/// the node serves requests).
std::size_t sweep_orphans(const persistence::file_store& store,
                          const std::vector<std::string>& referenced);

}  // namespace sbx::actors
