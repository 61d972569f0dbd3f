// SPDX-License-Identifier: Apache-2.0
#include "persistence/import_session_repo.hpp"

#include <algorithm>

namespace sbx::persistence {

namespace {

constexpr const char* session_columns =
    "SELECT id, name, user_id, user_name, files_imported, files_added, files_rejected, created, "
    "last_updated FROM import_sessions ";

proto::import_session to_session(const row& r) {
  return {r.int64(0), r.text(1),  r.int64(2), r.text(3), r.int64(4),
          r.int64(5), r.int64(6), r.int64(7), r.int64(8)};
}

std::optional<proto::import_session> first(const result& res) {
  if (res.rows.empty()) return std::nullopt;
  return to_session(res.rows.front());
}

}  // namespace

std::vector<proto::import_session> import_session_repo::list(std::int64_t start,
                                                             std::int64_t count) {
  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  const auto res = db_.exec(std::string(session_columns) + "ORDER BY id LIMIT $1 OFFSET $2",
                            {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)});
  std::vector<proto::import_session> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_session(r));
  return out;
}

std::optional<proto::import_session> import_session_repo::by_id(std::int64_t id) {
  return first(db_.exec(std::string(session_columns) + "WHERE id = $1", {id}));
}

std::optional<proto::import_session> import_session_repo::by_name(const std::string& name) {
  return first(db_.exec(std::string(session_columns) + "WHERE name = $1", {name}));
}

proto::import_session import_session_repo::insert(const proto::import_session& s) {
  const auto res = db_.exec(
      "INSERT INTO import_sessions (name, user_id, user_name, files_imported, files_added, "
      "files_rejected, created, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "RETURNING id",
      {s.name, s.user_id, s.user, s.files_imported, s.files_added, s.files_rejected, s.created,
       s.last_updated});
  auto out = s;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool import_session_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM import_sessions WHERE id = $1", {id}).affected > 0;
}

bool import_session_repo::record_added(std::int64_t session_id, std::int64_t image_id,
                                       bool new_image, std::int64_t now) {
  transaction tx(db_);
  const auto updated = db_.exec(
      "UPDATE import_sessions SET files_imported = files_imported + 1, "
      "files_added = files_added + $2, last_updated = $3 WHERE id = $1",
      {session_id, std::int64_t{new_image ? 1 : 0}, now});
  if (updated.affected == 0) return false;  // the destructor rolls back the empty transaction
  db_.exec(
      "INSERT INTO import_session_images (import_session_id, image_id) VALUES ($1, $2) "
      "ON CONFLICT (import_session_id, image_id) DO NOTHING",
      {session_id, image_id});
  tx.commit();
  return true;
}

bool import_session_repo::record_rejected(std::int64_t session_id, std::int64_t now) {
  return db_.exec(
                "UPDATE import_sessions SET files_rejected = files_rejected + 1, "
                "last_updated = $2 WHERE id = $1",
                {session_id, now})
             .affected > 0;
}

std::vector<std::int64_t> import_session_repo::image_ids(std::int64_t session_id) {
  return db_
      .exec("SELECT image_id FROM import_session_images WHERE import_session_id = $1 ORDER BY id",
            {session_id})
      .first_int64s();
}

}  // namespace sbx::persistence
