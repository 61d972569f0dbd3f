// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <memory>
#include <utility>

#include "http/error_map.hpp"
#include "http/message.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "proto/user.hpp"
#include "proto/user_messages.hpp"

namespace sbx::http {

/// Who sent a request the front end admitted from its header (http_request::admitted).
struct admission {
  proto::api_user user;
};

/// One request on its way through the front-end: what came in, who sent it, how to answer.
struct exchange {
  exchange() = default;
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;
  /// Removes a streamed body that no service took over.
  ~exchange();

  http_request request;
  path_params params;
  proto::api_user user;  ///< the authenticated user (id -1 on public routes)
  responder respond;

  /// Sends the answer.
  void reply(http_response r) const { respond(std::move(r)); }
  /// Answers with the response the error map gives for `e`.
  void fail(const caf::error& e) const { respond(error_response(e)); }
  /// The query parameters.
  query_params query() const { return query_params{request.query()}; }
  /// The body of a JSON request, after Slicebox's checks: a missing body is 400 and another
  /// content type 415 (docs/api.md#errors).
  const std::string& json_body() const;
};

/// The cookie token, client IP and User-Agent of a request (docs/api.md#authentication); "" where
/// absent.
proto::client_identity client_identity_of(const http_request& r);

/// The reply types of a response handle, to give CAF the exact signature it wants.
template <class Handle>
struct reply_of;

template <class Self, class... Ts, bool Blocking>
struct reply_of<caf::response_handle<Self, caf::detail::type_list<Ts...>, Blocking>> {
  template <class F>
  static auto typed(F f) {
    return [f = std::move(f)](Ts&... xs) mutable { f(xs...); };
  }
};

/// A request on its way to a service; `then` completes it (see ask).
template <class Handle>
struct pending_ask {
  Handle handle;
  exchange_ptr ex;
  /// `on_value` gets the reply (it may be a generic lambda); a failure goes to the error map.
  template <class F>
  void then(F on_value) {
    handle.then(reply_of<Handle>::typed(std::move(on_value)),
                [ex = ex](caf::error& e) { ex->fail(e); });
  }
};

/// Asks `dest` and answers through `ex`:
/// `ask(self, ex, users, list_atom::value, 0, 20).then([ex](auto& users) {...})`.
template <class Handle, class... Args>
auto ask(caf::event_based_actor* self, const exchange_ptr& ex, const Handle& dest, Args&&... args) {
  // No CAF timeout: CAF keeps every pending timeout until it fires, which grows memory under load;
  // the HTTP server times requests out instead, and a dead service answers with an error.
  auto h = self->request(dest, caf::infinite, std::forward<Args>(args)...);
  return pending_ask<decltype(h)>{std::move(h), ex};
}

}  // namespace sbx::http
