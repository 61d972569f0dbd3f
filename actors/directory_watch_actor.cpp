// SPDX-License-Identifier: Apache-2.0
#include "actors/directory_watch_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <set>

#include "actors/database_call.hpp"
#include "actors/directory_watcher.hpp"
#include "persistence/directory_watch_repo.hpp"
#include "proto/error.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;
namespace fs = std::filesystem;

/// Files being ingested at once (docs/api.md#directory-watches).
constexpr int max_in_flight = 5;

// ------------------------------------------------------------------------------------------------
// The importer: copies reported files into the store's tmp/ folder and ingests them.

struct import_item {
  watched_directory watch;
  std::string path;
};

struct importer_state {
  static inline const char* name = "directory importer";
  directory_watch_config config;
  std::deque<import_item> queue;
  int in_flight = 0;
};

using importer_pointer = caf::stateful_actor<importer_state>*;

void log_failure(importer_pointer self, const import_item& item, const std::string& why) {
  auto relative = fs::path(item.path).lexically_relative(item.watch.path).string();
  auto message = "Could not add file " + relative + ": " + why;
  self->send(self->state.config.log, log_atom::value, log_type::error, std::string("Directory"),
             message);
}

void pump(importer_pointer self) {
  auto& st = self->state;
  while (st.in_flight < max_in_flight && !st.queue.empty()) {
    auto item = std::move(st.queue.front());
    st.queue.pop_front();
    // The file stays where it is (unless delete_on_import): ingest gets a copy it may consume.
    auto copy = st.config.store->temp_path();
    std::error_code ec;
    fs::copy_file(item.path, copy, ec);
    if (ec) {
      log_failure(self, item, ec.message());
      continue;
    }
    ++st.in_flight;
    ingest_request request{copy.string(), source{"directory", item.watch.name, item.watch.id},
                           context_set::image_data, true};
    self->request(st.config.ingest, caf::infinite, ingest_atom::value, std::move(request))
        .then(
            [self, item](const ingest_result&) {
              if (self->state.config.delete_on_import) {
                std::error_code rec;
                fs::remove(item.path, rec);
              }
              --self->state.in_flight;
              pump(self);
            },
            [self, item](caf::error& e) {
              std::string why = e.context().match_elements<std::string>()
                                    ? e.context().get_as<std::string>(0)
                                    : caf::to_string(e);
              log_failure(self, item, why);
              --self->state.in_flight;
              pump(self);
            });
  }
}

caf::behavior importer(importer_pointer self, directory_watch_config config) {
  self->state.config = std::move(config);
  return {
      [=](import_atom, const watched_directory& w, const std::string& path) {
        self->state.queue.push_back({w, path});
        pump(self);
      },
  };
}

// ------------------------------------------------------------------------------------------------
// The service: the table and one watcher a row.

struct service_state {
  static inline const char* name = "directory watches";
  directory_watch_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::directory_watch_repo> repo;
  std::map<std::int64_t, std::unique_ptr<directory_watcher>> watchers;
  caf::actor importer;
  bool leading = false;  ///< this node led at the last look
};

using service_pointer = directory_watch_actor::stateful_pointer<service_state>;

void start_watch(service_pointer self, const watched_directory& w) {
  auto importer = self->state.importer;
  self->state.watchers[w.id] = std::make_unique<directory_watcher>(
      w.path, self->state.config.rescan, [importer, w](const fs::path& file) {
        caf::anon_send(importer, import_atom::value, w, file.string());
      });
}

