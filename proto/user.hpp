// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbx::proto {

/// A user's role; SUPERUSER satisfies every check, ADMINISTRATOR satisfies ADMINISTRATOR and USER.
enum class role : std::uint8_t { superuser, administrator, user };

/// The wire name of a role ("SUPERUSER", ...).
std::string_view to_string(role r);
/// Parses a wire role name (exact match).
std::optional<role> parse_role(std::string_view s);
/// True if a user with role `have` may use a route that requires `need`.
bool satisfies(role have, role need);

/// A stored user. `password_hash` never leaves the node.
struct api_user {
  std::int64_t id = -1;
  std::string user;
  role user_role = role::user;
  std::string password_hash;
};

/// A login session, bound to the client IP and the MD5 hex of its User-Agent.
struct api_session {
  std::int64_t id = -1;
  std::int64_t user_id = -1;
  std::string token;
  std::string ip;
  std::string user_agent;    ///< MD5 hex of the User-Agent header
  std::int64_t updated = 0;  ///< epoch milliseconds of last use
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_user& x) {
  return f(x.id, x.user, x.user_role, x.password_hash);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_session& x) {
  return f(x.id, x.user_id, x.token, x.ip, x.user_agent, x.updated);
}

}  // namespace sbx::proto
