// SPDX-License-Identifier: Apache-2.0
#include "actors/filtering_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/database_call.hpp"
#include "actors/event_relay.hpp"
#include "dicom/tag_path.hpp"
#include "persistence/cluster.hpp"
#include "persistence/tag_filter_repo.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

/// Reads every source's trees and publishes them for ingest.
void publish_filters(persistence::tag_filter_repo& repo, source_filters& published) {
  source_filters::snapshot s;
  for (auto& row : repo.source_filter_trees()) {
    proto::tag_path tree;
    try {
      tree = dicom::parse_tag_path(row.tree, true);
    } catch (const std::invalid_argument& e) {
      spdlog::warn("filtering: skipping a stored tag tree: {}", e.what());
      continue;
    }
    auto& f = s[{row.source_type, row.source_id}];
    (row.type == tag_filter_type::blacklist ? f.blacklist : f.whitelist).push_back(std::move(tree));
  }
  published.publish(std::move(s));
}

struct filtering_state {
  static inline const char* name = "filtering";
  filtering_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::tag_filter_repo> repo;

  /// When the periodic reload is due: reloads asked for by other nodes come in between.
  std::chrono::steady_clock::time_point next_reload;

  void publish() { publish_filters(*repo, *config.published); }
  /// Publishes a change made here and tells the other nodes.
  void changed() {
    publish();
    persistence::notify_change(*db, persistence::topic::tag_filters);
  }
};

using filtering_pointer = filtering_actor::stateful_pointer<filtering_state>;

template <class T, class F>
caf::result<T> guarded(F&& body) {
  return checked_database_call<T>("filtering", std::forward<F>(body));
}

/// Runs an insert that names a filter; a filter that does not exist is the client's mistake
/// (400, docs/api.md#deviations-from-slicebox-211; Slicebox 2.1.1 answers 500).
template <class F>
auto naming_filter(std::int64_t filter_id, F&& insert) -> decltype(insert()) {
  try {
    return insert();
  } catch (const persistence::database_error& e) {
    if (e.kind() != persistence::db_failure::foreign_key_violation) throw;
    throw std::invalid_argument("Tag filter " + std::to_string(filter_id) + " does not exist");
  }
}

/// A stored tree as the API shows it.
tag_filter_tag_path shown(const persistence::stored_tag_path& p) {
  tag_filter_tag_path out{p.id, p.tag_filter_id, {}};
  try {
    out.tree = dicom::parse_tag_path(p.tree, true);
  } catch (const std::invalid_argument&) {
    // Written by a node whose dictionary knew a keyword this one does not: shown empty.
  }
  return out;
}

filtering_actor::behavior_type filtering_behavior(filtering_pointer self,
                                                  filtering_service_config config) {
  self->state.config = std::move(config);
  self->state.db = persistence::open_database(self->state.config.database);
  self->state.repo = std::make_unique<persistence::tag_filter_repo>(*self->state.db);
  // A change the caller has been answered for is already what ingest applies.
  auto changed = [self](auto result) {
    self->state.changed();
    return result;
  };
  auto repo = [self]() -> persistence::tag_filter_repo& { return *self->state.repo; };
  self->state.next_reload = std::chrono::steady_clock::now() + self->state.config.reload_interval;
  self->delayed_send(self, self->state.config.reload_interval, reload_atom::value);
  if (self->state.config.cluster)
    self->state.config.cluster->subscribe(persistence::topic::tag_filters,
                                          [self = caf::actor_cast<filtering_actor>(self)] {
                                            caf::anon_send(self, reload_atom::value);
                                          });
  return {
      [=](list_atom, filters_atom, std::int64_t start, std::int64_t count) {
        return guarded<std::vector<tag_filter>>(
            [&]() -> caf::result<std::vector<tag_filter>> { return repo().filters(start, count); });
      },
      [=](add_atom, const tag_filter& f) {
        return guarded<tag_filter>(
            [&]() -> caf::result<tag_filter> { return repo().insert_filter(f); });
      },
      [=](delete_atom, filters_atom, std::int64_t id) {
        return guarded<bool>(
            [&]() -> caf::result<bool> { return changed(repo().remove_filter(id)); });
      },
      [=](list_atom, tag_paths_atom, std::int64_t filter_id, std::int64_t start,
          std::int64_t count) {
        return guarded<std::vector<tag_filter_tag_path>>(
            [&]() -> caf::result<std::vector<tag_filter_tag_path>> {
              std::vector<tag_filter_tag_path> out;
              for (const auto& p : repo().tag_paths(filter_id, start, count))
                out.push_back(shown(p));
              return out;
            });
      },
      [=](add_atom, tag_filter_tag_path& p) {
        return guarded<tag_filter_tag_path>([&]() -> caf::result<tag_filter_tag_path> {
          dicom::resolve_names(p.tree);  // an unknown keyword is refused here
          persistence::stored_tag_path row{-1, p.tag_filter_id, dicom::to_string(p.tree)};
          return changed(
              shown(naming_filter(p.tag_filter_id, [&] { return repo().insert_tag_path(row); })));
        });
      },
      [=](delete_atom, tag_paths_atom, std::int64_t id) {
        return guarded<bool>(
            [&]() -> caf::result<bool> { return changed(repo().remove_tag_path(id)); });
      },
      [=](list_atom, assocs_atom, std::int64_t start, std::int64_t count) {
        return guarded<std::vector<source_tag_filter>>(
            [&]() -> caf::result<std::vector<source_tag_filter>> {
              return repo().associations(start, count);
            });
      },
      [=](add_atom, const source_tag_filter& a) {
        return guarded<source_tag_filter>([&]() -> caf::result<source_tag_filter> {
          return changed(
              naming_filter(a.tag_filter_id, [&] { return repo().insert_association(a); }));
        });
      },
      [=](delete_atom, assocs_atom, std::int64_t id) {
        return guarded<bool>(
            [&]() -> caf::result<bool> { return changed(repo().remove_association(id)); });
      },
      [=](const source_deleted& e) {
        try {
          if (repo().remove_associations_of(e.src.type, e.src.id) > 0) self->state.changed();
        } catch (const persistence::database_error& err) {
          spdlog::error("filtering: removing the associations of a deleted source failed: {}",
                        err.what());
        }
      },
      [=](reload_atom) {
        try {
          self->state.publish();
        } catch (const persistence::database_error& e) {
          spdlog::error("filtering: reading the filters failed: {}", e.what());
        }
        auto& st = self->state;
        if (std::chrono::steady_clock::now() < st.next_reload) return;  // asked by another node
        st.next_reload = std::chrono::steady_clock::now() + st.config.reload_interval;
        self->delayed_send(self, st.config.reload_interval, reload_atom::value);
      },
  };
}

}  // namespace

proto::filtering_actor spawn_filtering_actor(caf::actor_system& sys,
                                             filtering_service_config config) {
  {
    // Published before any ingest can run: the first image is filtered too.
    auto db = persistence::open_database(config.database);
    persistence::tag_filter_repo repo(*db);
    publish_filters(repo, *config.published);
  }
  auto events = config.events;
  auto target = sys.spawn<caf::detached>(filtering_behavior, std::move(config));
  relay_events<source_deleted>(sys, events, target);
  return target;
}

}  // namespace sbx::actors
