// SPDX-License-Identifier: Apache-2.0
#include "actors/box_receiver.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <map>
#include <utility>
#include <vector>

#include "actors/box_link.hpp"
#include "actors/box_payload.hpp"
#include "actors/clock.hpp"
#include "persistence/box_repo.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

void note(const box_service_config& config, log_type type, std::string message) {
  caf::anon_send(config.log, log_atom::value, type, std::string("Box"), std::move(message));
}

/// Records deliveries in groups: what arrives while a group is being committed waits for the
/// next one, so a commit (a disk sync) is shared by the images received meanwhile.
struct recorder_state {
  static inline const char* name = "box-recorder";
  struct waiting {
    persistence::incoming_delivery delivery;
    caf::typed_response_promise<bool> promise;
  };
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::box_repo> repo;
  std::vector<waiting> queue;
  /// Acknowledgements of our images by a remote that polls (`POST .../outgoing/done`).
  struct acknowledged {
    std::int64_t box_id;
    std::int64_t transaction_id;
    std::int64_t image_row_id;
    caf::typed_response_promise<bool> promise;
  };
  std::vector<acknowledged> acknowledgements;
  bool flush_sent = false;
};

/// Commits the acknowledgements waiting (one database transaction) and answers them.
void flush_acknowledgements(caf::stateful_actor<recorder_state>* self,
                            const box_service_config& config) {
  auto& s = self->state;
  auto group = std::exchange(s.acknowledgements, {});
  if (group.empty()) return;
  try {
    std::vector<std::pair<std::int64_t, std::int64_t>> sent;
    for (const auto& a : group)
      if (s.repo->outgoing_image(a.box_id, a.transaction_id, a.image_row_id))
        sent.emplace_back(a.transaction_id, a.image_row_id);
    for (const auto id : s.repo->mark_sent(sent, now_ms()))
      if (s.repo->finish_if_complete(id, now_ms())) announce_finished(config, *s.repo, id);
    for (auto& a : group) a.promise.deliver(true);
  } catch (const std::exception& e) {
    spdlog::error("box: database failure: {}", e.what());
    for (auto& a : group) a.promise.deliver(internal_error());
  }
}

caf::behavior recorder(caf::stateful_actor<recorder_state>* self, box_service_config config) {
  self->state.db = persistence::open_database(config.database);
  self->state.repo = std::make_unique<persistence::box_repo>(*self->state.db);
  return {
      [=](record_atom, const box& b, const box_delivery& d, std::int64_t image_id, bool added,
          std::string& error) -> caf::result<bool> {
        auto& s = self->state;
        auto promise = self->make_response_promise<bool>();
        s.queue.push_back(
            {{b.id, b.name, d.transaction_id, d.sequence_number, d.total_image_count,
              image_id >= 0 ? std::optional{image_id} : std::nullopt, added, std::move(error)},
             promise});
        if (!s.flush_sent) {
          s.flush_sent = true;
          self->send(self, flush_atom::value);
        }
        return promise;
      },
      [=](done_atom, const box& b, const outgoing_transaction_image& ti) -> caf::result<bool> {
        auto& s = self->state;
        auto promise = self->make_response_promise<bool>();
        s.acknowledgements.push_back({b.id, ti.transaction.id, ti.image.id, promise});
        if (!s.flush_sent) {
          s.flush_sent = true;
          self->send(self, flush_atom::value);
        }
        return promise;
      },
      [=](flush_atom) {
        auto& s = self->state;
        s.flush_sent = false;
        flush_acknowledgements(self, config);
        if (s.queue.empty()) return;
        auto group = std::exchange(s.queue, {});
        std::vector<persistence::incoming_delivery> deliveries;
        for (const auto& w : group) deliveries.push_back(w.delivery);
        try {
          // Which transactions were finished before, to log each end once.
          std::map<std::pair<std::int64_t, std::int64_t>, bool> finished_before;
          for (const auto& d : deliveries) {
            const auto key = std::pair{d.box_id, d.transaction_id};
            if (finished_before.count(key)) continue;
            auto t = s.repo->incoming_of(d.box_id, d.transaction_id);
            finished_before[key] = t && t->status == finished_status;
          }
          const auto recorded = s.repo->record_incoming(deliveries, now_ms());
          for (std::size_t i = 0; i < group.size(); ++i) {
            const auto& t = recorded[i];
            auto& before = finished_before[{deliveries[i].box_id, deliveries[i].transaction_id}];
            if (t.status == finished_status && !before) {
              before = true;
              note(config, log_type::info,
                   "Received " + std::to_string(t.received_image_count) + " images from box " +
                       deliveries[i].box_name + " (" + std::to_string(t.added_image_count) +
                       " new)");
            }
          }
          for (auto& w : group) w.promise.deliver(true);
        } catch (const std::exception& e) {
          spdlog::error("box: database failure: {}", e.what());
          for (auto& w : group) w.promise.deliver(internal_error());
        }
      },
  };
}

