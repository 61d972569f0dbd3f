// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <chrono>
#include <memory>

#include "actors/cluster_member.hpp"
#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/directory_watch_messages.hpp"
#include "proto/ingest_messages.hpp"
#include "proto/log_messages.hpp"

namespace sbx::actors {

/// What the directory-watch service needs.
struct directory_watch_config {
  persistence::database_config database;
  std::shared_ptr<const persistence::file_store> store;
  proto::ingest_actor ingest;
  proto::log_actor log;
  caf::group events;                                          ///< where source_deleted is published
  bool delete_on_import = false;                              ///< remove a file once it is stored
  std::chrono::milliseconds rescan{std::chrono::seconds{5}};  ///< full walks of each tree
  /// The watches run only while this node leads (none: always); every node must see the
  /// watched folders at the same paths.
  std::shared_ptr<const cluster_member> cluster;
};

/// Spawns the directory-watch service (its own thread; one more thread a watch). At start it
/// resumes every stored watch whose folder still exists and deletes the others
/// (docs/api.md#directory-watches).
/// Files are copied to the store's tmp/ folder and ingested (image-data contexts, source
/// `directory`), at most 5 at a time; rejected files are logged and left in place.
proto::directory_watch_actor spawn_directory_watch_actor(caf::actor_system& sys,
                                                         directory_watch_config config);

}  // namespace sbx::actors
