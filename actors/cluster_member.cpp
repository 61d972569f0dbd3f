// SPDX-License-Identifier: Apache-2.0
#include "actors/cluster_member.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "persistence/cluster.hpp"

namespace sbx::actors {

struct cluster_member::locks {
  persistence::leader_lock leader;
  std::optional<persistence::change_listener> listener;
  explicit locks(const persistence::database_config& d) : leader(d) {
    if (!d.postgres_url.empty()) listener.emplace(d.postgres_url);
  }
};

cluster_member::cluster_member(persistence::database_config database,
                               std::chrono::milliseconds check_interval)
    : database_(std::move(database)),
      interval_(std::max(check_interval, std::chrono::milliseconds{10})),
      locks_(std::make_unique<locks>(database_)) {}

cluster_member::~cluster_member() { stop(); }

void cluster_member::subscribe(const std::string& topic, std::function<void()> on_change) {
  std::lock_guard lock{subscribers_mutex_};
  subscribers_.emplace(topic, std::make_shared<std::function<void()>>(std::move(on_change)));
}

void cluster_member::check() {
  const bool now = locks_->leader.check();
  reachable_.store(locks_->leader.database_reachable(), std::memory_order_release);
  const bool before = leads_.exchange(now, std::memory_order_acq_rel);
  if (now && !before)
    spdlog::info("cluster: this node is the leader now: it runs the background work");
  if (!now && before)
    spdlog::warn("cluster: this node is no longer the leader (its lock's connection was lost)");
}

void cluster_member::start() {
  check();
  if (database_.postgres_url.empty()) return;  // SQLite: leads for good, nothing to listen to
  if (!leads()) spdlog::info("cluster: another node leads; this one serves requests");
  thread_ = std::thread([this] { run(); });
}

void cluster_member::stop() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock{subscribers_mutex_};
  subscribers_.clear();  // they hold actor handles: gone before the actor system
}

void cluster_member::run() {
  // The listener waits in slices, so that a stop is seen within one and the lock is checked on
  // time however many notifications arrive.
  const auto slice = std::min(interval_, std::chrono::milliseconds{250});
  auto next_check = std::chrono::steady_clock::now() + interval_;
  for (;;) {
    {
      std::lock_guard lock{mutex_};
      if (stopping_) return;
    }
    const auto before = std::chrono::steady_clock::now();
    auto topics = locks_->listener->wait(slice);
    std::vector<std::shared_ptr<std::function<void()>>> calls;
    {
      std::lock_guard lock{subscribers_mutex_};
      for (const auto& t : topics) {
        auto [first, last] = t == persistence::topic::everything
                                 ? std::pair{subscribers_.begin(), subscribers_.end()}
                                 : subscribers_.equal_range(t);
        for (auto it = first; it != last; ++it) calls.push_back(it->second);
      }
    }
    for (const auto& call : calls) (*call)();
    if (std::chrono::steady_clock::now() >= next_check) {
      check();
      next_check = std::chrono::steady_clock::now() + interval_;
    }
    // A listener that cannot reach the database answers at once: wait out the slice.
    std::unique_lock lock{mutex_};
    cv_.wait_until(lock, before + slice, [this] { return stopping_; });
  }
}

}  // namespace sbx::actors
