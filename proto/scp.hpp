// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sbx::proto {

/// A DICOM C-STORE (and Query/Retrieve) receiver (docs/api.md#scps, `ScpData`): listens on `port`
/// for the AE title.
struct scp {
  std::int64_t id = -1;
  std::string name;
  std::string ae_title;  ///< as given, untrimmed
  std::int64_t port = 0;
  /// Whether Query/Retrieve (C-FIND, C-MOVE, C-GET) is negotiated (docs/api.md#queryretrieve).
  bool query_retrieve = true;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scp& x) {
  return f(x.id, x.name, x.ae_title, x.port, x.query_retrieve);
}

}  // namespace sbx::proto
