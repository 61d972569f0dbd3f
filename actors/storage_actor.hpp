// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "persistence/file_store.hpp"
#include "proto/metadata_actor.hpp"
#include "proto/storage_actor.hpp"

namespace sbx::actors {

/// Spawns the storage service (on its own thread: it touches the file system). It keeps export
/// sets in memory, each for `export_lifetime` after its creation (spec: 6 hours).
proto::storage_actor spawn_storage_actor(
    caf::actor_system& sys, std::shared_ptr<const persistence::file_store> store,
    proto::metadata_actor metadata,
    std::chrono::milliseconds export_lifetime = std::chrono::hours{6});

/// Removes temporary files and files no key in `referenced` names; returns how many (run before
/// the node serves requests).
std::size_t sweep_orphans(const persistence::file_store& store,
                          const std::vector<std::string>& referenced);

}  // namespace sbx::actors
