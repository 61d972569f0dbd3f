// SPDX-License-Identifier: Apache-2.0
#include "actors/scp_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "actors/database_call.hpp"
#include "actors/qr_index.hpp"
#include "dicom/dimse_scp.hpp"
#include "persistence/cluster.hpp"
#include "persistence/scp_repo.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct scp_state {
  static inline const char* name = "scp";
  scp_service_config config;
  dicom::accepted_contexts contexts;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::scp_repo> repo;
  /// What Query/Retrieve reads, shared by every listener (on their association threads).
  std::shared_ptr<qr_index> index;
  /// The names of the SCPs listening, for the log when they stop (also at shutdown).
  std::shared_ptr<std::map<std::int64_t, std::string>> running =
      std::make_shared<std::map<std::int64_t, std::string>>();
  /// SCPs whose listener could not start here: not tried again until their record changes.
  std::set<std::int64_t> failed;
  // Last, so the listeners stop (and their threads end) before anything they use goes.
  std::map<std::int64_t, std::unique_ptr<dicom::dimse_scp>> listeners;
};

using scp_pointer = scp_actor::stateful_pointer<scp_state>;

std::string trimmed(const std::string& s) {
  // As Java's String.trim, which Slicebox applies: every character up to the space.
  auto blank = [](unsigned char c) { return c <= ' '; };
  auto begin = std::find_if_not(s.begin(), s.end(), blank);
  auto end = std::find_if_not(s.rbegin(), s.rend(), blank).base();
  return begin < end ? std::string(begin, end) : std::string{};
}

/// Hands a received dataset to ingest and waits for the outcome; runs on an association's
/// thread, never on CAF's. The response is Success even when the data is refused
/// (the failure is logged); a fault of the node (disk, database, shutting down) answers Out of
/// Resources instead, so that no peer drops an image it was told is stored.
std::uint16_t store_received(caf::actor_system& sys, const scp_service_config& config,
                             const source& src, dicom::received_instance r) {
  caf::scoped_actor self{sys};
  std::uint16_t status = dicom::dimse_status::success;
  self->request(config.ingest, caf::infinite, ingest_atom::value,
                ingest_request{std::move(r.file), src, context_set::image_data})
      .receive([](const ingest_result&) {},
               [&](const caf::error& e) {
                 std::string reason = caf::to_string(e);
                 if (e.context().match_elements<std::string>())
                   reason = e.context().get_as<std::string>(0);
                 const bool refused = e.category() == error_category &&
                                      static_cast<errc>(e.code()) == errc::bad_request;
                 if (!refused) status = dicom::dimse_status::out_of_resources;
                 spdlog::warn("SCP {}: could not add {} from {}: {}", src.name, r.sop_instance_uid,
                              r.calling_ae_title, reason);
                 self->send(config.log, log_atom::value, log_type::error, std::string("SCP"),
                            "Could not add file: " + reason);
               });
  return status;
}

/// Starts the listener of an SCP record; throws dicom::scp_error.
void start(scp_pointer self, const scp& s) {
  auto& st = self->state;
  dicom::scp_settings settings;
  settings.ae_title = s.ae_title;
  settings.port = static_cast<std::uint16_t>(s.port);
  settings.contexts = st.contexts;
  settings.temp_file = [store = st.config.store] { return store->temp_path().string(); };
  settings.storage_full = [store = st.config.store] { return store->nearly_full(); };
  settings.on_stored = [&sys = self->system(), config = st.config,
                        src = source{"scp", s.name, s.id}](dicom::received_instance r) {
    return store_received(sys, config, src, std::move(r));
  };
  if (auto counters = st.config.counters)
    settings.on_association = [counters] { counters->scp_association(); };
  if (s.query_retrieve) {
    auto& qr = settings.query_retrieve;
    qr.search = [index = st.index](const qido_query& q) { return index->search(q); };
    qr.file_of = [store = st.config.store](const std::string& key) { return store->path_of(key); };
    qr.destination = [index = st.index](const std::string& ae) -> std::optional<dicom::store_peer> {
      auto scu = index->scu_by_ae_title(ae);
      if (!scu) return std::nullopt;
      dicom::store_peer peer;
      peer.called_ae = scu->ae_title;
      peer.host = scu->host;
      peer.port = static_cast<std::uint16_t>(scu->port);
      return peer;
    };
  }
  auto listener = std::make_unique<dicom::dimse_scp>(std::move(settings));
  spdlog::info("SCP {} listening on port {} as {}", s.name, listener->port(), s.ae_title);
  self->send(st.config.log, log_atom::value, log_type::info, std::string("SCP"),
             "Started SCP " + s.name + " with AE title " + s.ae_title + " on port " +
                 std::to_string(listener->port()));
  st.listeners[s.id] = std::move(listener);
  (*st.running)[s.id] = s.name;
}

caf::error invalid(std::string message) {
  return make_error(errc::bad_request, std::move(message));
}

