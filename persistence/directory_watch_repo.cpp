// SPDX-License-Identifier: Apache-2.0
#include "persistence/directory_watch_repo.hpp"

#include <algorithm>

namespace sbx::persistence {
namespace {

std::vector<proto::watched_directory> to_watches(const result& res) {
  std::vector<proto::watched_directory> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back({r.int64(0), r.text(1), r.text(2)});
  return out;
}

}  // namespace

std::vector<proto::watched_directory> directory_watch_repo::list(std::int64_t start,
                                                                 std::int64_t count) {
  return to_watches(
      db_.exec("SELECT id, name, path FROM directory_watches ORDER BY id LIMIT $1 OFFSET $2",
               {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)}));
}

std::vector<proto::watched_directory> directory_watch_repo::all() {
  return to_watches(db_.exec("SELECT id, name, path FROM directory_watches ORDER BY id"));
}

proto::watched_directory directory_watch_repo::insert(const proto::watched_directory& w) {
  auto res = db_.exec("INSERT INTO directory_watches (name, path) VALUES ($1, $2) RETURNING id",
                      {w.name, w.path});
  return {res.rows.at(0).int64(0), w.name, w.path};
}

std::optional<proto::watched_directory> directory_watch_repo::remove(std::int64_t id) {
  auto gone = to_watches(
      db_.exec("DELETE FROM directory_watches WHERE id = $1 RETURNING id, name, path", {id}));
  if (gone.empty()) return std::nullopt;
  return gone.front();
}

}  // namespace sbx::persistence
