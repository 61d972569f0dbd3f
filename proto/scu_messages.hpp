// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/scu.hpp"

namespace sbx::proto {

/// The SCUs (docs/api.md#scus) and sending images to them with C-STORE. Invalid SCU data:
/// errc::bad_request; unknown SCU or image: errc::not_found; a peer that cannot be reached or
/// does not store an image: errc::bad_gateway.
using scu_actor = caf::typed_actor<
    // A page of SCUs in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<scu>>,
    // Creates an SCU (id ignored), or returns the one of that name unchanged.
    caf::replies_to<add_atom, scu>::with<scu>,
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // Sends images over one association (SCU id, image ids); answers once the peer has
    // acknowledged them, with how many were sent.
    caf::replies_to<send_atom, std::int64_t, std::vector<std::int64_t>>::with<std::int64_t>,
    // As above, and after each image the peer acknowledged, before the next is sent, asks
    // `progress` (progress_atom, tag, image id) and waits for its answer (any): a forwarding
    // batch records which images its destination has (SCU id, image ids, progress, tag).
    caf::replies_to<send_atom, std::int64_t, std::vector<std::int64_t>, caf::actor,
                    std::int64_t>::with<std::int64_t>>;

}  // namespace sbx::proto
