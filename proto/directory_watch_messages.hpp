// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/directory_watch.hpp"

namespace sbx::proto {

/// Directory watches (docs/api.md#directory-watches): each imports the files that appear in its
/// folder tree. Invalid requests (not a directory, overlapping watches): errc::bad_request.
using directory_watch_actor = caf::typed_actor<
    // A page of watches in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<watched_directory>>,
    // Creates and starts a watch (or returns the existing one of that name and path).
    caf::replies_to<add_atom, watched_directory>::with<watched_directory>,
    // Stops and deletes a watch.
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // Internal, sent to itself: run the stored watches if this node leads, none otherwise
    // (docs/operations.md#running-a-cluster).
    caf::reacts_to<update_atom>>;

}  // namespace sbx::proto
