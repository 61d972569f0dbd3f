// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "proto/source.hpp"

// Events published on the node's event group (docs/architecture.md#events); services react to them
// instead of being called inline.
namespace sbx::proto {

/// An image was stored by ingest; `overwrite` if its row existed before.
struct image_added {
  std::int64_t image_id = -1;
  source src;
  bool overwrite = false;
};

/// Images were deleted (metadata and files).
struct images_deleted {
  std::vector<std::int64_t> image_ids;
  std::vector<std::int64_t> series_ids;  ///< series removed because they became empty
};

/// A source was deleted (a user, an import session); only its type and id are meaningful.
struct source_deleted {
  source src;
};

/// A source was added (a box); forwarding may already have rules naming it.
struct source_added {
  source src;
};

/// Images were delivered to a destination, exactly once per delivery: published by the SCU after
/// a peer acknowledged every image of a send, and by the box service when an outgoing transaction
/// finishes (`transaction_id` is then the outgoing transaction's id, otherwise -1).
struct images_sent {
  destination dest;
  std::vector<std::int64_t> image_ids;
  std::int64_t transaction_id = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_added& x) {
  return f(x.image_id, x.src, x.overwrite);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, images_deleted& x) {
  return f(x.image_ids, x.series_ids);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_deleted& x) {
  return f(x.src);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_added& x) {
  return f(x.src);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, images_sent& x) {
  return f(x.dest, x.image_ids, x.transaction_id);
}

}  // namespace sbx::proto
