// SPDX-License-Identifier: Apache-2.0
#include "proto/log.hpp"

namespace sbx::proto {

std::string_view to_string(log_type t) {
  switch (t) {
    case log_type::default_level:
      return "DEFAULT";
    case log_type::info:
      return "INFO";
    case log_type::warn:
      return "WARN";
    case log_type::error:
      return "ERROR";
  }
  return "DEFAULT";
}

std::optional<log_type> parse_log_type(std::string_view s) {
  if (s == "DEFAULT") return log_type::default_level;
  if (s == "INFO") return log_type::info;
  if (s == "WARN") return log_type::warn;
  if (s == "ERROR") return log_type::error;
  return std::nullopt;
}

}  // namespace sbx::proto
