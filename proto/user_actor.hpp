// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/user.hpp"

namespace sbx::proto {

/// A user name and clear-text password (HTTP basic auth, login).
struct credentials {
  std::string user;
  std::string password;
};

/// What binds a session to a client: cookie token, client IP and raw User-Agent ("" = absent).
struct client_identity {
  std::string token;
  std::string ip;
  std::string user_agent;
};

/// A user to create (`POST /api/users`).
struct new_user {
  std::string user;
  role user_role = role::user;
  std::string password;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, credentials& x) {
  return f(x.user, x.password);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_identity& x) {
  return f(x.token, x.ip, x.user_agent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_user& x) {
  return f(x.user, x.user_role, x.password);
}

/// The users service: accounts, password checks and sessions. Users it answers never carry a
/// password hash. Failures: errc::unauthorized (bad credentials or session), errc::bad_request.
using user_actor = caf::typed_actor<
    // HTTP basic authentication.
    caf::replies_to<auth_atom, credentials>::with<api_user>,
    // Session authentication; refreshes the session's sliding expiry.
    caf::replies_to<auth_atom, client_identity>::with<api_user>,
    // Creates or reuses the session of (user, ip, user agent); answers its token.
    caf::replies_to<login_atom, credentials, client_identity>::with<std::string>,
    // Removes the user's sessions for this ip and user agent.
    caf::replies_to<logout_atom, std::int64_t, client_identity>::with<bool>,
    // A page of users in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<api_user>>,
    // Adds a user; answers the user and whether it was created (false: it existed).
    caf::replies_to<add_atom, new_user>::with<api_user, bool>,
    // Deletes a user; answers whether one was deleted.
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // Removes expired sessions (sent to itself periodically).
    caf::reacts_to<purge_atom>>;

}  // namespace sbx::proto
