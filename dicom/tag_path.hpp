// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "proto/tag_path.hpp"

namespace sbx::dicom {

/// The string form of a tag path or tree (docs/api.md#tag-paths): nodes joined by '.', each the
/// keyword of its tag if the dictionary knows it, else `(GGGG,EEEE)` in upper-case hex, item nodes
/// suffixed `[n]` or `[*]`; e.g. `DerivationCodeSequence[1].PatientID`.
std::string to_string(const proto::tag_path& path);

/// Parses the string form; each node may be a keyword or `(GGGG,EEEE)`. `[*]` is accepted only
/// when `tree`. Names are filled from the dictionary. Throws std::invalid_argument saying why.
proto::tag_path parse_tag_path(std::string_view text, bool tree);

/// Fills every step's `name` from the dictionary ("" for unknown tags); a step with tag 0 and a
/// name (as read from JSON without a tag) gets the tag of that keyword. Throws
/// std::invalid_argument for an unknown keyword.
void resolve_names(proto::tag_path& path);

/// `tree` isTrunkOf `path`: tree is a prefix of path, node by node from the root (same tags; a
/// concrete item must equal path's item; an any-item matches any item of path, or the sequence
/// element itself).
bool is_trunk_of(const proto::tag_path& tree, const proto::tag_path& path);

/// `tree` hasTrunk `path`: path is a prefix of tree (node-wise equality on the common prefix,
/// an item node of tree matching path's sequence node or an equal / any item).
bool has_trunk(const proto::tag_path& tree, const proto::tag_path& path);

}  // namespace sbx::dicom
