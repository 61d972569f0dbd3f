// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/box_actor.hpp"

namespace sbx::actors {

/// Receives the images pushed to our POLL boxes (`POST /api/transactions/{token}/image`) off the
/// box service's thread (docs/federation.md, "Engines"): `parallelism` workers each inflate a
/// payload, hand it to ingest and record it, several images at once; the records of the images
/// that arrive meanwhile are committed together. Takes `(image_atom, box, box_delivery)` once
/// the token is checked and answers true only when the image is stored and recorded (an
/// incomplete payload: errc::unavailable, to be sent again).
struct box_receiver {
  caf::actor workers;  ///< takes the deliveries
  /// Commits their records, and the acknowledgements (`POST .../outgoing/done`) of a remote
  /// that polls us, in groups: `(done_atom, box, outgoing_transaction_image)` answers true once
  /// the image is marked sent.
  caf::actor recorder;
  /// Ends both (the box service does when it ends).
  void stop() const;
};

box_receiver spawn_box_receiver(caf::actor_system& sys, const box_service_config& config);

}  // namespace sbx::actors
