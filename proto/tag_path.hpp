// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbx::proto {

/// One step of a tag path (docs/api.md#tag-paths), root first: an element tag, or a sequence tag
/// with an item.
struct tag_path_step {
  std::uint32_t tag = 0;  ///< group << 16 | element
  std::string name;       ///< dictionary keyword ("" if unknown or not yet resolved)
  bool is_item = false;   ///< a sequence step (an item of the sequence `tag`)
  int item = 0;           ///< 1-based item index for item steps; 0 = any item (`*`, trees only)
};

/// A tag path or tag tree, root first. A "TagPathTag" (what the API needs to address an element)
/// ends in a step that is not an item; a "trunk" ends in an item step. Tag trees may hold
/// any-item steps (item 0); plain tag paths never do.
using tag_path = std::vector<tag_path_step>;

/// True if the path is non-empty and ends in an element (not an item).
inline bool addresses_element(const tag_path& p) { return !p.empty() && !p.back().is_item; }

/// A value for the element at a tag path (`TagMapping`, `TagValue`).
struct tag_value {
  tag_path path;
  std::string value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tag_path_step& x) {
  return f(x.tag, x.name, x.is_item, x.item);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tag_value& x) {
  return f(x.path, x.value);
}

}  // namespace sbx::proto
