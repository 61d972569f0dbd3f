// SPDX-License-Identifier: Apache-2.0
#include "persistence/user_repo.hpp"

#include <algorithm>

namespace sbx::persistence {

namespace {

constexpr const char* user_columns = "SELECT id, name, role, password_hash FROM users ";
constexpr const char* session_columns =
    "SELECT id, user_id, token, ip, user_agent, updated FROM api_sessions ";

proto::api_user to_user(const row& r) {
  auto role = proto::parse_role(r.text(2));
  if (!role) throw database_error(db_failure::other, "unknown role in users: " + r.text(2));
  return {r.int64(0), r.text(1), *role, r.text(3)};
}

proto::api_session to_session(const row& r) {
  return {r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4), r.int64(5)};
}

std::vector<proto::api_user> to_users(const result& res) {
  std::vector<proto::api_user> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_user(r));
  return out;
}

std::string role_name(proto::role r) { return std::string(proto::to_string(r)); }

}  // namespace

proto::api_user user_repo::insert(const proto::api_user& u) {
  auto res =
      db_.exec("INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3) RETURNING id",
               {u.user, role_name(u.user_role), u.password_hash});
  proto::api_user out = u;
  out.id = res.rows.at(0).int64(0);
  return out;
}

std::optional<proto::api_user> user_repo::by_name(const std::string& name) {
  auto res = db_.exec(std::string(user_columns) + "WHERE name = $1", {name});
  if (res.rows.empty()) return std::nullopt;
  return to_user(res.rows.front());
}

std::optional<proto::api_user> user_repo::by_id(std::int64_t id) {
  auto res = db_.exec(std::string(user_columns) + "WHERE id = $1", {id});
  if (res.rows.empty()) return std::nullopt;
  return to_user(res.rows.front());
}

std::vector<proto::api_user> user_repo::list(std::int64_t start, std::int64_t count) {
  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  return to_users(db_.exec(std::string(user_columns) + "ORDER BY id LIMIT $1 OFFSET $2",
                           {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)}));
}

std::vector<proto::api_user> user_repo::by_role(proto::role r) {
  return to_users(
      db_.exec(std::string(user_columns) + "WHERE role = $1 ORDER BY id", {role_name(r)}));
}

bool user_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM users WHERE id = $1", {id}).affected > 0;
}

void user_repo::remove_by_role(proto::role r) {
  db_.exec("DELETE FROM users WHERE role = $1", {role_name(r)});
}

proto::api_session user_repo::insert_session(const proto::api_session& s) {
  auto res = db_.exec(
      "INSERT INTO api_sessions (user_id, token, ip, user_agent, updated) "
      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
      {s.user_id, s.token, s.ip, s.user_agent, s.updated});
  proto::api_session out = s;
  out.id = res.rows.at(0).int64(0);
  return out;
}

std::optional<proto::api_session> user_repo::session(const std::string& token,
                                                     const std::string& ip,
                                                     const std::string& user_agent) {
  auto res =
      db_.exec(std::string(session_columns) + "WHERE token = $1 AND ip = $2 AND user_agent = $3",
               {token, ip, user_agent});
  if (res.rows.empty()) return std::nullopt;
  return to_session(res.rows.front());
}

std::optional<proto::api_session> user_repo::session_of(std::int64_t user_id, const std::string& ip,
                                                        const std::string& user_agent) {
  // Several sessions can exist for one client (e.g. concurrent logins); the freshest wins.
  auto res = db_.exec(std::string(session_columns) +
                          "WHERE user_id = $1 AND ip = $2 AND user_agent = $3 "
                          "ORDER BY updated DESC, id DESC LIMIT 1",
                      {user_id, ip, user_agent});
  if (res.rows.empty()) return std::nullopt;
  return to_session(res.rows.front());
}

void user_repo::touch_session(std::int64_t id, std::int64_t updated) {
  db_.exec("UPDATE api_sessions SET updated = $2 WHERE id = $1", {id, updated});
}

void user_repo::remove_sessions(std::int64_t user_id, const std::string& ip,
                                const std::string& user_agent) {
  db_.exec("DELETE FROM api_sessions WHERE user_id = $1 AND ip = $2 AND user_agent = $3",
           {user_id, ip, user_agent});
}

std::int64_t user_repo::remove_sessions_before(std::int64_t cutoff) {
  return db_.exec("DELETE FROM api_sessions WHERE updated < $1", {cutoff}).affected;
}

}  // namespace sbx::persistence
