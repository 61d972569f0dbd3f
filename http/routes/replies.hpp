// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "http/exchange.hpp"
#include "proto/ingest_actor.hpp"
#include "proto/json.hpp"

namespace sbx::http {

/// A continuation that answers with the JSON encoding of a service's reply.
inline auto reply_json(const exchange_ptr& ex, int status = 200) {
  return [ex, status](const auto& value) {
    ex->reply(json_response(status, proto::json::encode(value)));
  };
}

/// A continuation that answers 204 whatever the reply.
inline auto reply_no_content(const exchange_ptr& ex) {
  return [ex](const auto&...) { ex->reply(empty_response(204)); };
}

/// An ingest outcome as the upload routes answer it: 201 for a new image, 200 for an existing one.
inline auto reply_ingested(const exchange_ptr& ex) {
  return [ex](const proto::ingest_result& r) {
    ex->reply(json_response(r.added ? 201 : 200, proto::json::encode(r.img)));
  };
}

}  // namespace sbx::http
