// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <memory>

#include "actors/credential_cache.hpp"
#include "actors/metrics.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "proto/user_messages.hpp"

namespace sbx::http {

/// Turns each request into work for a pool of bridge actors: authenticate (HTTP basic or the
/// session cookie), route, check the role, run the route's handler. The calling I/O thread only
/// enqueues; it never waits on an actor.
class frontend {
 public:
  /// `verified` lets basic authentication skip the users actor for passwords it already checked;
  /// every answer is counted in `counters` (GET /metrics), if given. `storage_full`, if given,
  /// tells whether the data folder's file system is full: a fault of the node (500) is then
  /// answered 507 Insufficient Storage (docs/operations.md#full-disk).
  frontend(caf::actor_system& sys, std::shared_ptr<const router> routes, proto::user_actor users,
           std::shared_ptr<const actors::credential_cache> verified, unsigned bridges,
           std::shared_ptr<actors::metrics> counters = nullptr,
           std::function<bool()> storage_full = {});
  ~frontend();

  /// The function the HTTP server calls for every request.
  request_handler handler();
  /// The function the HTTP server calls with the header of every request that has a body, before
  /// it reads the body: authentication, routing and the route's role, as for the whole request.
  admission_handler admission();
  /// Stops the bridge actors.
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace sbx::http
