// SPDX-License-Identifier: Apache-2.0
#include "actors/source_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <limits>

namespace sbx::actors {
namespace {

proto::source_actor::behavior_type source_behavior(proto::source_actor::pointer self,
                                                   source_owners owners) {
  return {
      [=](proto::get_atom, proto::sources_atom) -> caf::result<std::vector<proto::source>> {
        auto rp = self->make_response_promise<std::vector<proto::source>>();
        self->request(owners.users, caf::infinite, proto::list_atom::value, std::int64_t{0},
                      std::numeric_limits<std::int64_t>::max())
            .then(
                [=](const std::vector<proto::api_user>& users) mutable {
                  std::vector<proto::source> out;
                  out.reserve(users.size());
                  for (const auto& u : users) out.push_back({"user", u.user, u.id});
                  // Boxes, SCPs and directory watches join here (in that order) when they exist.
                  self->request(owners.imports, caf::infinite, proto::list_atom::value,
                                std::int64_t{0}, std::numeric_limits<std::int64_t>::max())
                      .then(
                          [rp, out](const std::vector<proto::import_session>& sessions) mutable {
                            for (const auto& s : sessions) out.push_back({"import", s.name, s.id});
                            rp.deliver(std::move(out));
                          },
                          [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
                },
                [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [=](proto::get_atom, proto::dests_atom) -> caf::result<std::vector<proto::destination>> {
        // Boxes join here, before the SCUs, when that service exists.
        auto rp = self->make_response_promise<std::vector<proto::destination>>();
        self->request(owners.scus, caf::infinite, proto::list_atom::value, std::int64_t{0},
                      std::numeric_limits<std::int64_t>::max())
            .then(
                [rp](const std::vector<proto::scu>& scus) mutable {
                  std::vector<proto::destination> out;
                  out.reserve(scus.size());
                  for (const auto& s : scus) out.push_back({"scu", s.name, s.id});
                  rp.deliver(std::move(out));
                },
                [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
  };
}

}  // namespace

proto::source_actor spawn_source_actor(caf::actor_system& sys, source_owners owners) {
  return sys.spawn(source_behavior, std::move(owners));
}

}  // namespace sbx::actors
