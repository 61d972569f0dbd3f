// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "persistence/database.hpp"

// Several nodes on one PostgreSQL database (docs/operations.md#running-a-cluster): which node
// leads the background work, and how a change one node makes reaches the caches of the others.
// On SQLite there is one node: it always leads and nothing is sent.
namespace sbx::persistence {

/// An exclusive lock on `<database file>.lock`, held while this object lives: a second node on
/// the same SQLite file is refused at start instead of sharing it.
class sqlite_file_lock {
 public:
  /// Takes the lock; throws std::runtime_error naming the file if another process holds it.
  explicit sqlite_file_lock(const std::filesystem::path& database_file);
  ~sqlite_file_lock();
  sqlite_file_lock(const sqlite_file_lock&) = delete;
  sqlite_file_lock& operator=(const sqlite_file_lock&) = delete;

 private:
  int fd_ = -1;
};

/// Leadership of the nodes sharing a database: a PostgreSQL session-level advisory lock held on
/// a connection of its own, so that it is freed by the server when the holder's process or
/// connection dies. The key is derived from the schema the connection uses, so nodes on other
/// schemas of the same database have leaders of their own. Not thread-safe.
class leader_lock {
 public:
  explicit leader_lock(database_config config);
  ~leader_lock();
  leader_lock(const leader_lock&) = delete;
  leader_lock& operator=(const leader_lock&) = delete;

  /// Takes the lock if it is free, or checks that the connection holding it is still alive;
  /// whether this node holds it now. Never throws: a database failure means not holding it.
  bool check();
  /// Whether the last check() found the database reachable.
  bool database_reachable() const { return reachable_; }

 private:
  database_config config_;
  std::unique_ptr<database> db_;
  bool held_ = false;
  bool reachable_ = true;
};

/// The topics caches follow; the payload of a notification (`SELECT pg_notify`).
namespace topic {
inline constexpr const char* users = "users";
inline constexpr const char* tag_filters = "tag-filters";
inline constexpr const char* series_types = "series-types";
inline constexpr const char* boxes = "boxes";
inline constexpr const char* scps = "scps";
/// Not sent: what listen() reports after it had to reconnect (anything may have changed).
inline constexpr const char* everything = "*";
}  // namespace topic

/// Tells the other nodes on `db`'s database and schema that what `topic` names changed; sent
/// with the open transaction's commit, if any. Does nothing on SQLite.
void notify_change(database& db, const std::string& topic);

/// A connection that LISTENs for notify_change() of other nodes (and this one). PostgreSQL only.
class change_listener {
 public:
  explicit change_listener(std::string postgres_url);
  ~change_listener();
  change_listener(const change_listener&) = delete;
  change_listener& operator=(const change_listener&) = delete;

  /// Waits up to `timeout` for notifications; the topics received (each once), or
  /// topic::everything after the connection had to be opened again. Never throws.
  std::vector<std::string> wait(std::chrono::milliseconds timeout);

 private:
  struct impl;
  std::string url_;
  std::unique_ptr<impl> impl_;
};

}  // namespace sbx::persistence
