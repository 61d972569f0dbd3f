// SPDX-License-Identifier: Apache-2.0
#include "actors/log_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "persistence/log_repo.hpp"

namespace sbx::actors {
namespace {

using proto::log_entry;
using proto::log_type;

struct log_state {
  static inline const char* name = "log";
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::log_repo> repo;
};

spdlog::level::level_enum level_of(log_type t) {
  switch (t) {
    case log_type::default_level:
      return spdlog::level::debug;
    case log_type::info:
      return spdlog::level::info;
    case log_type::warn:
      return spdlog::level::warn;
    case log_type::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

proto::log_actor::behavior_type log_behavior(proto::log_actor::stateful_pointer<log_state> self,
                                             persistence::database_config database) {
  self->state.db = persistence::open_database(database);
  self->state.repo = std::make_unique<persistence::log_repo>(*self->state.db);
  return {
      [=](proto::log_atom, log_type type, std::string& subject, std::string& message) {
        spdlog::log(level_of(type), "[{}] {}", subject, message);
        try {
          self->state.repo->insert({-1, now_ms(), type, std::move(subject), std::move(message)});
        } catch (const persistence::database_error& e) {
          spdlog::error("log: could not store an entry: {}", e.what());
        }
      },
      [=](proto::list_atom, const proto::log_query& q) -> caf::result<std::vector<log_entry>> {
        return database_call<std::vector<log_entry>>(
            "log", [&]() -> caf::result<std::vector<log_entry>> {
              std::optional<std::string> subject;
              if (q.by_subject) subject = q.subject;
              std::optional<log_type> type;
              if (q.by_type) type = q.type;
              return self->state.repo->list(q.start, q.count, subject, type);
            });
      },
      [=](proto::delete_atom) -> caf::result<bool> {
        return database_call<bool>("log", [&]() -> caf::result<bool> {
          self->state.repo->remove_all();
          return true;
        });
      },
      [=](proto::delete_atom, std::int64_t id) -> caf::result<bool> {
        return database_call<bool>(
            "log", [&]() -> caf::result<bool> { return self->state.repo->remove(id); });
      },
  };
}

}  // namespace

proto::log_actor spawn_log_actor(caf::actor_system& sys, persistence::database_config database) {
  return sys.spawn<caf::detached>(log_behavior, std::move(database));
}

}  // namespace sbx::actors
