// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <memory>

#include "persistence/file_store.hpp"
#include "proto/dicomweb_messages.hpp"

namespace sbx::actors {

/// What the DICOMweb file work needs.
struct dicomweb_service_config {
  std::shared_ptr<const persistence::file_store> store;
  unsigned workers = 2;
};

/// Spawns the DICOMweb file work: a round-robin pool of workers on their own threads (reading
/// and decoding files blocks).
proto::dicomweb_actor spawn_dicomweb_actor(caf::actor_system& sys, dicomweb_service_config config);

}  // namespace sbx::actors
