// SPDX-License-Identifier: Apache-2.0
#include "actors/storage_actor.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <map>
#include <unordered_set>

#include "actors/clock.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct export_set {
  std::vector<std::int64_t> image_ids;
  std::int64_t created_ms = 0;
};

struct storage_state {
  std::map<std::int64_t, export_set> exports;
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

storage_actor::behavior_type storage_behavior(storage_actor::stateful_pointer<storage_state> self,
                                              std::shared_ptr<const persistence::file_store> store,
                                              metadata_actor metadata,
                                              std::chrono::milliseconds export_lifetime) {
  auto expire = [self, export_lifetime] {
    auto oldest = now_ms() - export_lifetime.count();
    std::erase_if(self->state.exports,
                  [&](const auto& e) { return e.second.created_ms <= oldest; });
  };
  return {
      [=](get_atom, all_atom) -> caf::result<std::int64_t, std::int64_t> {
        auto [files, bytes] = store->usage();
        return {files, bytes};
      },
      [=](file_atom, std::int64_t image_id) -> caf::result<std::string> {
        auto promise = self->make_response_promise<std::string>();
        self->request(metadata, caf::infinite, get_atom::value, file_atom::value, image_id)
            .then(
                [=](const std::string& key) mutable {
                  try {
                    if (store->exists(key))
                      promise.deliver(store->path_of(key).string());
                    else
                      promise.deliver(make_error(errc::not_found, "File not found: " + key));
                  } catch (const persistence::store_unavailable&) {
                    promise.deliver(store_unavailable_error());
                  }
                },
                [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
      [=](add_atom, export_atom, std::vector<std::int64_t>& ids) -> std::int64_t {
        expire();
        auto& sets = self->state.exports;
        auto id = sets.empty() ? 1 : sets.rbegin()->first + 1;
        sets[id] = {std::move(ids), now_ms()};
        return id;
      },
      [=](get_atom, export_atom, std::int64_t id) -> caf::result<export_plan> {
        expire();
        auto set = self->state.exports.find(id);
        if (set == self->state.exports.end()) return bare_not_found();
        auto promise = self->make_response_promise<export_plan>();
        auto ids = set->second.image_ids;
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
                  export_plan plan;
                  try {
                    for (const auto& l : found)
                      plan.entries.push_back(
                          {entry_name(l), store->path_of(l.storage_key).string()});
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
                                         std::chrono::milliseconds export_lifetime) {
  return sys.spawn<caf::detached>(storage_behavior, std::move(store), std::move(metadata),
                                  export_lifetime);
}

std::size_t sweep_orphans(const persistence::file_store& store,
                          const std::vector<std::string>& referenced) {
  return store.sweep(std::unordered_set<std::string>(referenced.begin(), referenced.end()));
}

}  // namespace sbx::actors
