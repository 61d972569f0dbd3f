// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>

#include "proto/anonymization_messages.hpp"
#include "proto/box_messages.hpp"
#include "proto/dicomweb_messages.hpp"
#include "proto/dictionary_messages.hpp"
#include "proto/directory_watch_messages.hpp"
#include "proto/filtering_messages.hpp"
#include "proto/forwarding_messages.hpp"
#include "proto/image_messages.hpp"
#include "proto/import_messages.hpp"
#include "proto/ingest_messages.hpp"
#include "proto/log_messages.hpp"
#include "proto/metadata_messages.hpp"
#include "proto/scp_messages.hpp"
#include "proto/scu_messages.hpp"
#include "proto/series_type_messages.hpp"
#include "proto/source_messages.hpp"
#include "proto/storage_messages.hpp"
#include "proto/user_messages.hpp"

namespace sbx::proto {

/// How the node stops a service (docs/architecture.md, "Adding a service").
enum class on_stop {
  drain,  ///< stopped and waited for before the next one: its work in flight needs the others
  exit,   ///< told to stop; the node waits for all of them together at the end
};

/// The node's services by their typed handles: the one table a new service is added to. The node
/// fills it as it spawns them (in the order their dependencies need) and hands it to the routes
/// and to the services that ask several others.
struct services {
  // Ordered as the node stops them.
  scp_actor scps;
  directory_watch_actor directory_watches;
  import_actor imports;
  image_actor images;
  dicomweb_actor dicomweb;
  anonymization_actor anonymization;
  series_type_actor series_types;
  forwarding_actor forwarding;
  scu_actor scus;
  box_actor boxes;
  ingest_actor ingest;
  filtering_actor filtering;
  storage_actor storage;
  metadata_actor metadata;
  source_actor sources;
  dictionary_actor dictionary;
  user_actor users;
  log_actor log;

  /// Calls `f(handle, on_stop)` for every service in the order the node stops them: listeners
  /// first (drained, so the stores in flight still reach ingest); then what feeds ingest, so
  /// nothing new enters it; then ingest; then storage and metadata, which the earlier ones use;
  /// the catalogues; the log last, so every service can still write to it while it stops.
  template <class F>
  void each_in_stop_order(F&& f) const {
    f(scps, on_stop::drain);
    f(directory_watches, on_stop::exit);
    f(imports, on_stop::exit);
    f(images, on_stop::exit);
    f(dicomweb, on_stop::exit);
    f(anonymization, on_stop::exit);
    f(series_types, on_stop::exit);
    f(forwarding, on_stop::exit);
    f(scus, on_stop::exit);
    f(boxes, on_stop::exit);
    f(ingest, on_stop::exit);
    f(filtering, on_stop::exit);
    f(storage, on_stop::exit);
    f(metadata, on_stop::exit);
    f(sources, on_stop::exit);
    f(dictionary, on_stop::exit);
    f(users, on_stop::exit);
    f(log, on_stop::exit);
  }

  /// How many services the table holds. The node checks at start that each_in_stop_order visits
  /// this many spawned handles.
  static constexpr std::size_t count = 18;
};

// Every member is one actor handle, so a member added without raising `count` fails to compile.
static_assert(sizeof(services) == services::count * sizeof(log_actor),
              "proto::services: raise count and list the new handle in each_in_stop_order");

}  // namespace sbx::proto
