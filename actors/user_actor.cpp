// SPDX-License-Identifier: Apache-2.0
#include "actors/user_actor.hpp"

#include <sodium.h>

#include <array>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <limits>
#include <optional>
#include <unordered_map>

#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "actors/password.hpp"
#include "persistence/cluster.hpp"
#include "persistence/user_repo.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using proto::api_user;
using proto::errc;
using proto::make_error;

constexpr const char* invalid_credentials = "The supplied authentication is invalid";
constexpr const char* missing_credentials =
    "The resource requires authentication, which was not supplied with the request";

struct user_state {
  static inline const char* name = "users";

  user_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::user_repo> repo;

  static api_user without_hash(api_user u) {
    u.password_hash.clear();
    return u;
  }

  /// The user if name and password match; nullopt otherwise.
  std::optional<api_user> check(const proto::credentials& c) {
    if (auto u = config.verified->find(c.user, c.password)) return u;
    auto u = repo->by_name(c.user);
    if (!u || !verify_password(c.password, u->password_hash)) return std::nullopt;
    auto plain = without_hash(*u);
    config.verified->remember(plain, c.password);
    return plain;
  }

  /// The (ip, user-agent hash) pair a session is bound to, or nullopt if a part is missing.
  std::optional<std::pair<std::string, std::string>> binding(const proto::client_identity& id) {
    if (!config.bind_sessions_to_client) return std::pair<std::string, std::string>{};
    if (id.ip.empty() || id.user_agent.empty()) return std::nullopt;
    return std::pair{id.ip, md5_hex(id.user_agent)};
  }

  void ensure_superuser() {
    // Nodes sharing a database may start at once and do this together: the one whose insert
    // loses to another's looks again, and finds the superuser it wanted (docs/operations.md).
    for (int attempt = 0;; ++attempt) {
      auto supers = repo->by_role(proto::role::superuser);
      if (!supers.empty() && supers.front().user == config.superuser_name &&
          verify_password(config.superuser_password, supers.front().password_hash))
        return;
      auto hash = hash_password(config.superuser_password);  // slow: before the transaction
      try {
        persistence::transaction tx{*db};
        repo->remove_by_role(proto::role::superuser);
        if (auto clash = repo->by_name(config.superuser_name)) repo->remove(clash->id);
        repo->insert({-1, config.superuser_name, proto::role::superuser, std::move(hash)});
        persistence::notify_change(*db, persistence::topic::users);
        tx.commit();
      } catch (const persistence::database_error& e) {
        if (e.kind() != persistence::db_failure::unique_violation || attempt >= 3) throw;
        continue;
      }
      config.verified->clear();
      spdlog::info("superuser '{}' set from the configuration", config.superuser_name);
      return;
    }
  }
};

using user_pointer = proto::user_actor::stateful_pointer<user_state>;

