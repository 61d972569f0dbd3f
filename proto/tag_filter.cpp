// SPDX-License-Identifier: Apache-2.0
#include "proto/tag_filter.hpp"

namespace sbx::proto {

std::string_view to_string(tag_filter_type t) {
  return t == tag_filter_type::blacklist ? "BLACKLIST" : "WHITELIST";
}

std::optional<tag_filter_type> parse_tag_filter_type(std::string_view s) {
  if (s == "WHITELIST") return tag_filter_type::whitelist;
  if (s == "BLACKLIST") return tag_filter_type::blacklist;
  return std::nullopt;
}

}  // namespace sbx::proto
