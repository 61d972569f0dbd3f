// SPDX-License-Identifier: Apache-2.0
#include "persistence/log_repo.hpp"

#include <algorithm>

namespace sbx::persistence {

proto::log_entry log_repo::insert(const proto::log_entry& e) {
  auto res = db_.exec(
      "INSERT INTO log_entries (created, type, subject, message) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      {e.created, std::string(proto::to_string(e.type)), e.subject, e.message});
  proto::log_entry out = e;
  out.id = res.rows.at(0).int64(0);
  return out;
}

std::vector<proto::log_entry> log_repo::list(std::int64_t start, std::int64_t count,
                                             const std::optional<std::string>& subject,
                                             std::optional<proto::log_type> type) {
  // One fixed statement for every filter combination: an absent filter is a NULL parameter.
  // The CASTs give PostgreSQL a type for a parameter that is only ever NULL-tested.
  static constexpr const char* sql =
      "SELECT id, created, type, subject, message FROM log_entries "
      "WHERE (CAST($1 AS TEXT) IS NULL OR subject = CAST($1 AS TEXT)) "
      "AND (CAST($2 AS TEXT) IS NULL OR type = CAST($2 AS TEXT)) "
      "ORDER BY created DESC, id DESC LIMIT $3 OFFSET $4";
  value subject_param = subject ? value(*subject) : value();
  value type_param = type ? value(std::string(proto::to_string(*type))) : value();
  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  auto res = db_.exec(sql, {subject_param, type_param, std::max<std::int64_t>(count, 0),
                            std::max<std::int64_t>(start, 0)});

  std::vector<proto::log_entry> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) {
    auto t = proto::parse_log_type(r.text(2));
    if (!t) throw database_error(db_failure::other, "unknown type in log_entries: " + r.text(2));
    out.push_back({r.int64(0), r.int64(1), *t, r.text(3), r.text(4)});
  }
  return out;
}

void log_repo::remove_all() { db_.exec("DELETE FROM log_entries"); }

bool log_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM log_entries WHERE id = $1", {id}).affected > 0;
}

}  // namespace sbx::persistence