/// Runs a watcher for every stored watch while this node leads, none otherwise. Taking over (or
/// starting) as the leader resumes every stored watch whose folder still exists and deletes the
/// others; later looks start the watches added and stop those deleted through other nodes.
void follow_leadership(service_pointer self) {
  auto& st = self->state;
  const bool taking_over = !st.leading;
  st.leading = leads(st.config.cluster);
  if (!st.leading) {
    st.watchers.clear();  // stops their threads
    return;
  }
  std::set<std::int64_t> stored;
  for (const auto& w : st.repo->all()) {
    stored.insert(w.id);
    if (st.watchers.count(w.id)) continue;
    std::error_code ec;
    if (fs::is_directory(w.path, ec)) {
      start_watch(self, w);
    } else if (taking_over) {
      spdlog::warn("directory watch {}: {} is no longer a directory; the watch is deleted", w.name,
                   w.path);
      st.repo->remove(w.id);
      caf::anon_send(st.config.events, source_deleted{{"directory", w.name, w.id}});
    }
  }
  std::erase_if(st.watchers, [&](const auto& e) { return !stored.count(e.first); });
}

/// True if one path lies inside the other (or they are the same), compared by components.
bool intersect(const fs::path& a, const fs::path& b) {
  auto normal = [](const fs::path& p) {
    auto n = p.lexically_normal();
    return n.has_filename() ? n : n.parent_path();  // "/a/b/" is "/a/b"
  };
  auto x = normal(a), y = normal(b);
  auto [i, j] = std::mismatch(x.begin(), x.end(), y.begin(), y.end());
  return i == x.end() || j == y.end();
}

directory_watch_actor::behavior_type service(service_pointer self, directory_watch_config config) {
  auto& st = self->state;
  st.config = config;
  st.db = persistence::open_database(config.database);
  st.repo = std::make_unique<persistence::directory_watch_repo>(*st.db);
  st.importer = self->spawn<caf::detached + caf::linked>(importer, config);
  follow_leadership(self);
  self->delayed_send(
      self, config.cluster ? config.cluster->check_interval() : std::chrono::milliseconds{2000},
      update_atom::value);
  auto repo = [self]() -> persistence::directory_watch_repo& { return *self->state.repo; };
  return {
      [=](list_atom, std::int64_t start, std::int64_t count) {
        return checked_database_call<std::vector<watched_directory>>(
            "directory watches", [&] { return repo().list(start, count); });
      },
      [=](add_atom, const watched_directory& w) {
        return checked_database_call<watched_directory>(
            "directory watches", [&]() -> caf::result<watched_directory> {
              auto existing = repo().all();
              for (const auto& e : existing)
                if (e.path == w.path) {
                  if (e.name == w.name) return e;
                  return make_error(errc::bad_request, "Directory watch " + e.name +
                                                           " already watches directory " + w.path);
                }
              std::error_code ec;
              if (!fs::is_directory(w.path, ec))
                return make_error(errc::bad_request,
                                  "Could not create directory watch: Not a directory: " + w.path);
              for (const auto& e : existing)
                if (intersect(e.path, w.path))
                  return make_error(errc::bad_request,
                                    "Directory intersects existing directory " + e.path);
              auto created = repo().insert(w);
              if (leads(self->state.config.cluster)) start_watch(self, created);
              return created;
            });
      },
      [=](delete_atom, std::int64_t id) {
        return checked_database_call<bool>("directory watches", [&] {
          self->state.watchers.erase(id);  // stops its thread
          auto gone = repo().remove(id);
          if (gone)
            caf::anon_send(self->state.config.events,
                           source_deleted{{"directory", gone->name, gone->id}});
          return gone.has_value();
        });
      },
      [=](update_atom) {
        try {
          follow_leadership(self);
        } catch (const persistence::database_error& e) {
          spdlog::error("directory watches: {}", e.what());
        }
        auto& c = self->state.config.cluster;
        self->delayed_send(self, c ? c->check_interval() : std::chrono::milliseconds{2000},
                           update_atom::value);
      },
  };
}

}  // namespace

proto::directory_watch_actor spawn_directory_watch_actor(caf::actor_system& sys,
                                                         directory_watch_config config) {
  return sys.spawn<caf::detached>(service, std::move(config));
}

}  // namespace sbx::actors
