// SPDX-License-Identifier: Apache-2.0
#include "actors/import_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "persistence/import_session_repo.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct import_state {
  static inline const char* name = "import";
  import_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::import_session_repo> repo;
};

using import_pointer = import_actor::stateful_pointer<import_state>;

caf::error no_session() { return bare_not_found(); }

/// Records a rejected upload: counter, log entry, and the error the client gets.
caf::error rejected(import_pointer self, std::int64_t session_id, const std::string& filename,
                    const caf::error& e) {
  std::string reason;
  if (e.context().match_elements<std::string>()) reason = e.context().get_as<std::string>(0);
  try {
    self->state.repo->record_rejected(session_id, now_ms());
  } catch (const persistence::database_error& db) {
    spdlog::error("import: could not count a rejection: {}", db.what());
  }
  auto internal = e.category() == error_category && static_cast<errc>(e.code()) == errc::internal;
  auto kind = internal ? std::string("Internal error") : std::string("Invalid DICOM data");
  self->send(self->state.config.log, log_atom::value, log_type::error, std::string("Import"),
             kind + " during import" + (filename.empty() ? "" : " of " + filename) + ": " + reason);
  if (internal) return e;
  return make_error(errc::bad_request, filename.empty() ? reason : filename + ": " + reason);
}

import_actor::behavior_type import_behavior(import_pointer self, import_service_config config) {
  self->state.config = std::move(config);
  self->state.db = persistence::open_database(self->state.config.database);
  self->state.repo = std::make_unique<persistence::import_session_repo>(*self->state.db);
  auto repo = [self]() -> persistence::import_session_repo& { return *self->state.repo; };
  return {
      [=](list_atom, std::int64_t start, std::int64_t count) {
        return database_call<std::vector<import_session>>(
            "import", [&]() -> caf::result<std::vector<import_session>> {
              return repo().list(start, count);
            });
      },
      [=](get_atom, std::int64_t id) {
        return database_call<import_session>("import", [&]() -> caf::result<import_session> {
          if (auto s = repo().by_id(id)) return *s;
          return make_error(errc::not_found, "The requested resource could not be found.");
        });
      },
      [=](add_atom, const std::string& name, const api_user& user) {
        return database_call<import_session>("import", [&]() -> caf::result<import_session> {
          if (name.empty()) return make_error(errc::bad_request, "An import session needs a name");
          for (int attempt = 0; attempt < 2; ++attempt) {
            if (auto existing = repo().by_name(name)) {
              if (existing->user_id == user.id) return *existing;
              return make_error(errc::bad_request, "An import session with name " + name +
                                                       " and user " + existing->user +
                                                       " already exists");
            }
            try {
              auto now = now_ms();
              import_session s{-1, name, user.id, user.user, 0, 0, 0, now, now};
              return repo().insert(s);
            } catch (const persistence::database_error& e) {
              // Created by someone else in between: look again.
              if (e.kind() != persistence::db_failure::unique_violation) throw;
            }
          }
          return make_error(errc::internal, "There was an internal server error.");
        });
      },
      [=](delete_atom, std::int64_t id) {
        return database_call<bool>("import", [&]() -> caf::result<bool> {
          auto s = repo().by_id(id);
          if (!s || !repo().remove(id)) return false;
          caf::anon_send(self->state.config.events, source_deleted{{"import", s->name, s->id}});
          return true;
        });
      },
      [=](upload_atom, std::int64_t id, std::string& file,
          std::string& filename) -> caf::result<ingest_result> {
        std::optional<import_session> session;
        try {
          session = repo().by_id(id);
        } catch (const persistence::database_error& e) {
          spdlog::error("import: {}", e.what());
          return make_error(errc::internal, "There was an internal server error.");
        }
        if (!session) return no_session();
        auto promise = self->make_response_promise<ingest_result>();
        ingest_request request{std::move(file), source{"import", session->name, session->id},
                               context_set::image_data};
        self->request(self->state.config.ingest, caf::infinite, ingest_atom::value,
                      std::move(request))
            .then(
                [=](ingest_result& r) mutable {
                  try {
                    self->state.repo->record_added(id, r.img.id, r.added, now_ms());
                  } catch (const persistence::database_error& e) {
                    spdlog::error("import: could not count an upload: {}", e.what());
                  }
                  promise.deliver(std::move(r));
                },
                [=](caf::error& e) mutable { promise.deliver(rejected(self, id, filename, e)); });
        return promise;
      },
      [=](images_atom, std::int64_t id) -> caf::result<std::vector<image>> {
        std::vector<std::int64_t> ids;
        try {
          ids = repo().image_ids(id);
        } catch (const persistence::database_error& e) {
          spdlog::error("import: {}", e.what());
          return make_error(errc::internal, "There was an internal server error.");
        }
        return self->delegate(self->state.config.metadata, get_atom::value, images_atom::value,
                              std::move(ids));
      },
  };
}

}  // namespace

proto::import_actor spawn_import_actor(caf::actor_system& sys, import_service_config config) {
  return sys.spawn<caf::detached>(import_behavior, std::move(config));
}

}  // namespace sbx::actors
