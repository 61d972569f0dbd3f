// SPDX-License-Identifier: Apache-2.0
#include "actors/storage_actor.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <optional>
#include <type_traits>
#include <unordered_set>

#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "persistence/export_set_repo.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct storage_state {
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::export_set_repo> exports;
};

/// A folder name of an export entry: `/` and `\` would make more levels, so they become `-`.
std::string folder(std::string name) {
  std::replace(name.begin(), name.end(), '/', '-');
  std::replace(name.begin(), name.end(), '\\', '-');
  return name;
}

/// `<patient>_<name>-<id>/<study>_<date>/<series>_<date>_<modality>/<image>.dcm`, as
/// GET /api/images/export names the entries of the ZIP.
std::string entry_name(const image_location& l) {
  return folder(std::to_string(l.patient_row) + "_" + l.patient_name + "-" + l.patient_id) + "/" +
         folder(std::to_string(l.study_row) + "_" + l.study_date) + "/" +
         folder(std::to_string(l.series_row) + "_" + l.series_date + "_" + l.modality) + "/" +
         std::to_string(l.image_id) + ".dcm";
}

/// Looks up an image's storage key and answers what `from_file` makes of it once the file is
/// known to exist, or first what `first` makes of it, if anything (not_found for a missing file,
/// unavailable when the store cannot be reached).
template <class T, class FromFile, class First = std::nullptr_t>
caf::result<T> read_image(storage_actor::stateful_pointer<storage_state> self,
                          const metadata_actor& metadata,
                          std::shared_ptr<const persistence::file_store> store,
                          std::int64_t image_id, FromFile from_file, First first = nullptr) {
  auto promise = self->make_response_promise<T>();
  self->request(metadata, caf::infinite, get_atom::value, file_atom::value, image_id)
      .then(
          [=](const std::string& key) mutable {
            try {
              if constexpr (!std::is_same_v<First, std::nullptr_t>) {
                if (auto value = first(key)) return (void)promise.deliver(std::move(*value));
              }
              if (store->exists(key))
                promise.deliver(from_file(key));
              else
                promise.deliver(make_error(errc::not_found, "File not found: " + key));
            } catch (const persistence::store_unavailable&) {
              promise.deliver(store_unavailable_error());
            }
          },
          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
  return promise;
}

storage_actor::behavior_type storage_behavior(storage_actor::stateful_pointer<storage_state> self,
                                              std::shared_ptr<const persistence::file_store> store,
                                              metadata_actor metadata,
                                              persistence::database_config database,
                                              std::chrono::milliseconds export_lifetime) {
  self->state.db = persistence::open_database(database);
  self->state.exports = std::make_unique<persistence::export_set_repo>(*self->state.db);
  auto oldest = [export_lifetime] { return now_ms() - export_lifetime.count(); };
  return {
      [=](get_atom, all_atom) -> caf::result<std::int64_t, std::int64_t> {
        auto [files, bytes] = store->usage();
        return {files, bytes};
      },
      [=](file_atom, std::int64_t image_id) -> caf::result<std::string> {
        return read_image<std::string>(
            self, metadata, store, image_id,
            [store](const std::string& key) { return store->path_of(key).string(); });
      },
      [=](get_atom, file_atom, std::int64_t image_id) -> caf::result<image_bytes> {
        return read_image<image_bytes>(
            self, metadata, store, image_id,
            [store](const std::string& key) {
              return image_bytes{store->path_of(key).string(), nullptr};
            },
            [store](const std::string& key) {
              auto stream = store->open_stream(key);
              return stream ? std::optional<image_bytes>(image_bytes{{}, std::move(stream)})
                            : std::nullopt;
            });
      },
      [=](add_atom, export_atom, std::vector<std::int64_t>& ids) {
        return database_call<std::int64_t>("storage", [&]() -> caf::result<std::int64_t> {
          self->state.exports->remove_created_before(oldest());
          return self->state.exports->insert(ids, now_ms());
        });
      },
      [=](get_atom, export_atom, std::int64_t id) -> caf::result<export_plan> {
        std::optional<std::vector<std::int64_t>> set;
        auto read = database_call<bool>("storage", [&]() -> caf::result<bool> {
          set = self->state.exports->images_of(id, oldest());
          return true;
        });
        if (!set) return read.err ? caf::result<export_plan>(read.err) : bare_not_found();
        auto promise = self->make_response_promise<export_plan>();
        auto ids = std::move(*set);
        self->request(metadata, caf::infinite, get_atom::value, location_atom::value, ids)
            .then(
                [=](const std::vector<image_location>& found) mutable {
                  if (found.size() < ids.size()) {
                    promise.deliver(
                        make_error(errc::not_found, "Image " + std::to_string(ids[found.size()]) +
                                                        " of export set " + std::to_string(id) +
                                                        " no longer exists"));
                    return;
                  }
                  // Every file is checked to exist before the archive starts (a HEAD per object
                  // not cached, for S3); the bytes are read while it is sent.
                  export_plan plan;
                  plan.store = store;
                  try {
                    for (const auto& l : found) {
                      if (!store->exists(l.storage_key))
                        return (void)promise.deliver(
                            make_error(errc::not_found, "File not found: " + l.storage_key));
                      plan.entries.push_back({entry_name(l), l.storage_key});
                    }
                  } catch (const persistence::store_unavailable&) {
                    return (void)promise.deliver(store_unavailable_error());
                  }
                  promise.deliver(std::move(plan));
                },
                [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
  };
}

}  // namespace

proto::storage_actor spawn_storage_actor(caf::actor_system& sys,
                                         std::shared_ptr<const persistence::file_store> store,
                                         proto::metadata_actor metadata,
                                         persistence::database_config database,
                                         std::chrono::milliseconds export_lifetime) {
  return sys.spawn<caf::detached>(storage_behavior, std::move(store), std::move(metadata),
                                  std::move(database), export_lifetime);
}

std::size_t sweep_orphans(const persistence::file_store& store,
                          const std::vector<std::string>& referenced) {
  return store.sweep(std::unordered_set<std::string>(referenced.begin(), referenced.end()));
}

}  // namespace sbx::actors
