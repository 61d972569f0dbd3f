// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace sbx::actors {

/// The node's counters for `GET /metrics` (docs/operations.md#metrics), one instance per node,
/// shared by the HTTP front-end, ingest and the SCPs. Thread-safe; every update is one short
/// critical section.
class metrics {
 public:
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

  /// Values known only when scraped.
  struct gauges {
    std::int64_t stored_images = 0;
    std::int64_t stored_bytes = 0;
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
  struct latency {
    std::array<std::uint64_t, latency_buckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, latency> latencies_;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> ingested_;  // images, bytes
  std::map<std::string, std::uint64_t> ingest_failures_;
  std::uint64_t associations_ = 0;
};

}  // namespace sbx::actors
