// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "persistence/metadata_repo.hpp"  // invalid_property
#include "proto/anonymization_key.hpp"
#include "proto/metadata.hpp"  // order_by, query_property

namespace sbx::persistence {

/// How closely a key matched (docs/api.md#anonymization-keys, docs/api.md#reverse-anonymization);
/// ordered PATIENT < STUDY < SERIES < IMAGE.
enum class key_level : int { patient = 0, study = 1, series = 2, image = 3 };

/// A key found by best_match_by_real / best_match_by_anon and the level it matched at.
struct key_match {
  proto::anonymization_key key;
  key_level level = key_level::patient;
};

/// The five identifying values used to look keys up (real or anonymous, per call).
struct key_lookup {
  std::string patient_name;
  std::string patient_id;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string sop_instance_uid;
};

/// One row of the CSV export (docs/api.md#key-csv): a key and one of its values, or no value for a
/// key without stored values (left join).
struct key_export_row {
  proto::anonymization_key key;
  std::optional<proto::anonymization_key_value> value;
};

/// Anonymization keys and their values (tables anonymization_keys, anonymization_key_values).
/// API property names are mapped through a whitelist; values are always bound.
class anonymization_repo {
 public:
  explicit anonymization_repo(database& db) : db_(db) {}

  /// Inserts a key (id ignored) and its values (ids and key ids ignored) inside the caller's
  /// transaction; returns the key with its new id.
  proto::anonymization_key insert(const proto::anonymization_key& key,
                                  const std::vector<proto::anonymization_key_value>& values);

  /// The key with this id, if any.
  std::optional<proto::anonymization_key> by_id(std::int64_t id);

  /// `GET /api/anonymization/keys`: any int64 paging (a negative start reads as 0, a negative count
  /// as 0 rows: docs/api.md#quirks-kept), order by a JSON field name of AnonymizationKey (unknown
  /// name throws invalid_property; id is the tie-breaker; no order = id order), `filter` =
  /// case-insensitive prefix of any of the ten value columns (empty = none).
  std::vector<proto::anonymization_key> list(std::int64_t start, std::int64_t count,
                                             const std::optional<proto::order_by>& order,
                                             const std::string& filter);

  /// `POST /api/anonymization/keys/query`: AND of properties on key columns (`=` exact, `like`
  /// case-sensitive substring as in docs/api.md#query-bodies); unknown property throws
  /// invalid_property, an operator other than `=`/`like` throws std::invalid_argument. Paging as in
  /// list().
  std::vector<proto::anonymization_key> query(std::int64_t start, std::int64_t count,
                                              const std::optional<proto::order_by>& order,
                                              const std::vector<proto::query_property>& properties);

  /// Deletes a key and (cascade) its values; false if there was none.
  bool remove(std::int64_t id);

  /// Deletes every key whose image_id is among `image_ids` (docs/api.md#anonymization-keys);
  /// returns how many.
  std::int64_t remove_for_images(const std::vector<std::int64_t>& image_ids);

  /// The stored values of a key in id order (empty for an unknown key).
  std::vector<proto::anonymization_key_value> values_of(std::int64_t key_id);

  /// The best key whose real values match (docs/api.md#anonymization-keys): image level (all five
  /// equal), else series (first four), else study (first three), else patient (name and ID); the
  /// most recently created key (then highest id) within a level. nullopt if none matches.
  std::optional<key_match> best_match_by_real(const key_lookup& real);

  /// As best_match_by_real but on the anonymous values (docs/api.md#reverse-anonymization).
  std::optional<key_match> best_match_by_anon(const key_lookup& anon);

  /// Every key with each of its values (key id order, then value id order); a key without
  /// values yields one row with no value.
  std::vector<key_export_row> export_rows();

 private:
  std::optional<key_match> best_match(const key_lookup& l, bool anonymous);

  database& db_;
};

}  // namespace sbx::persistence
