// SPDX-License-Identifier: Apache-2.0
#include "actors/source_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <limits>

namespace sbx::actors {
namespace {

using sources_promise = caf::typed_response_promise<std::vector<proto::source>>;

/// The owners' parts of the source list, filled as their answers arrive (in any order) and
/// delivered in the spec's order once all are in.
struct gathered_sources {
  gathered_sources(sources_promise p, std::size_t owners) : promise(std::move(p)), parts(owners) {}

  void arrived(std::size_t slot, std::vector<proto::source> part) {
    parts[slot] = std::move(part);
    if (++count < parts.size() || failed) return;
    std::vector<proto::source> all;
    for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    promise.deliver(std::move(all));
  }

  void failed_with(caf::error e) {
    if (std::exchange(failed, true)) return;
    promise.deliver(std::move(e));
  }

  sources_promise promise;
  std::vector<std::vector<proto::source>> parts;
  std::size_t count = 0;
  bool failed = false;
};

/// How a source names an item: users by user name, everything else by name.
const std::string& name_of(const proto::api_user& u) { return u.user; }
template <class Item>
const std::string& name_of(const Item& x) {
  return x.name;
}

/// Asks one owner for all its items and turns each into a source of `type`.
template <class Item, class Owner>
void ask_owner(proto::source_actor::pointer self, const Owner& owner,
               const std::shared_ptr<gathered_sources>& gathered, std::size_t slot,
               std::string type) {
  self->request(owner, caf::infinite, proto::list_atom::value, std::int64_t{0},
                std::numeric_limits<std::int64_t>::max())
      .then(
          [=](const std::vector<Item>& items) {
            std::vector<proto::source> part;
            part.reserve(items.size());
            for (const auto& x : items) part.push_back({type, name_of(x), x.id});
            gathered->arrived(slot, std::move(part));
          },
          [=](caf::error& e) { gathered->failed_with(std::move(e)); });
}

proto::source_actor::behavior_type source_behavior(proto::source_actor::pointer self,
                                                   source_owners owners) {
  return {
      [=](proto::get_atom, proto::sources_atom) -> caf::result<std::vector<proto::source>> {
        // Spec §5 order: users, boxes, SCPs, directory watches, import sessions (boxes and
        // directory watches join when those services exist).
        auto rp = self->make_response_promise<std::vector<proto::source>>();
        auto gathered = std::make_shared<gathered_sources>(rp, 3);
        ask_owner<proto::api_user>(self, owners.users, gathered, 0, "user");
        ask_owner<proto::scp>(self, owners.scps, gathered, 1, "scp");
        ask_owner<proto::import_session>(self, owners.imports, gathered, 2, "import");
        return rp;
      },
      [=](proto::get_atom, proto::dests_atom) -> caf::result<std::vector<proto::destination>> {
        // Boxes and SCUs add their destinations here when those services exist.
        return std::vector<proto::destination>{};
      },
  };
}

}  // namespace

proto::source_actor spawn_source_actor(caf::actor_system& sys, source_owners owners) {
  return sys.spawn(source_behavior, std::move(owners));
}

}  // namespace sbx::actors