/// One worker: inflates a payload into the store's tmp/ folder, hands it to ingest, has it
/// recorded, answers.
caf::behavior receiver(caf::event_based_actor* self, box_service_config config,
                       caf::actor recorder) {
  return {
      [=](image_atom, box& b, box_delivery& d) -> caf::result<bool> {
        const auto inflated = config.store->temp_path();
        std::string why;
        payload_state state;
        std::error_code ec;
        try {
          state = inflate_payload(std::filesystem::path(d.file), inflated, why);
        } catch (const std::exception& e) {
          spdlog::error("box: cannot inflate a payload from {}: {}", b.name, e.what());
          std::filesystem::remove(inflated, ec);
          std::filesystem::remove(d.file, ec);
          return internal_error();
        }
        std::filesystem::remove(d.file, ec);
        if (state != payload_state::complete) {
          std::filesystem::remove(inflated, ec);
          note(config, log_type::warn,
               "Image " + std::to_string(d.sequence_number) + " of transaction " +
                   std::to_string(d.transaction_id) + " from box " + b.name +
                   " arrived incomplete and will be sent again: " + why);
          return make_error(errc::unavailable, "Incomplete image payload: " + why);
        }
        auto promise = self->make_response_promise<bool>();
        auto record = [=](std::int64_t image_id, bool added, std::string error) mutable {
          self->request(recorder, caf::infinite, record_atom::value, b, d, image_id, added,
                        std::move(error))
              .then([promise](bool ok) mutable { promise.deliver(ok); },
                    [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
        };
        ingest_request r{inflated.string(), source{"box", b.name, b.id}, context_set::extended,
                         true};
        self->request(config.ingest, caf::infinite, ingest_atom::value, std::move(r))
            .then([record](const ingest_result& r) mutable { record(r.img.id, r.added, {}); },
                  [=](caf::error& e) mutable {
                    if (e.category() == error_category &&
                        static_cast<errc>(e.code()) == errc::bad_request) {
                      auto why = e.context().match_elements<std::string>()
                                     ? e.context().get_as<std::string>(0)
                                     : std::string("invalid data");
                      note(config, log_type::warn,
                           "Ignoring rejected image from " + b.name + " in transaction " +
                               std::to_string(d.transaction_id) + ": " + why);
                      return record(-1, false, why);
                    }
                    promise.deliver(std::move(e));
                  });
        return promise;
      },
  };
}

}  // namespace

void box_receiver::stop() const {
  caf::anon_send_exit(workers, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
}

box_receiver spawn_box_receiver(caf::actor_system& sys, const box_service_config& config) {
  auto records = sys.spawn<caf::detached>(recorder, config);
  auto factory = [&sys, config, records] {
    return sys.spawn<caf::detached>(receiver, config, records);
  };
  auto pool =
      caf::actor_pool::make(sys.dummy_execution_unit(), std::max(1u, config.settings.parallelism),
                            factory, caf::actor_pool::round_robin());
  return {pool, records};
}

}  // namespace sbx::actors
