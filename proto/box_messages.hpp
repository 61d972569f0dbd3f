// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/box.hpp"
#include "proto/events.hpp"
#include "proto/metadata.hpp"

namespace sbx::proto {

// The box protocol's own verbs.
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using create_atom = caf::atom_constant<caf::atom("create")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using incoming_atom = caf::atom_constant<caf::atom("incoming")>;
using outgoing_atom = caf::atom_constant<caf::atom("outgoing")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// The box service (docs/federation.md): boxes, their transactions, the transaction protocol
/// served to remote boxes, and the push and poll engines of PUSH boxes. Bad input:
/// errc::bad_request; unknown box token: errc::unauthorized; unknown things: errc::not_found;
/// a fault of this node (database, disk, ingest): errc::internal or errc::unavailable, which a
/// remote sender retries.
using box_actor = caf::typed_actor<
    // `GET /boxes`: a page of boxes in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<box>>,
    // `POST /boxes/createconnection`: the POLL box for a remote that will connect to us.
    caf::replies_to<create_atom, remote_box>::with<box>,
    // `POST /boxes/connect`: the PUSH box for a public remote; its engines start.
    caf::replies_to<connect_atom, remote_box>::with<box>,
    // `DELETE /boxes/{id}`: answers whether it existed; its transactions stay.
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // `POST /boxes/{id}/send`: queues an outgoing transaction.
    caf::replies_to<send_atom, std::int64_t, box_send_request>::with<outgoing_transaction>,
    // Forwarding (proto::box_forwarding_actor): the images to a box with its default profile and
    // no tag values, answering the outgoing transaction's id; an outgoing transaction's status
    // ("" once it is gone).
    caf::replies_to<forward_atom, std::int64_t, std::vector<std::int64_t>>::with<std::int64_t>,
    caf::replies_to<forward_atom, status_atom, std::int64_t>::with<std::string>,
    // GET /metrics: transactions and images left by direction and status
    caf::replies_to<list_atom, status_atom>::with<std::vector<box_queue>>,
    // `GET /boxes/incoming`, `/boxes/outgoing`: pages, most recently updated first.
    caf::replies_to<list_atom, incoming_atom, std::int64_t,
                    std::int64_t>::with<std::vector<incoming_transaction>>,
    caf::replies_to<list_atom, outgoing_atom, std::int64_t,
                    std::int64_t>::with<std::vector<outgoing_transaction>>,
    // `DELETE /boxes/incoming/{id}`, `/boxes/outgoing/{id}`.
    caf::replies_to<delete_atom, incoming_atom, std::int64_t>::with<bool>,
    caf::replies_to<delete_atom, outgoing_atom, std::int64_t>::with<bool>,
    // `GET /boxes/incoming/{id}/images`, `/boxes/outgoing/{id}/images`: the images that exist.
    caf::replies_to<images_atom, incoming_atom, std::int64_t>::with<std::vector<image>>,
    caf::replies_to<images_atom, outgoing_atom, std::int64_t>::with<std::vector<image>>,
    // T1 `POST /transactions/{token}/image`: answers once the image is stored and recorded (or
    // rejected as not DICOM); a fault of ours is an error, so the sender tries again.
    caf::replies_to<image_atom, box_delivery>::with<bool>,
    // T2 `GET /transactions/{token}/status` (token, sender's transaction id).
    caf::replies_to<status_atom, std::string, std::int64_t>::with<std::string>,
    // T3 `PUT /transactions/{token}/status` (token, transaction id, status).
    caf::replies_to<status_atom, std::string, std::int64_t, std::string>::with<bool>,
    // T4 `GET /transactions/{token}/outgoing/poll` (token, n).
    caf::replies_to<poll_atom, std::string,
                    std::int64_t>::with<std::vector<outgoing_transaction_image>>,
    // T5 `GET /transactions/{token}/outgoing` (token, transaction id, outgoing image id): the
    // anonymized DICOM to send, and the zlib level the route compresses it at.
    caf::replies_to<get_atom, std::string, std::int64_t, std::int64_t>::with<anonymization_output,
                                                                             int>,
    // T6 `POST /transactions/{token}/outgoing/done`.
    caf::replies_to<done_atom, std::string, outgoing_transaction_image>::with<bool>,
    // T7 `POST /transactions/{token}/outgoing/failed`.
    caf::replies_to<failed_atom, std::string, failed_outgoing_image>::with<bool>,
    // Event: images deleted anywhere lose their transaction rows.
    caf::reacts_to<images_deleted>,
    // Housekeeping (the service's own timer): online flags, stale transactions.
    caf::reacts_to<tick_atom>>;

}  // namespace sbx::proto
