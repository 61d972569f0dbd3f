// SPDX-License-Identifier: Apache-2.0
#include "actors/storage_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <unordered_set>

#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

storage_actor::behavior_type storage_behavior(storage_actor::pointer self,
                                              std::shared_ptr<const persistence::file_store> store,
                                              metadata_actor metadata) {
  return {
      [=](file_atom, std::int64_t image_id) -> caf::result<std::string> {
        auto promise = self->make_response_promise<std::string>();
        self->request(metadata, caf::infinite, get_atom::value, file_atom::value, image_id)
            .then(
                [=](const std::string& key) mutable {
                  if (store->exists(key))
                    promise.deliver(store->path_of(key).string());
                  else
                    promise.deliver(make_error(errc::not_found, "File not found: " + key));
                },
                [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
  };
}

}  // namespace

proto::storage_actor spawn_storage_actor(caf::actor_system& sys,
                                         std::shared_ptr<const persistence::file_store> store,
                                         proto::metadata_actor metadata) {
  return sys.spawn<caf::detached>(storage_behavior, std::move(store), std::move(metadata));
}

std::size_t sweep_orphans(const persistence::file_store& store,
                          const std::vector<std::string>& referenced) {
  return store.sweep(std::unordered_set<std::string>(referenced.begin(), referenced.end()));
}

}  // namespace sbx::actors
