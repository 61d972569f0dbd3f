// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "persistence/database.hpp"

namespace sbx::persistence {

/// Export sets (POST /api/images/export, GET /api/images/export?id=; tables export_sets,
/// export_set_images): kept in the database, so that any node of a cluster serves a set another
/// created.
class export_set_repo {
 public:
  explicit export_set_repo(database& db) : db_(db) {}

  /// Stores a set of image ids (in their order) created at `now` (epoch ms); its id.
  std::int64_t insert(const std::vector<std::int64_t>& image_ids, std::int64_t now);
  /// The image ids of a set, in order, if it exists and was created after `oldest` (epoch ms).
  std::optional<std::vector<std::int64_t>> images_of(std::int64_t id, std::int64_t oldest);
  /// Deletes the sets created at or before `oldest`; how many.
  std::int64_t remove_created_before(std::int64_t oldest);

 private:
  database& db_;
};

}  // namespace sbx::persistence
