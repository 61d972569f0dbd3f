// SPDX-License-Identifier: Apache-2.0
#include "persistence/export_set_repo.hpp"

namespace sbx::persistence {

std::int64_t export_set_repo::insert(const std::vector<std::int64_t>& image_ids, std::int64_t now) {
  transaction tx(db_);
  const auto id = db_.exec("INSERT INTO export_sets (created) VALUES ($1) RETURNING id", {now})
                      .rows.at(0)
                      .int64(0);
  std::int64_t position = 0;
  for (auto image_id : image_ids)
    db_.exec(
        "INSERT INTO export_set_images (export_set_id, position, image_id) VALUES ($1, $2, $3)",
        {id, position++, image_id});
  tx.commit();
  return id;
}

std::optional<std::vector<std::int64_t>> export_set_repo::images_of(std::int64_t id,
                                                                    std::int64_t oldest) {
  if (db_.exec("SELECT 1 FROM export_sets WHERE id = $1 AND created > $2", {id, oldest})
          .rows.empty())
    return std::nullopt;
  return db_
      .exec("SELECT image_id FROM export_set_images WHERE export_set_id = $1 ORDER BY position",
            {id})
      .first_int64s();
}

std::int64_t export_set_repo::remove_created_before(std::int64_t oldest) {
  return db_.exec("DELETE FROM export_sets WHERE created <= $1", {oldest}).affected;
}

}  // namespace sbx::persistence
