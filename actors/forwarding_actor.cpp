// SPDX-License-Identifier: Apache-2.0
#include "actors/forwarding_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "actors/event_relay.hpp"
#include "persistence/forwarding_repo.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct forwarding_state {
  static inline const char* name = "forwarding";
  forwarding_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::forwarding_repo> repo;
  std::set<std::int64_t> finalizing;  ///< delivered batches whose images are being deleted
  std::set<std::int64_t> checking;    ///< enroute box batches whose transaction is being asked
  std::int64_t last_repair = 0;       ///< epoch ms of the last look at box transactions
  /// Images stored since the last flush: recorded together, in one transaction, once the
  /// events queued with them are read (a flush message follows the first of them).
  std::vector<image_added> arrived;
  bool flush_queued = false;
  bool leading = false;  ///< this node led at the last step
};

using forwarding_pointer = forwarding_actor::stateful_pointer<forwarding_state>;

/// The client-facing message of an error.
std::string message_of(const caf::error& e) {
  if (e.context().match_elements<std::string>()) return e.context().get_as<std::string>(0);
  return caf::to_string(e);
}

/// Writes an entry of the API log under the subject Slicebox uses.
void note(forwarding_pointer self, log_type type, std::string message) {
  self->send(self->state.config.log, log_atom::value, type, std::string("Forwarding"),
             std::move(message));
}

/// How often the engine looks for batches to send, deliveries to finalize and box transfers
/// to check: often enough that a batch leaves soon after its idle time.
std::chrono::milliseconds step_interval(const forwarding_config& c) {
  auto shortest = std::min(c.batch_idle, c.retry_initial) / 4;
  return std::clamp<std::chrono::milliseconds>(shortest, std::chrono::milliseconds{10},
                                               std::chrono::seconds{5});
}

/// When a batch that failed `attempts` times before may be tried again.
std::int64_t next_attempt(const forwarding_config& c, std::int64_t attempts) {
  auto wait = c.retry_initial.count();
  for (std::int64_t i = 0; i < attempts && wait < c.retry_max.count(); ++i) wait *= 2;
  return now_ms() + std::min<std::int64_t>(wait, c.retry_max.count());
}

/// Runs engine work that touches the database; a failure is logged and retried by a later
/// step (everything the engine knows is in the database).
template <class F>
void guarded(const char* what, F&& body) {
  try {
    body();
  } catch (const persistence::database_error& e) {
    spdlog::error("forwarding: {}: database failure: {}", what, e.what());
  }
}

void finalize(forwarding_pointer self);

/// Records the images that arrived in the batches of their sources' rules (rules with an
/// unknown destination collect nothing). Kept for the next attempt if the database fails.
void record_arrivals(forwarding_pointer self) {
  auto& st = self->state;
  if (st.arrived.empty()) return;
  guarded("image added", [&] {
    std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> by_source;
    for (const auto& e : st.arrived) by_source[{e.src.type, e.src.id}].push_back(e.image_id);
    std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> arrivals;
    for (const auto& [src, images] : by_source)
      for (const auto& r : st.repo->of_source(src.first, src.second))
        if (r.dest.type != "unknown") arrivals.emplace_back(r.id, images);
    if (!arrivals.empty()) st.repo->add_images(arrivals, now_ms());
    st.arrived.clear();
  });
}

/// A batch was handed over and acknowledged.
void delivered(forwarding_pointer self, std::int64_t batch_id) {
  guarded("delivery", [&] {
    self->state.repo->move(batch_id, batch_state::enroute, batch_state::delivered, now_ms());
  });
  finalize(self);
}

/// A batch could not be handed over: fresh again, retried after a back-off.
void failed(forwarding_pointer self, const forwarding_batch& b) {
  guarded("failure", [&] {
    self->state.repo->fail(b.id, next_attempt(self->state.config, b.attempts), now_ms());
  });
}

