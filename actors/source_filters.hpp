// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "dicom/tag_filter.hpp"
#include "proto/source.hpp"

namespace sbx::actors {

/// The tag filters of every source that has any, as ingest applies them (docs/api.md#filtering).
/// The filtering service publishes a new immutable snapshot on every change; ingest workers read
/// the current one without asking anybody, so the hot path pays one atomic load when no source is
/// filtered.
class source_filters {
 public:
  /// Source type and id.
  using key = std::pair<std::string, std::int64_t>;
  /// Only sources whose filter removes something.
  using snapshot = std::map<key, dicom::tag_filter>;

  /// Replaces the snapshot.
  void publish(snapshot s) {
    current_.store(std::make_shared<const snapshot>(std::move(s)), std::memory_order_release);
  }

  /// The filter of a source, or nullptr if it has none; the result keeps its snapshot alive.
  std::shared_ptr<const dicom::tag_filter> of(const proto::source& src) const {
    auto s = current_.load(std::memory_order_acquire);
    if (s->empty()) return nullptr;
    const auto it = s->find({src.type, src.id});
    if (it == s->end()) return nullptr;
    return {std::move(s), &it->second};
  }

 private:
  std::atomic<std::shared_ptr<const snapshot>> current_{std::make_shared<const snapshot>()};
};

}  // namespace sbx::actors