/// The validation of POST /api/scps, in Slicebox's order and with its messages.
caf::error validate(persistence::scp_repo& repo, const scp& s) {
  const auto ae = trimmed(s.ae_title);
  if (ae.empty()) return invalid("Ae title must not be empty");
  if (ae.size() > 16)
    return invalid(
        "Ae title must not exceed 16 characters, excluding leading and trailing epaces.");
  if (s.port < 0 || s.port > 65535) return invalid("Port must be a value between 0 and 65535");
  const auto in_use = "Port " + std::to_string(s.port) + " is already in use";
  if (repo.by_port(s.port)) return invalid(in_use);
  // Slicebox 2.1.1 stored the record and left it without a listener; the port is tried first.
  try {
    if (s.port != 0) dicom::probe_port(static_cast<std::uint16_t>(s.port));
  } catch (const dicom::port_in_use&) {
    return invalid(in_use);
  } catch (const dicom::scp_error& e) {
    return invalid(e.what());
  }
  return {};
}

/// Stops the listener of an SCP, if it has one here.
void stop(scp_pointer self, std::int64_t id) {
  if (self->state.listeners.erase(id) > 0) {  // returns once the port is closed
    auto& running = *self->state.running;
    self->send(self->state.config.log, log_atom::value, log_type::info, std::string("SCP"),
               "Stopped SCP " + running[id]);
    running.erase(id);
  }
}

/// Every stored SCP listens (at start, and when another node added or deleted one); one that
/// cannot listen is logged once and stays listed.
void start_stored(scp_pointer self) {
  auto& st = self->state;
  std::set<std::int64_t> stored;
  for (const auto& s : st.repo->list(0, std::numeric_limits<std::int64_t>::max())) {
    stored.insert(s.id);
    if (st.listeners.count(s.id) || st.failed.count(s.id)) continue;
    try {
      start(self, s);
    } catch (const dicom::scp_error& e) {
      st.failed.insert(s.id);
      spdlog::error("SCP {}: {}", s.name, e.what());
      self->send(st.config.log, log_atom::value, log_type::error, std::string("SCP"),
                 "Could not start SCP " + s.name + ": " + e.what());
    }
  }
  std::vector<std::int64_t> gone;
  for (const auto& [id, listener] : st.listeners)
    if (!stored.count(id)) gone.push_back(id);
  for (auto id : gone) stop(self, id);
  std::erase_if(st.failed, [&](std::int64_t id) { return !stored.count(id); });
}

scp_actor::behavior_type scp_behavior(scp_pointer self, scp_service_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  st.contexts =
      dicom::image_data_contexts(st.config.original_contexts ? dicom::context_defaults::original
                                                             : dicom::context_defaults::node);
  st.db = persistence::open_database(st.config.database);
  st.repo = std::make_unique<persistence::scp_repo>(*st.db);
  st.index = std::make_shared<qr_index>(st.config.database);
  start_stored(self);
  if (st.config.cluster)
    st.config.cluster->subscribe(
        persistence::topic::scps,
        [self = caf::actor_cast<scp_actor>(self)] { caf::anon_send(self, update_atom::value); });
  // At shutdown every listener stops with the actor (the log service is stopped after it).
  self->attach_functor([running = st.running, log = st.config.log](const caf::error&) {
    for (const auto& [id, name] : *running)
      caf::anon_send(log, log_atom::value, log_type::info, std::string("SCP"),
                     "Stopped SCP " + name);
  });
  auto repo = [self]() -> persistence::scp_repo& { return *self->state.repo; };
  return {
      [=](list_atom, std::int64_t start_index, std::int64_t count) {
        return database_call<std::vector<scp>>("scp", [&]() -> caf::result<std::vector<scp>> {
          return repo().list(start_index, count);
        });
      },
      [=](add_atom, const scp& requested) {
        return database_call<scp>("scp", [&]() -> caf::result<scp> {
          if (auto existing = repo().by_name(requested.name)) return *existing;
          if (auto e = validate(repo(), requested)) return e;
          auto record = repo().insert(requested);
          try {
            start(self, record);
          } catch (const dicom::scp_error& e) {
            repo().remove(record.id);
            return invalid(e.what());
          }
          persistence::notify_change(*self->state.db, persistence::topic::scps);
          return record;
        });
      },
      [=](delete_atom, std::int64_t id) {
        stop(self, id);
        return database_call<bool>("scp", [&]() -> caf::result<bool> {
          auto s = repo().by_id(id);
          if (!s || !repo().remove(id)) return false;
          persistence::notify_change(*self->state.db, persistence::topic::scps);
          caf::anon_send(self->state.config.events, source_deleted{{"scp", s->name, id}});
          return true;
        });
      },
      [=](update_atom) {
        try {
          start_stored(self);
        } catch (const persistence::database_error& e) {
          spdlog::error("scp: {}", e.what());
        }
      },
  };
}

}  // namespace

proto::scp_actor spawn_scp_actor(caf::actor_system& sys, scp_service_config config) {
  return sys.spawn<caf::detached>(scp_behavior, std::move(config));
}

}  // namespace sbx::actors
