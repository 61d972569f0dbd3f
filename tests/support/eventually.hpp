// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>

// Waiting in tests without fixed sleeps: what should happen is polled until it has happened or a
// deadline passes; what should not happen is polled over a bounded window and fails as soon as it
// does.
namespace sbx::test {

/// Polls `done` until it holds or `within` has passed; returns its last answer.
bool eventually(std::chrono::milliseconds within, const std::function<bool()>& done);

/// As above, with a deadline of 10 s.
bool eventually(const std::function<bool()>& done);

/// Polls `holds` over the whole window `during`; false at the first poll where it does not hold.
/// For "nothing happened" checks, where no event says when the node has decided.
bool holds_for(std::chrono::milliseconds during, const std::function<bool()>& holds);

}  // namespace sbx::test
