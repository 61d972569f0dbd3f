// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/group.hpp>

namespace sbx::actors {

/// Delivers the `Events` published on `events` to `target`. Typed actors cannot join groups in
/// CAF 0.17: a linked relay subscribes for them (and dies with the target); other events are
/// dropped.
template <class... Events, class Handle>
void relay_events(caf::actor_system& sys, const caf::group& events, const Handle& target) {
  if (!events) return;
  sys.spawn([target, events](caf::event_based_actor* relay) -> caf::behavior {
    relay->join(events);
    relay->link_to(target);
    relay->set_default_handler(caf::drop);
    return {[=](const Events& e) { relay->send(target, e); }...};
  });
}

}  // namespace sbx::actors
