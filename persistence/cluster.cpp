// SPDX-License-Identifier: Apache-2.0
#include "persistence/cluster.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <pqxx/pqxx>
#include <set>
#include <stdexcept>

namespace sbx::persistence {

namespace {

/// The channel every node listens on; payloads are `<schema>/<topic>`, so that nodes on other
/// schemas of the same database (a test suite's scratch schemas) ignore them.
constexpr const char* changes_channel = "slicebox_changes";

}  // namespace

// ------------------------------------------------------------------------------------------------

sqlite_file_lock::sqlite_file_lock(const std::filesystem::path& database_file) {
  auto path = database_file;
  path += ".lock";
  std::filesystem::create_directories(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot open the lock file " + path.string() + ": " +
                             std::strerror(errno));
  // flock is released by the kernel when the process ends, however it ends.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error("another node is already running on the SQLite database " +
                               database_file.string() + " (it holds " + path.string() +
                               "); SQLite serves one node only: run several nodes on PostgreSQL "
                               "(docs/operations.md#running-a-cluster)");
    throw std::runtime_error("cannot lock " + path.string() + ": " + std::strerror(err));
  }
}

sqlite_file_lock::~sqlite_file_lock() {
  if (fd_ >= 0) ::close(fd_);
}

// ------------------------------------------------------------------------------------------------

leader_lock::leader_lock(database_config config) : config_(std::move(config)) {}

leader_lock::~leader_lock() = default;

bool leader_lock::check() {
  if (config_.postgres_url.empty()) return true;  // SQLite: the only node
  try {
    if (!db_) {
      held_ = false;
      db_ = open_database(config_);
    }
    if (held_) {
      db_->exec("SELECT 1");  // the session, and with it the lock, is still there
    } else {
      // Session level: held until released or until the connection ends, whatever ends it.
      auto r = db_->exec(
          "SELECT pg_try_advisory_lock(hashtext('slicebox leader ' || current_schema()))");
      held_ = !r.rows.empty() && r.rows[0].int64(0) == 1;
    }
    reachable_ = true;
  } catch (const std::exception& e) {
    if (reachable_) spdlog::error("cluster: the leader lock's connection failed: {}", e.what());
    db_.reset();  // the server frees the lock with the session, if it has not already
    held_ = false;
    reachable_ = false;
  }
  return held_;
}

// ------------------------------------------------------------------------------------------------

void notify_change(database& db, const std::string& topic) {
  if (db.kind() != backend::postgres) return;
  db.exec(std::string("SELECT pg_notify('") + changes_channel + "', current_schema() || '/' || $1)",
          {topic});
}

namespace {

class topic_receiver final : public pqxx::notification_receiver {
 public:
  topic_receiver(pqxx::connection_base& conn, std::string schema, std::set<std::string>& topics)
      : pqxx::notification_receiver(conn, changes_channel),
        prefix_(schema + "/"),
        topics_(topics) {}
  void operator()(const std::string& payload, int) override {
    if (payload.starts_with(prefix_)) topics_.insert(payload.substr(prefix_.size()));
  }

 private:
  std::string prefix_;
  std::set<std::string>& topics_;
};

}  // namespace

struct change_listener::impl {
  pqxx::connection conn;
  std::set<std::string> topics;
  std::unique_ptr<topic_receiver> receiver;

  explicit impl(const std::string& url) : conn(url) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
    std::string schema;
    {
      pqxx::nontransaction tx(conn);
      schema = tx.exec("SELECT current_schema()")[0][0].c_str();
    }
    receiver = std::make_unique<topic_receiver>(conn, schema, topics);
  }
  ~impl() {
    try {
      receiver.reset();  // UNLISTEN, if the connection is still there
    } catch (...) {
    }
  }
};

change_listener::change_listener(std::string postgres_url) : url_(std::move(postgres_url)) {}

change_listener::~change_listener() = default;

std::vector<std::string> change_listener::wait(std::chrono::milliseconds timeout) {
  bool fresh = false;
  try {
    if (!impl_) {
      impl_ = std::make_unique<impl>(url_);
      fresh = true;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    if (impl_->topics.empty()) impl_->conn.await_notification(us / 1000000, us % 1000000);
    impl_->conn.get_notifs();
  } catch (const std::exception& e) {
    if (impl_) spdlog::error("cluster: the change listener's connection failed: {}", e.what());
    try {
      impl_.reset();
    } catch (...) {
    }
    return {};
  }
  std::vector<std::string> out(impl_->topics.begin(), impl_->topics.end());
  impl_->topics.clear();
  // Changes made while this node was not listening were missed: every cache is stale.
  if (fresh) out.push_back(topic::everything);
  return out;
}

}  // namespace sbx::persistence
