// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>

#include "proto/dictionary_messages.hpp"

namespace sbx::actors {

/// Spawns the DICOM dictionary service (in-memory look-ups; never blocks).
proto::dictionary_actor spawn_dictionary_actor(caf::actor_system& sys);

}  // namespace sbx::actors
