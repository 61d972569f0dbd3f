// SPDX-License-Identifier: Apache-2.0
#include "persistence/scp_repo.hpp"

#include <algorithm>

namespace sbx::persistence {

namespace {

constexpr const char* scp_columns = "SELECT id, name, ae_title, port, query_retrieve FROM scps ";

std::vector<proto::scp> to_scps(const result& res) {
  std::vector<proto::scp> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows)
    out.push_back({r.int64(0), r.text(1), r.text(2), r.int64(3), r.int64(4) != 0});
  return out;
}

std::optional<proto::scp> first(const result& res) {
  auto all = to_scps(res);
  if (all.empty()) return std::nullopt;
  return all.front();
}

}  // namespace

std::vector<proto::scp> scp_repo::list(std::int64_t start, std::int64_t count) {
  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  return to_scps(db_.exec(std::string(scp_columns) + "ORDER BY id LIMIT $1 OFFSET $2",
                          {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)}));
}

std::optional<proto::scp> scp_repo::by_id(std::int64_t id) {
  return first(db_.exec(std::string(scp_columns) + "WHERE id = $1", {id}));
}

std::optional<proto::scp> scp_repo::by_name(const std::string& name) {
  return first(db_.exec(std::string(scp_columns) + "WHERE name = $1", {name}));
}

std::optional<proto::scp> scp_repo::by_port(std::int64_t port) {
  return first(db_.exec(std::string(scp_columns) + "WHERE port = $1 ORDER BY id LIMIT 1", {port}));
}

proto::scp scp_repo::insert(const proto::scp& s) {
  const auto res = db_.exec(
      "INSERT INTO scps (name, ae_title, port, query_retrieve) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      {s.name, s.ae_title, s.port, std::int64_t{s.query_retrieve ? 1 : 0}});
  auto out = s;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool scp_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM scps WHERE id = $1", {id}).affected > 0;
}

}  // namespace sbx::persistence
