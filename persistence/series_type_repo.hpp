// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "persistence/database.hpp"
#include "proto/series_type.hpp"

namespace sbx::persistence {

/// Series types, their rules and rule attributes, and the links of series to types
/// (docs/api.md#series-types). Input that names a missing row throws std::invalid_argument with the
/// message for the client.
class series_type_repo {
 public:
  explicit series_type_repo(database& db) : db_(db) {}

  /// A page of types in id order.
  std::vector<proto::series_type> list_types(std::int64_t start, std::int64_t count);
  std::optional<proto::series_type> type(std::int64_t id);
  /// Inserts a type (id ignored); a taken name throws invalid_argument.
  proto::series_type insert_type(const std::string& name);
  /// Renames the type `t.id`; false if there is none; a taken name throws invalid_argument.
  bool rename_type(const proto::series_type& t);
  /// Deletes a type with its rules, attributes and links; false if there was none.
  bool remove_type(std::int64_t id);

  std::vector<proto::series_type_rule> rules_of(std::int64_t type_id);
  /// Inserts a rule of an existing type (else invalid_argument).
  proto::series_type_rule insert_rule(std::int64_t type_id);
  bool remove_rule(std::int64_t id);

  std::vector<proto::series_type_rule_attribute> attributes_of(std::int64_t rule_id);
  /// Inserts an attribute of an existing rule (else invalid_argument).
  proto::series_type_rule_attribute insert_attribute(const proto::series_type_rule_attribute& a);
  bool remove_attribute(std::int64_t id);

  /// Every type with its rules and their attributes.
  proto::series_type_rules all_rules();

  /// The types linked to a series, in type id order.
  std::vector<proto::series_type> types_of_series(std::int64_t series_id);
  /// The links among these series.
  std::vector<proto::series_id_series_type> links_of(const std::vector<std::int64_t>& series_ids);
  /// Links a series to a type (idempotent); false if the series or the type does not exist.
  bool link(std::int64_t series_id, std::int64_t type_id);
  void unlink(std::int64_t series_id, std::int64_t type_id);
  void unlink_all(std::int64_t series_id);
  /// Replaces the links of these series by `links` (series id, type id) of existing series,
  /// and removes the rows `pending_done` of the labeller's queue, in one transaction.
  void replace_links(const std::vector<std::int64_t>& series_ids,
                     const std::vector<std::pair<std::int64_t, std::int64_t>>& links,
                     const std::vector<std::int64_t>& pending_done = {});

  /// Queues the series of these images for the labeller, except those queued already; none
  /// while there are no series types (no series can then have a link to replace). One statement.
  void queue_series_of(const std::vector<std::int64_t>& image_ids);
  /// Queues every series for the labeller, also those queued already (the rules changed).
  void queue_all_series();
  /// The oldest rows of the labeller's queue, at most `limit`: (row id, series id).
  std::vector<std::pair<std::int64_t, std::int64_t>> pending(std::int64_t limit);
  /// Whether the labeller's queue holds anything.
  bool any_pending();
  /// How many series the labeller's queue holds (GET /metrics).
  std::int64_t pending_series();
  /// The storage key of the first image (lowest id) of each of these series that has one.
  std::vector<std::pair<std::int64_t, std::string>> first_images(
      const std::vector<std::int64_t>& series_ids);

 private:
  database& db_;
};

}  // namespace sbx::persistence
