// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sbx::actors {

/// A small fixed pool of threads for the CPU and file work of box transfers (compressing and
/// inflating payloads, docs/federation.md "Engines"), so that several images are prepared at once
/// without a thread per image. Jobs run in the order posted; the destructor runs what is queued,
/// then joins.
class box_workers {
 public:
  explicit box_workers(unsigned threads);
  ~box_workers();
  box_workers(const box_workers&) = delete;
  box_workers& operator=(const box_workers&) = delete;

  /// Queues a job; it must not throw (an exception is logged and dropped).
  void post(std::function<void()> job);

  /// How many threads a node gives box work: one per core, at least 2, at most `limit`.
  static unsigned default_threads(unsigned limit);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sbx::actors
