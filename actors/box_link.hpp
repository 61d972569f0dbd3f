// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <memory>

#include "actors/box_actor.hpp"
#include "actors/box_workers.hpp"
#include "http/client/client.hpp"
#include "persistence/box_repo.hpp"
#include "proto/box.hpp"

namespace sbx::actors {

/// The engines of one PUSH box (docs/federation.md, "Engines"): the push loop sends our
/// outgoing transactions to the public remote, the poll loop fetches what the remote queued
/// for us. Both run in one thread of their own, batch after batch while there is work, then
/// once per interval. Everything they need to resume is in the database.
struct box_link_config {
  box_service_config service;
  std::shared_ptr<http::client::client> client;
  std::shared_ptr<box_workers> workers;  ///< compress and inflate payloads
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

/// Logs the end of an outgoing transaction that has just finished and publishes images_sent
/// (exactly once: callers act only when their guarded update finished it).
void announce_finished(const box_service_config& config, persistence::box_repo& repo,
                       std::int64_t transaction_id);

/// Spawns the engines of `b`. `tick_atom` starts a batch now; `delete_atom` (or setting
/// `stop`) ends them after the exchange in flight.
caf::actor spawn_box_link(caf::actor_system& sys, box_link_config config, proto::box b);

}  // namespace sbx::actors
