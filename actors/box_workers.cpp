// SPDX-License-Identifier: Apache-2.0
#include "actors/box_workers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace sbx::actors {

box_workers::box_workers(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { run(); });
}

box_workers::~box_workers() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void box_workers::post(std::function<void()> job) {
  {
    std::lock_guard lock{mutex_};
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

unsigned box_workers::default_threads(unsigned limit) {
  return std::clamp(std::thread::hardware_concurrency(), 2u, std::max(2u, limit));
}

void box_workers::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock{mutex_};
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("box worker: {}", e.what());
    } catch (...) {
      spdlog::error("box worker: unknown exception");
    }
  }
}

}  // namespace sbx::actors
