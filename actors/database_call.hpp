// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <caf/result.hpp>

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

}  // namespace sbx::actors
