// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/source.hpp"

namespace sbx::proto {

/// The catalogue of sources and destinations, gathered from the services that own them.
using source_actor = caf::typed_actor<
    // Every source: users, then boxes, SCPs, directory watches, import sessions.
    caf::replies_to<get_atom, sources_atom>::with<std::vector<source>>,
    // Every destination: boxes, then SCUs.
    caf::replies_to<get_atom, dests_atom>::with<std::vector<destination>>>;

}  // namespace sbx::proto
