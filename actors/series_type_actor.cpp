// SPDX-License-Identifier: Apache-2.0
#include "actors/series_type_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <unordered_set>

#include "actors/database_call.hpp"
#include "dicom/attributes.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/series_type_match.hpp"
#include "persistence/cluster.hpp"
#include "persistence/series_type_repo.hpp"
#include "proto/error.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

// ------------------------------------------------------------------------------------------------
// The labeller: re-evaluates the series queued in the database (series_type_pending), a batch per
// message, so status requests and new work are handled between batches. Any node queues; only the
// leader labels (docs/operations.md#running-a-cluster). A batch's links and the removal of its
// queue rows are one transaction: a leader that dies mid-batch leaves the rows, and the next
// leader labels those series again, which replaces their links with the same ones.

/// Series evaluated per message (and per transaction).
constexpr std::size_t batch_size = 200;

/// Sent by the cluster member when another node changed the rules: the leader starts at once
/// instead of at its next look at the queue.
using wake_atom = caf::atom_constant<caf::atom("wake")>;
/// The labeller's periodic look at the queue.
using look_atom = caf::atom_constant<caf::atom("look")>;

struct labeller_state {
  static inline const char* name = "series-type labeller";
  series_type_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::series_type_repo> repo;
  bool running = false;  ///< a step message is on its way
  /// Images added since the last flush: their series are queued together, in one statement,
  /// once the events queued with them are read (a flush message follows the first of them).
  std::vector<std::int64_t> added;
  std::size_t labelled = 0;  ///< series labelled since the labeller was last idle
  std::chrono::steady_clock::time_point started;
};

using labeller_pointer = caf::stateful_actor<labeller_state>*;

void kick(labeller_pointer self) {
  auto& st = self->state;
  if (st.running || !leads(st.config.cluster)) return;
  st.running = true;
  st.labelled = 0;
  st.started = std::chrono::steady_clock::now();
  self->send(self, step_atom::value);
}

bool reads_files(const series_type_rules& rules) {
  for (const auto& t : rules.types)
    for (const auto& r : t.rules)
      if (!r.attributes.empty()) return true;
  return false;
}

/// Labels one batch of series (docs/api.md#series-types: all links of a series are replaced by the
/// types that apply now, none if there are no types) and removes the queue rows `done`.
void label(labeller_state& st, const std::vector<std::int64_t>& batch,
           const std::vector<std::int64_t>& done) {
  // Read for every batch: a rule changed on any node queues every series again, so the rows
  // taken after the change are labelled with the new rules.
  const auto rules = st.repo->all_rules();
  std::vector<std::pair<std::int64_t, std::int64_t>> links;
  if (!rules.types.empty()) {
    std::vector<std::pair<std::int64_t, std::string>> firsts;
    if (reads_files(rules)) {
      firsts = st.repo->first_images(batch);
    } else {
      for (auto id : batch) firsts.emplace_back(id, std::string{});
    }
    for (const auto& [series_id, key] : firsts) {
      std::vector<image_attribute> attributes;
      if (!key.empty()) {
        try {
          attributes = dicom::read_attributes(st.config.store->path_of(key));
        } catch (const std::exception& e) {
          spdlog::warn("series {}: cannot read its first image for series types: {}", series_id,
                       e.what());
          continue;
        }
      }
      for (auto type : dicom::matching_types(attributes, rules))
        links.emplace_back(series_id, type);
    }
  }
  st.repo->replace_links(batch, links, done);
}

caf::behavior labeller(labeller_pointer self, series_type_service_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  st.db = persistence::open_database(st.config.database);
  st.repo = std::make_unique<persistence::series_type_repo>(*st.db);
  if (st.config.events) self->join(st.config.events);
  if (st.config.cluster)
    st.config.cluster->subscribe(
        persistence::topic::series_types,
        [self = caf::actor_cast<caf::actor>(self)] { caf::anon_send(self, wake_atom::value); });
  self->set_default_handler(caf::drop);  // other events are not ours
  self->send(self, look_atom::value);    // what a previous run or another node left queued
  return {
      [=](const image_added& e) {
        auto& added = self->state.added;
        if (added.empty()) self->send(self, flush_atom::value);
        added.push_back(e.image_id);
      },
      [=](flush_atom) {
        auto added = std::move(self->state.added);
        self->state.added.clear();
        try {
          self->state.repo->queue_series_of(added);
          kick(self);
        } catch (const persistence::database_error& err) {
          spdlog::error("series types: queueing the series of {} images failed: {}", added.size(),
                        err.what());
        }
      },
      [=](update_atom, all_atom) {
        try {
          self->state.repo->queue_all_series();
          persistence::notify_change(*self->state.db, persistence::topic::series_types);
        } catch (const persistence::database_error& err) {
          spdlog::error("series types: queueing every series failed: {}", err.what());
        }
        kick(self);
      },
      [=](wake_atom) { kick(self); },
      // Images added through other nodes are queued there: the leader looks at the queue as
      // often as it checks its lock.
      [=](look_atom) {
        kick(self);
        auto every = self->state.config.cluster ? self->state.config.cluster->check_interval()
                                                : std::chrono::milliseconds{2000};
        self->delayed_send(self, every, look_atom::value);
      },
      [=](status_atom) {
        const auto& s = self->state;
        if (s.running || !s.added.empty()) return true;
        try {
          return s.repo->any_pending();
        } catch (const persistence::database_error& err) {
          spdlog::error("series types: {}", err.what());
          return false;
        }
      },
      [=](step_atom) {
        auto& s = self->state;
        bool more = false;
        try {
          if (leads(s.config.cluster)) {
            std::vector<std::int64_t> batch, done;
            std::unordered_set<std::int64_t> seen;
            for (const auto& [row, series] : s.repo->pending(batch_size)) {
              done.push_back(row);
              if (seen.insert(series).second) batch.push_back(series);
            }
            label(s, batch, done);
            s.labelled += batch.size();
            more = !done.empty();
          }
        } catch (const persistence::database_error& e) {
          spdlog::error("series types: labelling failed: {}", e.what());
        }
        if (more) return self->send(self, step_atom::value);
        s.running = false;
        if (s.labelled == 0) return;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - s.started)
                      .count();
        spdlog::debug("series types: labelled {} series in {} ms", s.labelled, ms);
      },
  };
}

