// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sbx::actors {

/// The tokens of the POLL boxes, readable from any thread: the HTTP listener refuses a request
/// under `/api/transactions/{token}/` with an unknown token as soon as its header arrives,
/// before any of its body is read (the public side of a box faces the internet). The box
/// service keeps the set equal to its table.
class box_tokens {
 public:
  /// True if a POLL box has this token.
  bool contains(std::string_view token) const {
    std::shared_lock lock{mutex_};
    return tokens_.find(token) != tokens_.end();
  }
  /// Replaces the whole set.
  void assign(const std::vector<std::string>& tokens) {
    std::set<std::string, std::less<>> fresh(tokens.begin(), tokens.end());
    std::unique_lock lock{mutex_};
    tokens_.swap(fresh);
  }

 private:
  mutable std::shared_mutex mutex_;
  std::set<std::string, std::less<>> tokens_;
};

}  // namespace sbx::actors
