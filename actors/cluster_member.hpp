// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/database.hpp"

namespace sbx::actors {

/// This node's place among the nodes sharing its database (docs/operations.md#running-a-cluster):
/// a thread that tries for the leader lock every `check_interval` (and keeps checking it once
/// held) and, on PostgreSQL, hands the change notifications of other nodes to the callbacks
/// subscribed to their topics. The background loops ask leads() before each round of singleton
/// work. On SQLite the node always leads and no thread is started.
class cluster_member {
 public:
  cluster_member(persistence::database_config database, std::chrono::milliseconds check_interval);
  ~cluster_member();
  cluster_member(const cluster_member&) = delete;
  cluster_member& operator=(const cluster_member&) = delete;

  /// Calls `on_change` (on the member's thread) whenever another node announces a change of
  /// `topic` (persistence::topic), and after a lost connection to the database. Any time.
  void subscribe(const std::string& topic, std::function<void()> on_change);
  /// Takes the lock the first time (so that a lone node leads before its services start) and
  /// starts the thread.
  void start();
  /// Stops the thread; the lock is released when its connection closes.
  void stop();

  /// Whether this node does the singleton work now.
  bool leads() const { return leads_.load(std::memory_order_acquire); }
  /// "leader" or "follower" (GET /api/system/health, header X-Slicebox-Role).
  std::string role() const { return leads() ? "leader" : "follower"; }
  /// Whether the last try for the lock reached the database (always true on SQLite).
  bool database_reachable() const { return reachable_.load(std::memory_order_acquire); }
  /// How often the lock is tried (cluster.leader_check_ms).
  std::chrono::milliseconds check_interval() const { return interval_; }

 private:
  void run();
  void check();

  persistence::database_config database_;
  std::chrono::milliseconds interval_;
  std::mutex subscribers_mutex_;
  std::multimap<std::string, std::shared_ptr<std::function<void()>>> subscribers_;
  std::atomic<bool> leads_{false};
  std::atomic<bool> reachable_{true};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  struct locks;
  std::unique_ptr<locks> locks_;
};

/// Whether the node of `member` leads; a service given no member (one node in a test) does.
inline bool leads(const std::shared_ptr<const cluster_member>& member) {
  return !member || member->leads();
}

}  // namespace sbx::actors
