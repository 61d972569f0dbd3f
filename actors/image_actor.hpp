// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <memory>

#include "persistence/file_store.hpp"
#include "proto/image_actor.hpp"
#include "proto/ingest_actor.hpp"
#include "proto/metadata_actor.hpp"

namespace sbx::actors {

/// What the image operations need.
struct image_service_config {
  std::shared_ptr<const persistence::file_store> store;
  proto::metadata_actor metadata;
  proto::ingest_actor ingest;
  unsigned workers = 2;
};

/// Spawns the image operations: a round-robin pool of workers on their own threads (decoding and
/// rendering block for milliseconds to hundreds of milliseconds).
proto::image_actor spawn_image_actor(caf::actor_system& sys, image_service_config config);

}  // namespace sbx::actors
