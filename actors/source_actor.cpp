// SPDX-License-Identifier: Apache-2.0
#include "actors/source_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <functional>
#include <limits>
#include <memory>

namespace sbx::actors {
namespace {

using namespace proto;
using pointer = source_actor::pointer;

/// One owner's part of a catalogue: asks the owner for all its rows, appends them to `out` and
/// calls `next`, or `fail`.
template <class Entry>
using part = std::function<void(pointer self, std::shared_ptr<std::vector<Entry>> out,
                                std::function<void()> next, std::function<void(caf::error)> fail)>;

/// A part listing every row of `owner` (`list_atom, start, count`), each turned into an entry.
template <class Entry, class Row, class Owner, class Convert>
part<Entry> rows_of(Owner owner, Convert convert) {
  return [owner, convert](pointer self, std::shared_ptr<std::vector<Entry>> out,
                          std::function<void()> next, std::function<void(caf::error)> fail) {
    self->request(owner, caf::infinite, list_atom::value, std::int64_t{0},
                  std::numeric_limits<std::int64_t>::max())
        .then(
            [out, next, convert](const std::vector<Row>& rows) {
              for (const auto& r : rows) out->push_back(convert(r));
              next();
            },
            [fail](caf::error& e) { fail(std::move(e)); });
  };
}

/// Runs the parts in order and delivers the concatenation (kept alive by the pending part).
template <class Entry>
struct gathering : std::enable_shared_from_this<gathering<Entry>> {
  pointer self;
  std::vector<part<Entry>> parts;
  caf::typed_response_promise<std::vector<Entry>> promise;
  std::shared_ptr<std::vector<Entry>> out = std::make_shared<std::vector<Entry>>();

  void run(std::size_t i) {
    if (i == parts.size()) {
      promise.deliver(std::move(*out));
      return;
    }
    auto me = this->shared_from_this();
    parts[i](
        self, out, [me, i] { me->run(i + 1); },
        [me](caf::error e) { me->promise.deliver(std::move(e)); });
  }
};

template <class Entry>
caf::result<std::vector<Entry>> gather(pointer self, const std::vector<part<Entry>>& parts) {
  auto g = std::make_shared<gathering<Entry>>();
  g->self = self;
  g->parts = parts;
  g->promise = self->make_response_promise<std::vector<Entry>>();
  g->run(0);
  return g->promise;
}

source_actor::behavior_type source_behavior(pointer self, proto::services owners) {
  // GET /api/sources: users, boxes, SCPs, directory watches, import sessions, in that order.
  std::vector<part<source>> sources = {
      rows_of<source, api_user>(owners.users,
                                [](const api_user& u) {
                                  return source{"user", u.user, u.id};
                                }),
      rows_of<source, box>(owners.boxes,
                           [](const box& b) {
                             return source{"box", b.name, b.id};
                           }),
      rows_of<source, scp>(owners.scps,
                           [](const scp& s) {
                             return source{"scp", s.name, s.id};
                           }),
      rows_of<source, watched_directory>(owners.directory_watches,
                                         [](const watched_directory& d) {
                                           return source{"directory", d.name, d.id};
                                         }),
      rows_of<source, import_session>(owners.imports,
                                      [](const import_session& s) {
                                        return source{"import", s.name, s.id};
                                      }),
  };
  // Boxes, then SCUs.
  std::vector<part<destination>> destinations = {
      rows_of<destination, box>(owners.boxes,
                                [](const box& b) {
                                  return destination{"box", b.name, b.id};
                                }),
      rows_of<destination, scu>(owners.scus,
                                [](const scu& s) {
                                  return destination{"scu", s.name, s.id};
                                }),
  };
  return {
      [=](get_atom, sources_atom) { return gather(self, sources); },
      [=](get_atom, dests_atom) { return gather(self, destinations); },
  };
}

}  // namespace

proto::source_actor spawn_source_actor(caf::actor_system& sys, const proto::services& owners) {
  return sys.spawn(source_behavior, owners);
}

}  // namespace sbx::actors
