// SPDX-License-Identifier: Apache-2.0
#include "support/eventually.hpp"

#include <thread>

namespace sbx::test {
namespace {

constexpr std::chrono::milliseconds poll_interval{10};

}  // namespace

bool eventually(std::chrono::milliseconds within, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
  return true;
}

bool eventually(const std::function<bool()>& done) {
  return eventually(std::chrono::seconds{10}, done);
}

bool holds_for(std::chrono::milliseconds during, const std::function<bool()>& holds) {
  const auto end = std::chrono::steady_clock::now() + during;
  do {
    if (!holds()) return false;
    std::this_thread::sleep_for(poll_interval);
  } while (std::chrono::steady_clock::now() < end);
  return holds();
}

}  // namespace sbx::test