/// Hands a batch to its rule's destination (spec: an SCU send, or an outgoing box transaction
/// with the box's default profile).
void dispatch(forwarding_pointer self, const forwarding_rule& rule, const forwarding_batch& b) {
  note(self, log_type::info,
       "Forwarding " + std::to_string(b.image_ids.size()) + " images from " + rule.src.type + " " +
           rule.src.name + " to " + rule.dest.type + " " + rule.dest.name + ".");
  auto& c = self->state.config;
  if (rule.dest.type == "scu") {
    // Only what the destination has not acknowledged yet (docs/forwarding.md, Failures and
    // restarts): each image it acknowledges is recorded before the next is sent.
    std::optional<std::vector<std::int64_t>> unsent;
    guarded("dispatch", [&] { unsent = self->state.repo->unsent_images(b.id); });
    if (!unsent) return failed(self, b);
    if (unsent->empty()) return delivered(self, b.id);  // acknowledged before the last leader died
    self->request(c.scus, caf::infinite, send_atom::value, rule.dest.id, std::move(*unsent),
                  caf::actor_cast<caf::actor>(self), b.id)
        .then([self, id = b.id](std::int64_t) { delivered(self, id); },
              [self, b](caf::error& e) {
                note(self, log_type::warn,
                     "Could not forward images to SCP. Trying again later. Message: " +
                         message_of(e));
                failed(self, b);
              });
    return;
  }
  if (rule.dest.type == "box") {
    auto box_failure = [self, b, name = rule.dest.name](const std::string& why) {
      note(self, log_type::error, "Could not forward images to remote box " + name + ": " + why);
      failed(self, b);
    };
    if (!c.boxes) return box_failure("this node has no box service");
    self->request(c.boxes, caf::infinite, forward_atom::value, rule.dest.id, b.image_ids)
        .then(
            [self, id = b.id](std::int64_t transaction) {
              guarded("link", [&] { self->state.repo->link_box_transaction(id, transaction); });
            },
            [box_failure](caf::error& e) { box_failure(message_of(e)); });
    return;
  }
  note(self, log_type::error, "Unknown destination type");
  failed(self, b);
}

/// Sends every batch that has been idle long enough and is not waiting out a back-off.
void dispatch_due(forwarding_pointer self) {
  auto& st = self->state;
  const auto now = now_ms();
  guarded("dispatch", [&] {
    for (const auto& b : st.repo->due(now - st.config.batch_idle.count(), now)) {
      auto rule = st.repo->by_id(b.rule_id);
      if (!rule || !st.repo->move(b.id, batch_state::fresh, batch_state::enroute, now)) continue;
      dispatch(self, *rule, b);
    }
  });
}

/// A lost `images_sent` of a box is repaired from the linked outgoing transaction: finished
/// means delivered; failed or deleted means the batch is sent again.
void repair_box_batches(forwarding_pointer self) {
  auto& st = self->state;
  if (!st.config.boxes || now_ms() - st.last_repair < st.config.retry_initial.count()) return;
  st.last_repair = now_ms();
  guarded("repair", [&] {
    for (const auto& b : st.repo->enroute_to_boxes()) {
      if (!st.checking.insert(b.id).second) continue;
      self->request(st.config.boxes, caf::infinite, forward_atom::value, status_atom::value,
                    b.box_transaction)
          .then(
              [self, b](const std::string& status) {
                self->state.checking.erase(b.id);
                if (status == "FINISHED") {
                  guarded("repair", [&] {
                    self->state.repo->deliver_box_transaction(b.box_transaction, now_ms());
                  });
                  finalize(self);
                } else if (status == "FAILED" || status.empty()) {
                  note(self, log_type::warn,
                       "Outgoing box transaction " + std::to_string(b.box_transaction) +
                           (status.empty() ? " was deleted" : " failed") + ". Trying again later.");
                  failed(self, b);
                }
              },
              [self, id = b.id](caf::error&) { self->state.checking.erase(id); });
    }
  });
}

/// Removes delivered batches. Those of keepImages=false rules also delete their images, once
/// no batch still forwarding them holds them (every rule of the source delivered them);
/// the batch stays until the deletion succeeded, so a restart resumes it.
void finalize(forwarding_pointer self) {
  auto& st = self->state;
  std::int64_t finalized = 0;
  std::vector<std::int64_t> deleting_batches;
  std::vector<std::int64_t> images;
  guarded("finalize", [&] {
    for (const auto& b : st.repo->delivered()) {
      if (st.finalizing.count(b.id)) continue;
      auto rule = st.repo->by_id(b.rule_id);
      if (!rule || rule->keep_images) {
        st.repo->remove_batch(b.id);
        ++finalized;
      } else if (!st.repo->images_still_forwarded(b.id)) {
        deleting_batches.push_back(b.id);
        images.insert(images.end(), b.image_ids.begin(), b.image_ids.end());
      }
    }
  });
  if (finalized > 0)
    note(self, log_type::info, "Finalized " + std::to_string(finalized) + " transactions.");
  if (deleting_batches.empty()) return;
  st.finalizing.insert(deleting_batches.begin(), deleting_batches.end());
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  self->request(st.config.metadata, caf::infinite, delete_atom::value, std::move(images))
      .then(
          [self, deleting_batches](const deletion&) {
            guarded("finalize", [&] {
              for (auto id : deleting_batches) self->state.repo->remove_batch(id);
            });
            for (auto id : deleting_batches) self->state.finalizing.erase(id);
            note(self, log_type::info,
                 "Finalized " + std::to_string(deleting_batches.size()) + " transactions.");
          },
          [self, deleting_batches](caf::error& e) {
            for (auto id : deleting_batches) self->state.finalizing.erase(id);
            note(self, log_type::error, "Could not delete images after transfer: " + message_of(e));
          });
}

