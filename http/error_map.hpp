// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/fwd.hpp>

#include "http/message.hpp"
#include "proto/error.hpp"

namespace sbx::http {

/// The HTTP status for a service error code: the one table of the node.
int status_of(proto::errc code);

/// The response for an error a service answered (docs/api.md#errors): our codes keep their message,
/// a timeout becomes 503 and anything else a 500 that reveals nothing.
http_response error_response(const caf::error& e);

}  // namespace sbx::http
