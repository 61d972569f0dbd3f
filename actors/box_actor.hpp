// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/box_payload.hpp"
#include "actors/box_tokens.hpp"
#include "actors/cluster_member.hpp"
#include "persistence/database.hpp"
#include "persistence/file_store.hpp"
#include "proto/anonymization_messages.hpp"
#include "proto/box_messages.hpp"
#include "proto/ingest_messages.hpp"
#include "proto/log_messages.hpp"
#include "proto/metadata_messages.hpp"

namespace sbx::actors {

/// How the box engines pace themselves (docs/federation.md, "Timing"); the defaults are
/// Slicebox 2.1.1's fixed values.
struct box_settings {
  std::chrono::milliseconds interval{15000};       ///< between batches when there is nothing to do
  std::int64_t batch_size = 200;                   ///< images per local poll or remote poll
  unsigned parallelism = 8;                        ///< images prepared and in flight at once
  std::chrono::milliseconds housekeeping{7000};    ///< online flags and stale transactions
  std::chrono::milliseconds offline_after{15000};  ///< no contact for this long: offline, stale
  std::chrono::milliseconds request_timeout{600000};  ///< one whole box-to-box exchange
  std::chrono::milliseconds connect_timeout{20000};
  std::chrono::milliseconds stall_timeout{30000};  ///< no byte moving for this long: cut
  std::int64_t max_attempts = 10;                  ///< failures of one image before it is skipped
  int compression_level = default_compression_level;  ///< zlib level of the payloads we send
  std::chrono::milliseconds max_backoff{3600000};     ///< longest wait before an image is retried
  std::string ca_file;  ///< extra trusted CA certificates (PEM) for https peers
  std::string proxy;    ///< HTTP(S) proxy for outgoing requests ("" = the environment's)
};

/// What the box service needs.
struct box_service_config {
  persistence::database_config database;
  std::shared_ptr<const persistence::file_store> store;
  proto::metadata_actor metadata;
  proto::ingest_actor ingest;
  proto::anonymization_actor anonymization;
  proto::log_actor log;
  caf::group events;  ///< source_added/deleted and images_sent are published here
  std::shared_ptr<box_tokens> tokens = std::make_shared<box_tokens>();
  /// The base URL remote boxes reach our API at (`https://host/api`), for POLL boxes' baseUrl.
  /// Set once the listener is bound, before the node takes requests.
  std::shared_ptr<std::string> api_base_url = std::make_shared<std::string>();
  box_settings settings;
  /// The engines of PUSH boxes and the housekeeping run only while this node leads (none:
  /// always); the transaction protocol is served by every node.
  std::shared_ptr<cluster_member> cluster;
};

/// Spawns the box service on its own thread (it owns the box tables), and the engines of the
/// stored PUSH boxes, each on a thread of its own.
proto::box_actor spawn_box_actor(caf::actor_system& sys, box_service_config config);

}  // namespace sbx::actors
