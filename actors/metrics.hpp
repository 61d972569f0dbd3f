// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "proto/box.hpp"

namespace sbx::actors {

/// The node's counters for `GET /metrics` (docs/operations.md#metrics), one instance per node,
/// shared by the HTTP front-end, ingest and the SCPs. Thread-safe; every update is one short
/// critical section.
class metrics {
 public:
  /// Upper bounds of the group-commit batch size histogram, in images.
  static constexpr std::array<double, 8> batch_buckets{1, 2, 4, 8, 16, 32, 64, 128};
  /// Upper bounds of the request latency histogram, in seconds.
  static constexpr std::array<double, 12> latency_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,   0.25,   0.5,   1,    2.5,   10};

  /// An HTTP answer: the route group (a bounded set of names), its status, how long it took.
  void http_request(std::string_view group, int status, double seconds);
  /// An image that ingest stored, by source type (`user`, `scp`, `box`, ...), and its size.
  void ingested(std::string_view source_type, std::uint64_t bytes);
  /// A file ingest refused or failed to store.
  void ingest_failed(std::string_view source_type);
  /// An association an SCP accepted.
  void scp_association();
  /// A file handed to ingest, and one ingest answered (stored or not): their difference is the
  /// ingest queue's depth.
  void ingest_queued() { ingest_queue_.fetch_add(1, std::memory_order_relaxed); }
  void ingest_answered() { ingest_queue_.fetch_sub(1, std::memory_order_relaxed); }
  /// A group commit of the metadata writer: how many images it committed together.
  void commit_batch(std::size_t images);

  /// Values known only when scraped.
  struct gauges {
    std::int64_t stored_images = 0;
    std::int64_t stored_bytes = 0;
    std::vector<proto::box_queue> box_queues;
    std::int64_t series_type_backlog = 0;  ///< series waiting for the labeller
  };
  /// Images stored and refused since the start, by source type.
  struct ingest_count {
    std::uint64_t images = 0;
    std::uint64_t bytes = 0;
    std::uint64_t failed = 0;
  };
  std::map<std::string, ingest_count> ingest_by_source() const;

  /// Everything in the Prometheus text exposition format 0.0.4.
  std::string exposition(const gauges& g) const;

 private:
  template <std::size_t N>
  struct histogram {
    std::array<std::uint64_t, N> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
    void observe(const std::array<double, N>& bounds, double v) {
      for (std::size_t i = 0; i < N; ++i)
        if (v <= bounds[i]) ++buckets[i];
      ++count;
      sum += v;
    }
  };
  using latency = histogram<latency_buckets.size()>;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, latency> latencies_;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> ingested_;  // images, bytes
  std::map<std::string, std::uint64_t> ingest_failures_;
  std::uint64_t associations_ = 0;
  histogram<batch_buckets.size()> batches_;
  std::atomic<std::int64_t> ingest_queue_{0};
};

}  // namespace sbx::actors
