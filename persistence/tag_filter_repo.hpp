// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/tag_filter.hpp"

namespace sbx::persistence {

/// A tag tree of a filter as stored: its string form (docs/api.md#tag-paths).
struct stored_tag_path {
  std::int64_t id = -1;
  std::int64_t tag_filter_id = -1;
  std::string tree;
};

/// One tree of one filter associated with one source: a row of what ingest applies.
struct source_filter_tree {
  std::string source_type;
  std::int64_t source_id = -1;
  proto::tag_filter_type type = proto::tag_filter_type::whitelist;
  std::string tree;
};

/// Tag filters, their trees and their associations with sources (tables tag_filters,
/// tag_filter_tag_paths, source_tag_filters). Pages with a negative start or count are empty;
/// names that no column can hold (NUL characters, invalid UTF-8) throw std::invalid_argument.
class tag_filter_repo {
 public:
  explicit tag_filter_repo(database& db) : db_(db) {}

  /// A page of filters in id order.
  std::vector<proto::tag_filter> filters(std::int64_t start, std::int64_t count);
  /// Inserts a filter (id ignored) and returns it with its new id.
  proto::tag_filter insert_filter(const proto::tag_filter& f);
  /// Deletes a filter with its trees and associations; false if there was none.
  bool remove_filter(std::int64_t id);

  /// A page of the trees of one filter in id order.
  std::vector<stored_tag_path> tag_paths(std::int64_t filter_id, std::int64_t start,
                                         std::int64_t count);
  /// Inserts a tree (id ignored); an unknown filter throws
  /// database_error(foreign_key_violation).
  stored_tag_path insert_tag_path(const stored_tag_path& p);
  /// Deletes a tree; false if there was none.
  bool remove_tag_path(std::int64_t id);

  /// A page of associations in id order.
  std::vector<proto::source_tag_filter> associations(std::int64_t start, std::int64_t count);
  /// Inserts an association (id ignored); an unknown filter throws
  /// database_error(foreign_key_violation).
  proto::source_tag_filter insert_association(const proto::source_tag_filter& a);
  /// Deletes an association; false if there was none.
  bool remove_association(std::int64_t id);
  /// Deletes the associations of a source; returns how many there were.
  std::int64_t remove_associations_of(const std::string& source_type, std::int64_t source_id);

  /// Every tree of every filter associated with a source, one row per (association, tree).
  std::vector<source_filter_tree> source_filter_trees();

 private:
  database& db_;
};

}  // namespace sbx::persistence
