// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/tag_path.hpp"

namespace sbx::proto {

/// Whether a filter's tag trees are what is kept or what is removed (docs/api.md#filtering).
enum class tag_filter_type : std::uint8_t { whitelist, blacklist };

/// The wire name of a filter type ("WHITELIST", "BLACKLIST").
std::string_view to_string(tag_filter_type t);
/// Parses a wire filter type name (exact match).
std::optional<tag_filter_type> parse_tag_filter_type(std::string_view s);

/// A tag filter (`TagFilter`): a named whitelist or blacklist; names need not be unique.
struct tag_filter {
  std::int64_t id = -1;
  std::string name;
  tag_filter_type type = tag_filter_type::whitelist;
};

/// One tag tree of a filter (`TagFilterTagPath`, docs/api.md#tag-paths).
struct tag_filter_tag_path {
  std::int64_t id = -1;
  std::int64_t tag_filter_id = -1;
  tag_path tree;
};

/// A filter applied to the data of one source (`SourceTagFilter`); the two names are stored as
/// sent, never checked or updated.
struct source_tag_filter {
  std::int64_t id = -1;
  std::string source_type;
  std::string source_name;
  std::int64_t source_id = -1;
  std::int64_t tag_filter_id = -1;
  std::string tag_filter_name;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tag_filter& x) {
  return f(x.id, x.name, x.type);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tag_filter_tag_path& x) {
  return f(x.id, x.tag_filter_id, x.tree);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_tag_filter& x) {
  return f(x.id, x.source_type, x.source_name, x.source_id, x.tag_filter_id, x.tag_filter_name);
}

}  // namespace sbx::proto
