// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/events.hpp"
#include "proto/tag_filter.hpp"

namespace sbx::proto {

/// The tag filtering service (docs/api.md#filtering): filters, their tag trees and their
/// associations with sources. A tree or association naming a filter that does not exist:
/// errc::bad_request; a tree with an unknown keyword: errc::bad_request.
using filtering_actor = caf::typed_actor<
    // A page of filters in id order (start, count).
    caf::replies_to<list_atom, filters_atom, std::int64_t,
                    std::int64_t>::with<std::vector<tag_filter>>,
    // Inserts a filter (id ignored, no upsert); answers it with its id.
    caf::replies_to<add_atom, tag_filter>::with<tag_filter>,
    // Deletes a filter with its trees and associations; answers whether there was one.
    caf::replies_to<delete_atom, filters_atom, std::int64_t>::with<bool>,
    // A page of the trees of a filter in id order (filter id, start, count).
    caf::replies_to<list_atom, tag_paths_atom, std::int64_t, std::int64_t,
                    std::int64_t>::with<std::vector<tag_filter_tag_path>>,
    // Adds a tree to the filter the body names (id ignored, duplicates allowed).
    caf::replies_to<add_atom, tag_filter_tag_path>::with<tag_filter_tag_path>,
    // Deletes a tree by its id.
    caf::replies_to<delete_atom, tag_paths_atom, std::int64_t>::with<bool>,
    // A page of associations in id order (start, count).
    caf::replies_to<list_atom, assocs_atom, std::int64_t,
                    std::int64_t>::with<std::vector<source_tag_filter>>,
    // Inserts an association (id ignored, no upsert).
    caf::replies_to<add_atom, source_tag_filter>::with<source_tag_filter>,
    // Deletes an association by its id.
    caf::replies_to<delete_atom, assocs_atom, std::int64_t>::with<bool>,
    // Event: a deleted source loses its associations.
    caf::reacts_to<source_deleted>,
    // Re-reads the tables (sent to itself periodically, for nodes sharing one database).
    caf::reacts_to<reload_atom>>;

}  // namespace sbx::proto
