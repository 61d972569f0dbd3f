// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbx::proto {

/// Severity of a log entry; DEFAULT is the original's debug level.
enum class log_type : std::uint8_t { default_level, info, warn, error };

/// The wire name of a log type ("DEFAULT", "INFO", "WARN", "ERROR").
std::string_view to_string(log_type t);
/// Parses a wire log type name (exact match).
std::optional<log_type> parse_log_type(std::string_view s);

/// One entry of the node's event log, as shown by `GET /api/log`.
struct log_entry {
  std::int64_t id = -1;
  std::int64_t created = 0;  ///< epoch milliseconds
  log_type type = log_type::info;
  std::string subject;
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_entry& x) {
  return f(x.id, x.created, x.type, x.subject, x.message);
}

}  // namespace sbx::proto
