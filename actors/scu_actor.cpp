// SPDX-License-Identifier: Apache-2.0
#include "actors/scu_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/database_call.hpp"
#include "dicom/dimse_scu.hpp"
#include "persistence/scu_repo.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct scu_state {
  static inline const char* name = "scu";
  scu_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::scu_repo> repo;
};

using scu_pointer = scu_actor::stateful_pointer<scu_state>;

/// Why SCU data is refused (POST /api/scus: as for SCPs), if it is.
std::optional<std::string> invalid_scu_data(const scu& s) {
  // Leading and trailing spaces (and control characters, as Java's trim) do not count.
  const auto first =
      std::find_if(s.ae_title.begin(), s.ae_title.end(), [](unsigned char c) { return c > ' '; });
  const auto last =
      std::find_if(s.ae_title.rbegin(), s.ae_title.rend(), [](unsigned char c) { return c > ' '; });
  if (first == s.ae_title.end()) return "Ae title must not be empty";
  if (std::distance(first, last.base()) > 16)
    return "Ae title must not exceed 16 characters, excluding leading and trailing epaces.";
  if (s.port < 0 || s.port > 65535) return "Port must be a value between 0 and 65535";
  return std::nullopt;
}

/// How the API names a peer in its messages: `<ae>@<host>:<port>`.
std::string peer_name(const scu& s) {
  return s.ae_title + "@" + s.host + ":" + std::to_string(s.port);
}

/// The client's error for a failed send (POST /api/scus/{id}/send, docs/api.md#scus).
caf::error send_error(const scu& s, const dicom::store_error& e) {
  const auto where = peer_name(s);
  switch (e.kind()) {
    case dicom::store_failure::unknown_host:
      return make_error(errc::bad_gateway, "Unknown host " + where);
    case dicom::store_failure::connection_refused:
      return make_error(errc::bad_gateway, "Connection refused on host " + where);
    case dicom::store_failure::no_route:
      return make_error(errc::bad_gateway, "No route found to host " + where);
    case dicom::store_failure::no_presentation_context:
      return make_error(errc::bad_gateway,
                        "No presentation context when sending to " + where + ": " + e.what());
    case dicom::store_failure::failed:
      break;
  }
  return make_error(errc::bad_gateway, "Unable to send images to " + where + ": " + e.what());
}

/// Who hears of each image a send got acknowledged, if anyone (a forwarding batch).
struct progress_sink {
  caf::actor actor;
  std::int64_t tag = -1;
};

/// One send, run to its end in the calling (detached) thread: the association, the logging of
/// what happened, and the answer for the client. `on_stored` gets the position of each file the
/// peer acknowledged.
caf::result<std::int64_t> run_send(const scu& s, const std::vector<std::string>& files,
                                   const log_actor& log,
                                   const std::function<void(std::size_t)>& on_stored) {
  auto note = [&log](log_type type, std::string message) {
    caf::anon_send(log, log_atom::value, type, std::string("SCU"), std::move(message));
  };
  note(log_type::info, "Sending " + std::to_string(files.size()) + " images using SCU " + s.name);
  dicom::store_peer peer;
  peer.called_ae = s.ae_title;
  peer.host = s.host;
  peer.port = static_cast<std::uint16_t>(s.port);
  try {
    const auto report = dicom::send_files(peer, {files.begin(), files.end()}, on_stored);
    for (const auto& why : report.skipped)
      note(log_type::error, "Image not sent to " + s.name + ": " + why);
    for (const auto& w : report.warnings) note(log_type::warn, "Sending to " + s.name + ": " + w);
    note(log_type::info,
         "Finished sending " + std::to_string(files.size()) + " images using SCU " + s.name);
    if (report.sent < files.size())
      note(log_type::warn, std::to_string(files.size() - report.sent) + " of " +
                               std::to_string(files.size()) +
                               " images could not be found and were not sent");
    return static_cast<std::int64_t>(report.sent);
  } catch (const dicom::store_error& e) {
    auto error = send_error(s, e);
    note(log_type::error, error.context().get_as<std::string>(0));
    return error;
  } catch (const std::exception& e) {
    spdlog::error("scu {}: {}", s.name, e.what());
    return make_error(errc::internal, "There was an internal server error.");
  }
}

