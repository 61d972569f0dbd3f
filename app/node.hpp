// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "app/config.hpp"

namespace sbx::app {

/// One running node: database migrated, services spawned, HTTP listening. The binary and the
/// integration tests both run exactly this.
class node {
 public:
  /// Starts everything; throws (with a message saying what) if the database or the port fails.
  explicit node(config c);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The HTTP port actually bound.
  std::uint16_t port() const;
  /// Asks the node to stop after `delay`; returns at once, callable from any thread.
  void request_stop(std::chrono::milliseconds delay = std::chrono::milliseconds{0});
  /// Blocks until a stop was requested and the node has shut down gracefully.
  void wait();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sbx::app