proto::user_actor::behavior_type user_behavior(user_pointer self, user_service_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  st.db = persistence::open_database(st.config.database);
  st.repo = std::make_unique<persistence::user_repo>(*st.db);
  st.ensure_superuser();
  self->send(self, proto::purge_atom::value);
  return {
      [=](proto::auth_atom, const proto::credentials& c) -> caf::result<api_user> {
        return database_call<api_user>("users", [&]() -> caf::result<api_user> {
          if (auto u = self->state.check(c)) return *u;
          return make_error(errc::unauthorized, invalid_credentials);
        });
      },
      [=](proto::auth_atom, const proto::client_identity& id) -> caf::result<api_user> {
        return database_call<api_user>("users", [&]() -> caf::result<api_user> {
          auto& st = self->state;
          auto bound = st.binding(id);
          if (id.token.empty() || !bound)
            return make_error(errc::unauthorized, missing_credentials);
          auto s = st.repo->session(id.token, bound->first, bound->second);
          auto now = now_ms();
          auto timeout_ms = std::chrono::milliseconds(st.config.session_timeout).count();
          if (!s || now - s->updated >= timeout_ms)
            return make_error(errc::unauthorized, missing_credentials);
          auto u = st.repo->by_id(s->user_id);
          if (!u) return make_error(errc::unauthorized, missing_credentials);
          // Sliding expiry needs no more than second precision; skip writes within one second.
          if (now - s->updated > 1000) st.repo->touch_session(s->id, now);
          return user_state::without_hash(*u);
        });
      },
      [=](proto::login_atom, const proto::credentials& c,
          const proto::client_identity& id) -> caf::result<std::string> {
        return database_call<std::string>("users", [&]() -> caf::result<std::string> {
          auto& st = self->state;
          auto bound = st.binding(id);
          auto u = st.check(c);
          if (!u || !bound) return make_error(errc::unauthorized, "Invalid username or password");
          auto now = now_ms();
          if (auto s = st.repo->session_of(u->id, bound->first, bound->second)) {
            st.repo->touch_session(s->id, now);
            return s->token;
          }
          auto s =
              st.repo->insert_session({-1, u->id, random_uuid(), bound->first, bound->second, now});
          return s.token;
        });
      },
      [=](proto::logout_atom, std::int64_t user_id,
          const proto::client_identity& id) -> caf::result<bool> {
        return database_call<bool>("users", [&]() -> caf::result<bool> {
          auto bound = self->state.binding(id);
          if (bound) self->state.repo->remove_sessions(user_id, bound->first, bound->second);
          return bound.has_value();
        });
      },
      [=](proto::list_atom, std::int64_t start,
          std::int64_t count) -> caf::result<std::vector<api_user>> {
        return database_call<std::vector<api_user>>(
            "users", [&]() -> caf::result<std::vector<api_user>> {
              auto users = self->state.repo->list(start, count);
              for (auto& u : users) u.password_hash.clear();
              return users;
            });
      },
      [=](proto::add_atom, const proto::new_user& n) -> caf::result<api_user, bool> {
        return database_call<api_user, bool>("users", [&]() -> caf::result<api_user, bool> {
          auto& st = self->state;
          if (n.user_role == proto::role::superuser)
            return make_error(errc::bad_request, "Superusers may not be added");
          if (n.user.empty()) return make_error(errc::bad_request, "User name must not be empty");
          if (n.user.size() > 180)
            return make_error(errc::bad_request, "User name must be at most 180 characters");
          if (auto existing = st.repo->by_name(n.user))
            return {user_state::without_hash(*existing), false};
          try {
            auto u = st.repo->insert({-1, n.user, n.user_role, hash_password(n.password)});
            return {user_state::without_hash(u), true};
          } catch (const persistence::database_error& e) {
            // Another node added the same name in between: answer the existing user.
            if (e.kind() != persistence::db_failure::unique_violation) throw;
            auto existing = st.repo->by_name(n.user);
            if (!existing) throw;
            return {user_state::without_hash(*existing), false};
          }
        });
      },
      [=](proto::delete_atom, std::int64_t id) -> caf::result<bool> {
        return database_call<bool>("users", [&]() -> caf::result<bool> {
          auto& st = self->state;
          auto u = st.repo->by_id(id);
          if (!u) return false;
          if (u->user_role == proto::role::superuser)
            return make_error(errc::bad_request, "Superuser may not be deleted");
          st.config.verified->forget(u->user);
          if (!st.repo->remove(id)) return false;
          // Other nodes forget the password they may have verified (sessions are rows: gone).
          persistence::notify_change(*st.db, persistence::topic::users);
          caf::anon_send(st.config.events, proto::source_deleted{{"user", u->user, u->id}});
          return true;
        });
      },
      [=](proto::purge_atom) {
        try {
          auto timeout_ms = std::chrono::milliseconds(self->state.config.session_timeout).count();
          auto n = self->state.repo->remove_sessions_before(now_ms() - timeout_ms);
          if (n > 0) spdlog::debug("purged {} expired sessions", n);
        } catch (const persistence::database_error& e) {
          spdlog::error("users: purging sessions failed: {}", e.what());
        }
        self->delayed_send(self, std::chrono::hours(1), proto::purge_atom::value);
      },
  };
}

}  // namespace

proto::user_actor spawn_user_actor(caf::actor_system& sys, user_service_config config) {
  return sys.spawn<caf::detached>(user_behavior, std::move(config));
}

}  // namespace sbx::actors
