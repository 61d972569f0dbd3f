// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/source.hpp"

namespace sbx::proto {

/// A forwarding rule (`ForwardingRule`): everything that arrives from `src` goes on to `dest`;
/// with `keep_images` false the images are deleted once every rule of that source delivered them.
struct forwarding_rule {
  std::int64_t id = -1;
  source src;
  destination dest;
  bool keep_images = true;
};

/// Where a batch of forwarded images stands (docs/forwarding.md): collecting images, handed to
/// the destination, or delivered and waiting to be finalized.
enum class batch_state { fresh, enroute, delivered };

/// One batch of a rule (a "forwarding transaction"): the images, in the order they arrived.
struct forwarding_batch {
  std::int64_t id = -1;
  std::int64_t rule_id = -1;
  std::int64_t created = 0;  ///< epoch ms
  std::int64_t updated = 0;  ///< epoch ms of the last image added (or of the last state change)
  batch_state state = batch_state::fresh;
  std::int64_t attempts = 0;          ///< dispatches that failed so far
  std::int64_t next_attempt = 0;      ///< epoch ms before which a failed batch is not retried
  std::int64_t box_transaction = -1;  ///< the outgoing box transaction it became, if any
  std::vector<std::int64_t> image_ids;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forwarding_rule& x) {
  return f(x.id, x.src, x.dest, x.keep_images);
}

/// The source and destination types the API knows; any other string reads as `unknown`.
inline std::string known_source_type(const std::string& type) {
  for (const char* known : {"user", "box", "directory", "import", "scp"})
    if (type == known) return type;
  return "unknown";
}

/// See known_source_type.
inline std::string known_destination_type(const std::string& type) {
  return type == "box" || type == "scu" ? type : "unknown";
}

}  // namespace sbx::proto
