// SPDX-License-Identifier: Apache-2.0
#include "dicom/series_type_match.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace sbx::dicom {
namespace {

/// The sequence steps of a `tagPath` ("528704,..." decimal tags, item 1 each); empty if the text
/// is not such a list.
proto::tag_path sequence_steps(const std::string& text) {
  proto::tag_path out;
  std::string_view rest(text);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto part = rest.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    std::int64_t tag = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), tag);
    if (ec != std::errc{} || end != part.data() + part.size()) return {};
    out.push_back({static_cast<std::uint32_t>(tag), "", true, 1});
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

bool same_step(const proto::tag_path_step& a, const proto::tag_path_step& b) {
  return a.tag == b.tag && a.is_item == b.is_item && a.item == b.item;
}

bool starts_with(const proto::tag_path& path, const proto::tag_path& prefix) {
  return path.size() > prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), path.begin(), same_step);
}

}  // namespace

bool matches(const std::vector<proto::image_attribute>& attributes,
             const proto::series_type_rule_attribute& a) {
  auto trunk = a.tag_path ? sequence_steps(*a.tag_path) : proto::tag_path{};
  if (!trunk.empty() && std::none_of(attributes.begin(), attributes.end(),
                                     [&](const auto& e) { return starts_with(e.tag_path, trunk); }))
    trunk.clear();  // the path leads nowhere: the root is examined (docs/api.md#series-types)
  auto target = trunk;
  target.push_back({static_cast<std::uint32_t>(a.tag), "", false, 0});
  std::string value;
  for (const auto& e : attributes) {
    if (e.tag_path.size() != target.size() ||
        !std::equal(target.begin(), target.end(), e.tag_path.begin(), same_step))
      continue;
    for (std::size_t i = 0; i < e.values.size(); ++i) value += (i ? "," : "") + e.values[i];
    break;
  }
  return value == a.values;
}

std::vector<std::int64_t> matching_types(const std::vector<proto::image_attribute>& attributes,
                                         const proto::series_type_rules& rules) {
  std::vector<std::int64_t> out;
  for (const auto& type : rules.types) {
    bool applies = std::any_of(type.rules.begin(), type.rules.end(), [&](const auto& rule) {
      return std::all_of(rule.attributes.begin(), rule.attributes.end(),
                         [&](const auto& a) { return matches(attributes, a); });
    });
    if (applies) out.push_back(type.id);
  }
  return out;
}

}  // namespace sbx::dicom
