// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/user.hpp"

namespace sbx::persistence {

/// Users and their login sessions (tables users, api_sessions).
class user_repo {
 public:
  explicit user_repo(database& db) : db_(db) {}

  /// Inserts a user (id ignored) and returns it with its new id; a taken name throws
  /// database_error(unique_violation).
  proto::api_user insert(const proto::api_user& u);
  /// The user with this name, if any.
  std::optional<proto::api_user> by_name(const std::string& name);
  /// The user with this id, if any.
  std::optional<proto::api_user> by_id(std::int64_t id);
  /// A page of users in id order.
  std::vector<proto::api_user> list(std::int64_t start, std::int64_t count);
  /// Every user with this role, in id order.
  std::vector<proto::api_user> by_role(proto::role r);
  /// Deletes a user (its sessions cascade); false if there was none.
  bool remove(std::int64_t id);
  /// Deletes every user with this role (and their sessions).
  void remove_by_role(proto::role r);

  /// Inserts a session (id ignored) and returns it with its new id.
  proto::api_session insert_session(const proto::api_session& s);
  /// The session with this token, ip and user-agent hash, if any (expiry is the caller's).
  std::optional<proto::api_session> session(const std::string& token, const std::string& ip,
                                            const std::string& user_agent);
  /// The session of this user for this ip and user-agent hash, if any.
  std::optional<proto::api_session> session_of(std::int64_t user_id, const std::string& ip,
                                               const std::string& user_agent);
  /// Sets a session's last-use time.
  void touch_session(std::int64_t id, std::int64_t updated);
  /// Deletes every session of the user for this ip and user-agent hash.
  void remove_sessions(std::int64_t user_id, const std::string& ip, const std::string& user_agent);
  /// Deletes sessions last used before `cutoff` (epoch ms); returns how many.
  std::int64_t remove_sessions_before(std::int64_t cutoff);

 private:
  database& db_;
};

}  // namespace sbx::persistence
