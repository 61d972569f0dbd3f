// SPDX-License-Identifier: Apache-2.0
#include "proto/user.hpp"

namespace sbx::proto {

std::string_view to_string(role r) {
  switch (r) {
    case role::superuser:
      return "SUPERUSER";
    case role::administrator:
      return "ADMINISTRATOR";
    case role::user:
      return "USER";
  }
  return "USER";
}

std::optional<role> parse_role(std::string_view s) {
  if (s == "SUPERUSER") return role::superuser;
  if (s == "ADMINISTRATOR") return role::administrator;
  if (s == "USER") return role::user;
  return std::nullopt;
}

bool satisfies(role have, role need) {
  // The enum is ordered from most to least privileged.
  return static_cast<int>(have) <= static_cast<int>(need);
}

}  // namespace sbx::proto
