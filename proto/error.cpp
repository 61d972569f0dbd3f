// SPDX-License-Identifier: Apache-2.0
#include "proto/error.hpp"

namespace sbx::proto {

std::string to_string(errc e) {
  switch (e) {
    case errc::none:
      return "none";
    case errc::bad_request:
      return "bad_request";
    case errc::not_found:
      return "not_found";
    case errc::unauthorized:
      return "unauthorized";
    case errc::forbidden:
      return "forbidden";
    case errc::bad_gateway:
      return "bad_gateway";
    case errc::unavailable:
      return "unavailable";
    case errc::unsupported:
      return "unsupported";
    case errc::internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace sbx::proto
