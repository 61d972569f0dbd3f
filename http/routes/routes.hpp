// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/router.hpp"
#include "proto/anonymization_actor.hpp"
#include "proto/box_actor.hpp"
#include "proto/dictionary_actor.hpp"
#include "proto/directory_watch_actor.hpp"
#include "proto/filtering_actor.hpp"
#include "proto/image_actor.hpp"
#include "proto/import_actor.hpp"
#include "proto/ingest_actor.hpp"
#include "proto/metadata_actor.hpp"
#include "proto/scu_actor.hpp"
#include "proto/scp_actor.hpp"
#include "proto/series_type_actor.hpp"
#include "proto/storage_actor.hpp"
#include "proto/log_actor.hpp"
#include "proto/source_actor.hpp"
#include "proto/user_actor.hpp"

namespace sbx::http {

/// The actors the routes talk to, and the node-level hooks they need.
struct services {
  proto::user_actor users;
  proto::log_actor log;
  proto::source_actor sources;
  proto::dictionary_actor dictionary;
  proto::metadata_actor metadata;
  proto::ingest_actor ingest;
  proto::storage_actor storage;
  proto::import_actor imports;
  proto::image_actor images;
  proto::anonymization_actor anonymization;
  proto::series_type_actor series_types;
  proto::directory_watch_actor directory_watches;
  proto::filtering_actor filtering;
  proto::scu_actor scus;
  proto::scp_actor scps;
  proto::box_actor boxes;
  int export_compression_level = 0;  ///< deflate level of export ZIPs (0 = stored)
  std::string version;
  std::function<void()> stop_node;  ///< asks the node to stop (returns at once)
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
void add_box_routes(router& r, const services& s);
void add_transaction_routes(router& r, const services& s);

/// The whole API.
std::shared_ptr<const router> make_api_routes(const services& s);

}  // namespace sbx::http
