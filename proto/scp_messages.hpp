// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/scp.hpp"

namespace sbx::proto {

/// The SCPs (docs/api.md#scps): records and their running listeners. Invalid input:
/// errc::bad_request with Slicebox's message.
using scp_actor = caf::typed_actor<
    // A page of SCPs in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<scp>>,
    // Creates an SCP and starts its listener, or returns the SCP of that name as it is.
    caf::replies_to<add_atom, scp>::with<scp>,
    // Stops the listener (its port is closed on return) and deletes the record; false if
    // there was none.
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // Internal: another node added or deleted an SCP; every node listens on every SCP
    // (docs/operations.md#running-a-cluster).
    caf::reacts_to<update_atom>>;

}  // namespace sbx::proto
