// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/cluster_member.hpp"
#include "actors/metrics.hpp"
#include "http/router.hpp"
#include "proto/services.hpp"

namespace sbx::http {

/// The actors the routes talk to (the node's service table), and the node-level hooks they need.
struct services : proto::services {
  int export_compression_level = 0;  ///< deflate level of export ZIPs (0 = stored)
  std::string version;
  std::function<void()> stop_node;            ///< asks the node to stop (returns at once)
  std::shared_ptr<actors::metrics> counters;  ///< what GET /metrics reports
  std::string metrics_token;  ///< metrics.token: if set, GET /metrics needs it as a Bearer token
  std::string database;       ///< "SQLite" or "PostgreSQL" (GET /api/system/status)
  std::int64_t started = 0;   ///< when the node started, ms since the epoch
  /// This node's role among the nodes sharing its database (GET /api/system/health and
  /// /status); none: a lone node, the leader.
  std::shared_ptr<const actors::cluster_member> cluster;
};

// One function per API group, each in its own file.
void add_user_routes(router& r, const services& s);
void add_log_routes(router& r, const services& s);
void add_system_routes(router& r, const services& s);
void add_dictionary_routes(router& r, const services& s);
void add_metadata_routes(router& r, const services& s);
void add_image_routes(router& r, const services& s);
void add_import_routes(router& r, const services& s);
void add_anonymization_routes(router& r, const services& s);
void add_series_type_routes(router& r, const services& s);
void add_directory_watch_routes(router& r, const services& s);
void add_filtering_routes(router& r, const services& s);
void add_scu_routes(router& r, const services& s);
void add_scp_routes(router& r, const services& s);
void add_forwarding_routes(router& r, const services& s);
void add_box_routes(router& r, const services& s);
void add_transaction_routes(router& r, const services& s);
/// DICOMweb under /dicom-web (docs/dicomweb.md).
void add_dicomweb_routes(router& r, const services& s);
/// GET /metrics (docs/operations.md#metrics).
void add_metrics_routes(router& r, const services& s);

/// The whole API.
std::shared_ptr<const router> make_api_routes(const services& s);

}  // namespace sbx::http