// ------------------------------------------------------------------------------------------------
// The service: tables and links; rule changes send the labeller back to work.

struct service_state {
  static inline const char* name = "series types";
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::series_type_repo> repo;
};

series_type_actor::behavior_type service(series_type_actor::stateful_pointer<service_state> self,
                                         persistence::database_config database,
                                         caf::actor labeller) {
  self->link_to(labeller);  // the labeller lives as long as the service
  self->state.db = persistence::open_database(database);
  self->state.repo = std::make_unique<persistence::series_type_repo>(*self->state.db);
  auto repo = [self]() -> persistence::series_type_repo& { return *self->state.repo; };
  auto relabel = [labeller] { caf::anon_send(labeller, update_atom::value, all_atom::value); };
  return {
      [=](list_atom, type_atom, std::int64_t start, std::int64_t count) {
        return checked_database_call<std::vector<series_type>>(
            "series types", [&] { return repo().list_types(start, count); });
      },
      [=](add_atom, type_atom, const std::string& name) {
        return checked_database_call<series_type>("series types",
                                                  [&] { return repo().insert_type(name); });
      },
      [=](rename_atom, type_atom, const series_type& t) {
        return checked_database_call<bool>("series types", [&] { return repo().rename_type(t); });
      },
      [=](delete_atom, type_atom, std::int64_t id) {
        auto r =
            checked_database_call<bool>("series types", [&] { return repo().remove_type(id); });
        relabel();
        return r;
      },
      [=](list_atom, rule_atom, std::int64_t type_id) {
        return checked_database_call<std::vector<series_type_rule>>(
            "series types", [&] { return repo().rules_of(type_id); });
      },
      [=](add_atom, rule_atom, std::int64_t type_id) {
        return checked_database_call<series_type_rule>("series types",
                                                       [&] { return repo().insert_rule(type_id); });
      },
      [=](delete_atom, rule_atom, std::int64_t id) {
        auto r =
            checked_database_call<bool>("series types", [&] { return repo().remove_rule(id); });
        relabel();
        return r;
      },
      [=](list_atom, rule_attribute_atom, std::int64_t rule_id) {
        return checked_database_call<std::vector<series_type_rule_attribute>>(
            "series types", [&] { return repo().attributes_of(rule_id); });
      },
      [=](add_atom, rule_attribute_atom, series_type_rule_attribute a) {
        if (a.name.empty())
          a.name = dicom::keyword_of(static_cast<std::uint32_t>(a.tag)).value_or("");
        auto r = checked_database_call<series_type_rule_attribute>(
            "series types", [&] { return repo().insert_attribute(a); });
        relabel();
        return r;
      },
      [=](delete_atom, rule_attribute_atom, std::int64_t id) {
        auto r = checked_database_call<bool>("series types",
                                             [&] { return repo().remove_attribute(id); });
        relabel();
        return r;
      },
      [=](get_atom, series_atom, std::int64_t series_id) {
        return checked_database_call<std::vector<series_type>>(
            "series types", [&] { return repo().types_of_series(series_id); });
      },
      [=](link_atom, series_atom, std::int64_t series_id, std::int64_t type_id) {
        return checked_database_call<bool>("series types", [&]() -> caf::result<bool> {
          if (!repo().link(series_id, type_id)) return bare_not_found();
          return true;
        });
      },
      [=](delete_atom, series_atom, std::int64_t series_id, std::int64_t type_id) {
        return checked_database_call<bool>("series types", [&] {
          repo().unlink(series_id, type_id);
          return true;
        });
      },
      [=](delete_atom, series_atom, std::int64_t series_id) {
        return checked_database_call<bool>("series types", [&] {
          repo().unlink_all(series_id);
          return true;
        });
      },
      [=](query_atom, series_atom, const std::vector<std::int64_t>& ids) {
        return checked_database_call<std::vector<series_id_series_type>>(
            "series types", [&] { return repo().links_of(ids); });
      },
      [=](get_atom, status_atom) {
        return checked_database_call<std::int64_t>("series types",
                                                   [&] { return repo().pending_series(); });
      },
      [=](status_atom) -> caf::result<bool> {
        auto promise = self->make_response_promise<bool>();
        self->request(labeller, caf::infinite, status_atom::value)
            .then([=](bool running) mutable { promise.deliver(running); },
                  [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
  };
}

}  // namespace

proto::series_type_actor spawn_series_type_actor(caf::actor_system& sys,
                                                 series_type_service_config config) {
  auto database = config.database;
  auto worker = sys.spawn<caf::detached>(labeller, std::move(config));
  return sys.spawn<caf::detached>(service, std::move(database), worker);
}

}  // namespace sbx::actors
