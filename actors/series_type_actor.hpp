// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <memory>

#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/series_type_actor.hpp"

namespace sbx::actors {

/// What the series-type service needs.
struct series_type_service_config {
  persistence::database_config database;
  caf::group events;  ///< image_added arrives here
  std::shared_ptr<const persistence::file_store> store;
};

/// Spawns the series-type service: one thread owns the tables, another re-labels series in the
/// background (spec §8) from a de-duplicated queue, so neither ingest nor the API wait for it.
proto::series_type_actor spawn_series_type_actor(caf::actor_system& sys,
                                                 series_type_service_config config);

}  // namespace sbx::actors
