// SPDX-License-Identifier: Apache-2.0
#include "dicom/tag_path.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "dicom/dictionary.hpp"
#include "dicom/tag_text.hpp"

namespace sbx::dicom {

namespace {

[[noreturn]] void fail(std::string_view text, const std::string& why) {
  throw std::invalid_argument("Invalid tag path '" + std::string(text) + "': " + why);
}

std::optional<std::uint16_t> hex16(std::string_view s) {
  if (s.size() != 4) return std::nullopt;
  std::uint16_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

/// One node of the string form: `Keyword` or `(GGGG,EEEE)`, optionally `[n]` / `[*]`.
proto::tag_path_step parse_node(std::string_view text, std::string_view node, bool tree) {
  proto::tag_path_step step;
  std::string_view head = node;
  if (const auto open = node.find('['); open != std::string_view::npos) {
    if (node.back() != ']') fail(text, "'" + std::string(node) + "' has no closing ']'");
    const auto item = node.substr(open + 1, node.size() - open - 2);
    head = node.substr(0, open);
    step.is_item = true;
    if (item == "*") {
      if (!tree) fail(text, "the wildcard item [*] is only allowed in tag trees");
      step.item = 0;
    } else {
      int n = 0;
      const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      if (item.empty() || ec != std::errc{} || ptr != item.data() + item.size() || n < 1) {
        fail(text, "item index '" + std::string(item) + "' is not a positive integer");
      }
      step.item = n;
    }
  }
  if (head.empty()) fail(text, "empty node");
  if (head.front() == '(') {
    const auto group = head.size() == 11 && head[5] == ',' && head[10] == ')'
                           ? hex16(head.substr(1, 4))
                           : std::nullopt;
    const auto element = group ? hex16(head.substr(6, 4)) : std::nullopt;
    if (!group || !element) fail(text, "'" + std::string(head) + "' is not a (GGGG,EEEE) tag");
    step.tag = (std::uint32_t{*group} << 16) | *element;
    step.name = keyword_of(step.tag).value_or("");
  } else {
    const auto tag = tag_of(head);
    if (!tag) fail(text, "unknown keyword '" + std::string(head) + "'");
    step.tag = *tag;
    step.name = std::string(head);
  }
  return step;
}

/// Whether a node of a tree matches a node of a path when the tree is the trunk.
bool trunk_node_matches(const proto::tag_path_step& t, const proto::tag_path_step& p) {
  if (t.tag != p.tag) return false;
  if (!t.is_item) return !p.is_item;
  if (!p.is_item) return t.item == 0;  // any-item matches the sequence element itself
  return t.item == 0 || t.item == p.item;
}

}  // namespace

std::string to_string(const proto::tag_path& path) {
  std::string out;
  for (const auto& step : path) {
    if (!out.empty()) out.push_back('.');
    out += keyword_of(step.tag).value_or(tag_text(step.tag));
    if (step.is_item) {
      out += step.item == 0 ? std::string("[*]") : "[" + std::to_string(step.item) + "]";
    }
  }
  return out;
}

proto::tag_path parse_tag_path(std::string_view text, bool tree) {
  if (text.empty()) fail(text, "empty");
  proto::tag_path path;
  std::size_t start = 0;
  for (;;) {
    const auto dot = text.find('.', start);
    path.push_back(parse_node(text, text.substr(start, dot - start), tree));
    if (dot == std::string_view::npos) break;
    if (!path.back().is_item) fail(text, "only the last node may address an element");
    start = dot + 1;
  }
  return path;
}

void resolve_names(proto::tag_path& path) {
  for (auto& step : path) {
    if (step.tag == 0 && !step.name.empty()) {
      const auto tag = tag_of(step.name);
      if (!tag) throw std::invalid_argument("Unknown keyword '" + step.name + "'");
      step.tag = *tag;
      continue;
    }
    step.name = keyword_of(step.tag).value_or("");
  }
}

bool is_trunk_of(const proto::tag_path& tree, const proto::tag_path& path) {
  if (tree.size() > path.size()) return false;
  for (std::size_t i = 0; i < tree.size(); ++i) {
    if (!trunk_node_matches(tree[i], path[i])) return false;
  }
  return true;
}

bool has_trunk(const proto::tag_path& tree, const proto::tag_path& path) {
  if (tree.size() < path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& t = tree[i];
    const auto& p = path[i];
    if (t.tag != p.tag) return false;
    if (!p.is_item) continue;  // path's sequence (or element) node: any tree node of that tag
    if (!t.is_item || (t.item != 0 && t.item != p.item)) return false;
  }
  return true;
}

}  // namespace sbx::dicom