/// Sends on a thread of its own (an association blocks for as long as it lasts), publishes
/// images_sent once the peer has acknowledged them all, and answers the promise.
void start_send(scu_pointer self, scu s, std::vector<std::int64_t> image_ids,
                std::vector<std::string> files, caf::typed_response_promise<std::int64_t> promise,
                progress_sink progress) {
  auto log = self->state.config.log;
  images_sent sent_event{destination{"scu", s.name, s.id}, image_ids, -1};
  auto sender = self->spawn<caf::detached>([s = std::move(s), files = std::move(files), log,
                                            image_ids = std::move(image_ids),
                                            progress](caf::event_based_actor* me) -> caf::behavior {
    return {[=](send_atom) {
      me->quit();
      if (!progress.actor) return run_send(s, files, log, {});
      // The sink records each acknowledged image before the next is sent, so a send that is
      // cut (the node killed) is known up to the image in flight.
      caf::scoped_actor blocking{me->system()};
      return run_send(s, files, log, [&](std::size_t i) {
        blocking
            ->request(progress.actor, std::chrono::seconds{30}, progress_atom::value, progress.tag,
                      image_ids[i])
            .receive([](bool) {},
                     [&](const caf::error& e) {
                       spdlog::warn("scu {}: image {} sent, but not recorded: {}", s.name,
                                    image_ids[i], caf::to_string(e));
                     });
      });
    }};
  });
  self->request(sender, caf::infinite, send_atom::value)
      .then(
          [=](std::int64_t sent) mutable {
            if (self->state.config.events) caf::anon_send(self->state.config.events, sent_event);
            promise.deliver(sent);
          },
          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
}

/// Looks up the files of the images (all of them must exist), then sends them.
void locate_and_send(scu_pointer self, scu s, std::vector<std::int64_t> image_ids,
                     caf::typed_response_promise<std::int64_t> promise, progress_sink progress) {
  struct lookup {
    std::vector<std::string> files;
    std::size_t left = 0;
    bool failed = false;
  };
  auto state = std::make_shared<lookup>();
  state->files.resize(image_ids.size());
  state->left = image_ids.size();
  if (image_ids.empty()) return start_send(self, std::move(s), {}, {}, promise, progress);
  for (std::size_t i = 0; i < image_ids.size(); ++i) {
    self->request(self->state.config.storage, caf::infinite, file_atom::value, image_ids[i])
        .then(
            [=](std::string& path) mutable {
              state->files[i] = std::move(path);
              if (--state->left == 0 && !state->failed)
                start_send(self, s, image_ids, std::move(state->files), promise, progress);
            },
            [=](caf::error& e) mutable {
              if (!state->failed) promise.deliver(std::move(e));
              state->failed = true;
            });
  }
}

/// POST /api/scus/{id}/send, and forwarding's sends with their progress.
caf::result<std::int64_t> send(scu_pointer self, std::int64_t id,
                               std::vector<std::int64_t> image_ids, progress_sink progress) {
  return database_call<std::int64_t>("scu", [&]() -> caf::result<std::int64_t> {
    auto s = self->state.repo->by_id(id);
    if (!s) return make_error(errc::not_found, "SCU with id " + std::to_string(id) + " not found");
    auto promise = self->make_response_promise<std::int64_t>();
    locate_and_send(self, std::move(*s), std::move(image_ids), promise, std::move(progress));
    return promise;
  });
}

scu_actor::behavior_type scu_behavior(scu_pointer self, scu_service_config config) {
  self->state.config = std::move(config);
  self->state.db = persistence::open_database(self->state.config.database);
  self->state.repo = std::make_unique<persistence::scu_repo>(*self->state.db);
  auto repo = [self]() -> persistence::scu_repo& { return *self->state.repo; };
  return {
      [=](list_atom, std::int64_t start, std::int64_t count) {
        return database_call<std::vector<scu>>(
            "scu", [&]() -> caf::result<std::vector<scu>> { return repo().list(start, count); });
      },
      [=](add_atom, const scu& s) {
        return database_call<scu>("scu", [&]() -> caf::result<scu> {
          for (int attempt = 0; attempt < 2; ++attempt) {
            if (auto existing = repo().by_name(s.name)) return *existing;
            if (auto why = invalid_scu_data(s)) return make_error(errc::bad_request, *why);
            if (repo().by_host_port(s.host, s.port))
              return make_error(
                  errc::bad_request,
                  "Host " + s.host + " and port " + std::to_string(s.port) + " is already in use");
            try {
              return repo().insert(s);
            } catch (const persistence::database_error& e) {
              // Created by someone else in between: look again.
              if (e.kind() != persistence::db_failure::unique_violation) throw;
            }
          }
          return make_error(errc::internal, "There was an internal server error.");
        });
      },
      [=](delete_atom, std::int64_t id) {
        return database_call<bool>("scu", [&]() -> caf::result<bool> { return repo().remove(id); });
      },
      [=](send_atom, std::int64_t id, std::vector<std::int64_t>& image_ids) {
        return send(self, id, std::move(image_ids), {});
      },
      [=](send_atom, std::int64_t id, std::vector<std::int64_t>& image_ids, caf::actor& progress,
          std::int64_t tag) {
        return send(self, id, std::move(image_ids), {std::move(progress), tag});
      },
  };
}

}  // namespace

proto::scu_actor spawn_scu_actor(caf::actor_system& sys, scu_service_config config) {
  return sys.spawn<caf::detached>(scu_behavior, std::move(config));
}

}  // namespace sbx::actors
