// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sbx::proto {

/// An SCU (docs/api.md#scus, `ScuData`): a DICOM peer that images are sent to with C-STORE.
struct scu {
  std::int64_t id = -1;
  std::string name;
  std::string ae_title;  ///< the peer's (called) AE title, as given
  std::string host;
  std::int64_t port = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scu& x) {
  return f(x.id, x.name, x.ae_title, x.host, x.port);
}

}  // namespace sbx::proto
