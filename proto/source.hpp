// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sbx::proto {

/// Where images come from: `user`, `box`, `directory`, `scp`, `import` or `unknown`.
struct source {
  std::string type;
  std::string name;
  std::int64_t id = -1;
};

/// Where images can be sent: `box`, `scu` or `unknown`.
struct destination {
  std::string type;
  std::string name;
  std::int64_t id = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source& x) {
  return f(x.type, x.name, x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, destination& x) {
  return f(x.type, x.name, x.id);
}

}  // namespace sbx::proto
