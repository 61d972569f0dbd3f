// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/log.hpp"

namespace sbx::proto {

/// Which log entries to list.
struct log_query {
  std::int64_t start = 0;
  std::int64_t count = 20;
  bool by_subject = false;
  std::string subject;
  bool by_type = false;
  log_type type = log_type::info;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_query& x) {
  return f(x.start, x.count, x.by_subject, x.subject, x.by_type, x.type);
}

/// The log service: every service writes its events here (`log_atom`, fire and forget).
using log_actor = caf::typed_actor<
    // Appends an entry: type, subject, message.
    caf::reacts_to<log_atom, log_type, std::string, std::string>,
    // Lists entries, newest first.
    caf::replies_to<list_atom, log_query>::with<std::vector<log_entry>>,
    // Deletes every entry.
    caf::replies_to<delete_atom>::with<bool>,
    // Deletes one entry; answers whether it existed.
    caf::replies_to<delete_atom, std::int64_t>::with<bool>>;

}  // namespace sbx::proto
