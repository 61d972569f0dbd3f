// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/node_process.hpp"
#include "support/scratch_database.hpp"
#include "support/scratch_files.hpp"

namespace sbx::test {

/// The slicebox binary (SBX_BINARY of the test executable) run as a process on a data folder and
/// an HTTP port of its own that outlive its processes, so it can be killed and started again.
/// Its database is named by `postgres_url`; empty: SQLite in its data folder. Several sites on
/// one PostgreSQL URL are the nodes of one cluster (docs/operations.md#running-a-cluster).
class node_site {
 public:
  /// `settings` are further SBX_* assignments ("SBX_A_B=value"); one naming a key the site sets
  /// (e.g. SBX_LOG_LEVEL, info by default) replaces it.
  node_site(const std::string& binary, std::string postgres_url,
            const std::vector<std::string>& settings = {});
  virtual ~node_site();
  node_site(const node_site&) = delete;
  node_site& operator=(const node_site&) = delete;

  /// Starts the node and waits (30 s at most) until it answers its health check.
  void start();
  /// Starts the node and expects it to give up within 30 s; its exit status.
  int start_and_fail();
  /// SIGKILL, and waits for the process to be gone.
  void kill();
  /// Whether the node answers GET /api/system/health with 200.
  bool up() const;

  /// One request as admin/admin.
  client_response admin(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::string& type = "application/json") const;
  /// POST /api/images with the bytes of one file.
  client_response upload(const std::string& bytes) const;
  /// Uploads one file, requiring 201; the new image's id.
  std::int64_t upload_id(const std::string& bytes) const;
  /// How many images the node lists.
  std::size_t image_count() const;

  const http_client& client() const { return client_; }
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& data() const { return data_.path(); }
  /// Everything the node's processes wrote to stderr so far.
  std::string log() const;
  /// Regular files under a folder of the data folder.
  std::size_t files_under(const std::string& folder) const;

 private:
  std::string binary_;
  scratch_dir data_, logs_;
  std::uint16_t port_;
  http_client client_;
  std::vector<std::string> settings_;
  std::unique_ptr<node_process> process_;
};

/// Holds a scratch database for a site that is constructed after it (a base class of one).
struct scratch_database_holder {
  explicit scratch_database_holder(persistence::backend b) : database(b) {}
  scratch_database database;
};

/// A lone node on a scratch database of its own, of either backend.
class lone_node : private scratch_database_holder, public node_site {
 public:
  lone_node(const std::string& binary, persistence::backend b,
            const std::vector<std::string>& settings = {})
      : scratch_database_holder(b),
        node_site(binary, scratch_database_holder::database.config().postgres_url, settings) {}
};

}  // namespace sbx::test