/// Whether this node sends and finalizes batches now. A node that has just become the leader (or
/// started) first sends again the batches that were on their way to an SCU when the previous
/// leader (or this node) stopped: that send's answer is lost with the process.
bool leading(forwarding_pointer self) {
  auto& st = self->state;
  const bool now = leads(st.config.cluster);
  if (now && !st.leading)
    guarded("taking over", [&] {
      if (auto n = st.repo->reset_unlinked_enroute())
        spdlog::info(
            "forwarding: {} batches were being sent when the last leader stopped; sent again", n);
    });
  st.leading = now;
  return now;
}

void step(forwarding_pointer self) {
  record_arrivals(self);
  if (!leading(self)) return;
  dispatch_due(self);
  repair_box_batches(self);
  finalize(self);
}

/// The warnings a new rule deserves: it can send nothing, or it sends a box's images back.
void warn_about(forwarding_pointer self, const forwarding_rule& r) {
  if (r.dest.type == "unknown")
    note(self, log_type::warn,
         "Forwarding rule " + std::to_string(r.id) +
             " has an unknown destination type: nothing will be forwarded");
  if (r.src.type == "box" && r.dest.type == "box" && r.src.id == r.dest.id)
    note(self, log_type::warn,
         "Forwarding rule " + std::to_string(r.id) + " sends the images received from box " +
             r.src.name + " back to box " + r.dest.name);
}

forwarding_actor::behavior_type forwarding_behavior(forwarding_pointer self,
                                                    forwarding_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  st.db = persistence::open_database(st.config.database);
  st.repo = std::make_unique<persistence::forwarding_repo>(*st.db);
  self->send(self, step_atom::value);
  auto repo = [self]() -> persistence::forwarding_repo& { return *self->state.repo; };
  return {
      [=](list_atom, std::int64_t start, std::int64_t count) {
        return database_call<std::vector<forwarding_rule>>(
            "forwarding", [&]() -> caf::result<std::vector<forwarding_rule>> {
              return repo().list(start, count);
            });
      },
      [=](add_atom, forwarding_rule r) {
        return database_call<forwarding_rule>("forwarding", [&]() -> caf::result<forwarding_rule> {
          r.src.type = known_source_type(r.src.type);
          r.dest.type = known_destination_type(r.dest.type);
          for (int attempt = 0; attempt < 2; ++attempt) {
            if (auto existing = repo().find(r)) return *existing;
            try {
              auto created = repo().insert(r);
              warn_about(self, created);
              return created;
            } catch (const persistence::database_error& e) {
              // Created by someone else in between: look again.
              if (e.kind() != persistence::db_failure::unique_violation) throw;
            }
          }
          return make_error(errc::internal, "There was an internal server error.");
        });
      },
      [=](delete_atom, std::int64_t id) {
        record_arrivals(self);
        return database_call<bool>("forwarding",
                                   [&]() -> caf::result<bool> { return repo().remove(id); });
      },
      [=](const image_added& e) {
        auto& st = self->state;
        st.arrived.push_back(e);
        if (!st.flush_queued) {
          st.flush_queued = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) {
        self->state.flush_queued = false;
        record_arrivals(self);
      },
      [=](const images_deleted& e) {
        record_arrivals(self);  // an image that arrived just before is deleted too
        guarded("images deleted", [&] { repo().remove_images(e.image_ids); });
      },
      [=](const images_sent& e) {
        record_arrivals(self);
        std::int64_t n = 0;
        guarded("images sent", [&] {
          if (e.dest.type == "box" && e.transaction_id >= 0)
            n = repo().deliver_box_transaction(e.transaction_id, now_ms());
          if (n == 0) n = repo().deliver_images(e.dest, e.image_ids, now_ms());
        });
        if (n > 0 && leads(self->state.config.cluster)) finalize(self);
      },
      [=](const source_added& e) {
        record_arrivals(self);
        // A box that comes (back) is tried at once by the rules that send to it.
        guarded("source added", [&] { repo().retry_now_to(e.src.type, e.src.id); });
      },
      [=](const source_deleted& e) {
        record_arrivals(self);
        // Nothing more will come from a deleted source: its batches need not wait.
        guarded("source deleted", [&] { repo().expire_fresh_of_source(e.src.type, e.src.id); });
      },
      [=](progress_atom, std::int64_t batch, std::int64_t image) {
        guarded("progress", [&] { repo().mark_sent(batch, image); });
        return true;
      },
      [=](step_atom) {
        step(self);
        self->delayed_send(self, step_interval(self->state.config), step_atom::value);
      },
  };
}

}  // namespace

proto::forwarding_actor spawn_forwarding_actor(caf::actor_system& sys, forwarding_config config) {
  auto events = config.events;
  auto target = sys.spawn<caf::detached>(forwarding_behavior, std::move(config));
  relay_events<image_added, images_deleted, images_sent, source_added, source_deleted>(sys, events,
                                                                                       target);
  return target;
}

}  // namespace sbx::actors
