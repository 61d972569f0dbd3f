// SPDX-License-Identifier: Apache-2.0
#include "persistence/scu_repo.hpp"

#include <algorithm>

namespace sbx::persistence {

namespace {

constexpr const char* scu_columns = "SELECT id, name, ae_title, host, port FROM scus ";

proto::scu to_scu(const row& r) {
  return {r.int64(0), r.text(1), r.text(2), r.text(3), r.int64(4)};
}

std::optional<proto::scu> first(const result& res) {
  if (res.rows.empty()) return std::nullopt;
  return to_scu(res.rows.front());
}

}  // namespace

std::vector<proto::scu> scu_repo::list(std::int64_t start, std::int64_t count) {
  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  const auto res = db_.exec(std::string(scu_columns) + "ORDER BY id LIMIT $1 OFFSET $2",
                            {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)});
  std::vector<proto::scu> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_scu(r));
  return out;
}

std::optional<proto::scu> scu_repo::by_id(std::int64_t id) {
  return first(db_.exec(std::string(scu_columns) + "WHERE id = $1", {id}));
}

std::optional<proto::scu> scu_repo::by_name(const std::string& name) {
  return first(db_.exec(std::string(scu_columns) + "WHERE name = $1", {name}));
}

std::optional<proto::scu> scu_repo::by_host_port(const std::string& host, std::int64_t port) {
  return first(db_.exec(std::string(scu_columns) + "WHERE host = $1 AND port = $2", {host, port}));
}

proto::scu scu_repo::insert(const proto::scu& s) {
  const auto res =
      db_.exec("INSERT INTO scus (name, ae_title, host, port) VALUES ($1, $2, $3, $4) RETURNING id",
               {s.name, s.ae_title, s.host, s.port});
  auto out = s;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool scu_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM scus WHERE id = $1", {id}).affected > 0;
}

}  // namespace sbx::persistence
