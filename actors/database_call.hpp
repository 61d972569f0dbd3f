// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <caf/result.hpp>
#include <stdexcept>

#include "persistence/database.hpp"
#include "proto/error.hpp"

namespace sbx::actors {

/// Runs a handler body that touches the database; a database failure becomes errc::internal (a
/// fault of the node, logged here) instead of killing the actor.
template <class... Ts, class F>
caf::result<Ts...> database_call(const char* what, F&& body) {
  try {
    return body();
  } catch (const persistence::database_error& e) {
    spdlog::error("{}: database failure: {}", what, e.what());
    return proto::make_error(proto::errc::internal, "There was an internal server error.");
  }
}

/// As database_call; input the repository refuses (std::invalid_argument, e.g. an unknown
/// property) becomes errc::bad_request with the repository's message.
template <class... Ts, class F>
caf::result<Ts...> checked_database_call(const char* what, F&& body) {
  return database_call<Ts...>(what, [&]() -> caf::result<Ts...> {
    try {
      return body();
    } catch (const std::invalid_argument& e) {
      return proto::make_error(proto::errc::bad_request, e.what());
    }
  });
}

}  // namespace sbx::actors
