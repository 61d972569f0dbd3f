// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sbx::proto {

/// An import session (docs/api.md#import-sessions): a named batch of uploads owned by one user,
/// with counters.
struct import_session {
  std::int64_t id = -1;
  std::string name;
  std::int64_t user_id = -1;
  std::string user;  ///< the owner's user name
  std::int64_t files_imported = 0;
  std::int64_t files_added = 0;
  std::int64_t files_rejected = 0;
  std::int64_t created = 0;       ///< epoch milliseconds
  std::int64_t last_updated = 0;  ///< epoch milliseconds
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_session& x) {
  return f(x.id, x.name, x.user_id, x.user, x.files_imported, x.files_added, x.files_rejected,
           x.created, x.last_updated);
}

}  // namespace sbx::proto
