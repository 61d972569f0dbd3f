// SPDX-License-Identifier: Apache-2.0
#include "actors/series_type_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <deque>
#include <unordered_set>

#include "actors/database_call.hpp"
#include "dicom/attributes.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/series_type_match.hpp"
#include "persistence/series_type_repo.hpp"
#include "proto/error.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

// ------------------------------------------------------------------------------------------------
// The labeller: re-evaluates queued series, a batch per message, so status requests and new work
// are handled between batches.

/// Series evaluated per message (and per transaction).
constexpr std::size_t batch_size = 200;

struct labeller_state {
  static inline const char* name = "series-type labeller";
  series_type_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::series_type_repo> repo;
  std::deque<std::int64_t> queue;
  std::unordered_set<std::int64_t> queued;
  bool everything = false;  ///< every series is to be re-labelled
  bool rules_stale = true;  ///< the rules changed since they were read
  bool running = false;     ///< a step message is on its way
  series_type_rules rules;
  std::size_t labelled = 0;  ///< series labelled since the labeller was last idle
  std::chrono::steady_clock::time_point started;
};

using labeller_pointer = caf::stateful_actor<labeller_state>*;

/// Publishes the backlog (GET /metrics).
void report_backlog(const labeller_state& st) {
  if (st.config.counters) st.config.counters->labeller_backlog(st.queue.size());
}

void enqueue(labeller_state& st, std::int64_t series_id) {
  if (st.queued.insert(series_id).second) st.queue.push_back(series_id);
  report_backlog(st);
}

void kick(labeller_pointer self) {
  auto& st = self->state;
  if (st.running) return;
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
/// types that apply now, none if there are no types).
void label(labeller_state& st, const std::vector<std::int64_t>& batch) {
  std::vector<std::pair<std::int64_t, std::int64_t>> links;
  if (!st.rules.types.empty()) {
    std::vector<std::pair<std::int64_t, std::string>> firsts;
    if (reads_files(st.rules)) {
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
      for (auto type : dicom::matching_types(attributes, st.rules))
        links.emplace_back(series_id, type);
    }
  }
  st.repo->replace_links(batch, links);
}

caf::behavior labeller(labeller_pointer self, series_type_service_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  st.db = persistence::open_database(st.config.database);
  st.repo = std::make_unique<persistence::series_type_repo>(*st.db);
  if (st.config.events) self->join(st.config.events);
  self->set_default_handler(caf::drop);  // other events are not ours
  return {
      [=](const image_added& e) {
        try {
          if (auto series = self->state.repo->series_of_image(e.image_id)) {
            enqueue(self->state, *series);
            kick(self);
          }
        } catch (const persistence::database_error& err) {
          spdlog::error("series types: image {}: {}", e.image_id, err.what());
        }
      },
      [=](update_atom, all_atom) {
        self->state.everything = true;
        self->state.rules_stale = true;
        kick(self);
      },
      [=](status_atom) {
        const auto& s = self->state;
        return s.running || s.everything || !s.queue.empty();
      },
      [=](step_atom) {
        auto& s = self->state;
        try {
          if (s.everything) {
            s.everything = false;
            for (auto id : s.repo->all_series_ids()) enqueue(s, id);
          }
          if (s.rules_stale) {
            s.rules = s.repo->all_rules();
            s.rules_stale = false;
          }
          std::vector<std::int64_t> batch;
          while (!s.queue.empty() && batch.size() < batch_size) {
            batch.push_back(s.queue.front());
            s.queued.erase(s.queue.front());
            s.queue.pop_front();
          }
          label(s, batch);
          s.labelled += batch.size();
          report_backlog(s);
        } catch (const persistence::database_error& e) {
          spdlog::error("series types: labelling failed: {}", e.what());
        }
        if (!s.queue.empty() || s.everything) return self->send(self, step_atom::value);
        s.running = false;
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
