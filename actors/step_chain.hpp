// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>
#include <utility>

namespace sbx::actors {

/// The shared state of an operation that asks several actors in turn before it answers (see
/// docs/architecture.md, "Operations of several steps"). An operation derives its job from this and
/// writes one function per step: the step asks one actor and, on the answer, stores what it
/// needs in the job and calls the next step; a failed step answers the client with its error.
template <class Self, class Result>
struct step_chain {
  Self self;
  caf::typed_response_promise<Result> promise;

  step_chain(Self s, caf::typed_response_promise<Result> p) : self(s), promise(std::move(p)) {}

  /// Sends one step's request; the caller adds `.then(next, fail())`.
  template <class Handle, class... Ts>
  auto ask(const Handle& dest, Ts&&... xs) {
    return self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
  }

  /// The error handler of a step: its error answers the client.
  auto fail() {
    return [p = promise](caf::error& e) mutable { p.deliver(std::move(e)); };
  }

  /// The error handler of a step whose failure the client sees as `instead`.
  auto fail_with(caf::error instead) {
    return [p = promise, instead](caf::error&) mutable { p.deliver(instead); };
  }
};

}  // namespace sbx::actors
