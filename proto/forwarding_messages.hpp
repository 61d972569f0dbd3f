// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/events.hpp"
#include "proto/forwarding.hpp"

namespace sbx::proto {

/// The forwarding service (docs/forwarding.md): the rules, and the engine that batches what
/// arrives from a rule's source and hands it to the rule's destination.
using forwarding_actor = caf::typed_actor<
    // A page of rules in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<forwarding_rule>>,
    // Creates a rule (id ignored), or returns the one with the same source and destination
    // unchanged.
    caf::replies_to<add_atom, forwarding_rule>::with<forwarding_rule>,
    // Deletes a rule and its batches; answers whether there was one.
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // Events the engine follows.
    caf::reacts_to<image_added>, caf::reacts_to<images_deleted>, caf::reacts_to<images_sent>,
    caf::reacts_to<source_added>, caf::reacts_to<source_deleted>,
    // Internal: the engine's periodic step (dispatch, repair, finalize), and the recording of
    // the images that arrived since the last one, in one transaction.
    caf::reacts_to<step_atom>, caf::reacts_to<flush_atom>,
    // Internal: an SCU acknowledged one image of a batch being sent (batch id, image id); answers
    // once that is recorded.
    caf::replies_to<progress_atom, std::int64_t, std::int64_t>::with<bool>>;

/// What forwarding needs from the box service: the part of its interface that sends images to
/// a box the way `POST /api/boxes/{id}/send` does, and tells how such a transfer stands.
using box_forwarding_actor = caf::typed_actor<
    // Sends images to a box with the box's default profile and no tag values, in this order
    // (box id, image ids); answers the id of the new outgoing transaction. No such box:
    // errc::not_found.
    caf::replies_to<forward_atom, std::int64_t, std::vector<std::int64_t>>::with<std::int64_t>,
    // The status of an outgoing transaction (`WAITING`, `PROCESSING`, `FINISHED`, `FAILED`), or
    // an empty string if it no longer exists.
    caf::replies_to<forward_atom, status_atom, std::int64_t>::with<std::string>>;

}  // namespace sbx::proto
