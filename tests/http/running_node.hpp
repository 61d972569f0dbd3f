// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>

#include "app/node.hpp"
#include "support/http_client.hpp"
#include "support/scratch_database.hpp"

namespace sbx::test {

/// The real node, on 127.0.0.1 and an ephemeral port, over a scratch database of one backend and
/// a temporary data folder; everything is removed afterwards.
class running_node {
 public:
  explicit running_node(persistence::backend backend,
                        const std::function<void(app::config&)>& adjust = {})
      : database_(backend) {
    std::random_device rd;
    data_dir_ = std::filesystem::temp_directory_path() /
                ("sbx-node-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    config_.data_dir = data_dir_;
    config_.http_host = "127.0.0.1";
    config_.http_port = 0;
    config_.log_level = "warn";
    // No web interface unless a test gives one: the API's answers do not depend on ui/ being built.
    config_.http_ui_dir = (data_dir_ / "no-ui").string();
    config_.database_url = database_.config().postgres_url;
    config_.sqlite_path = database_.config().sqlite_path;
    if (adjust) adjust(config_);
    spdlog::set_level(spdlog::level::from_str(config_.log_level));
    node_ = std::make_unique<app::node>(config_);
  }

  ~running_node() {
    node_.reset();
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }

  /// Stops the node and starts it again on the same database and data folder (a new port).
  void restart() {
    node_.reset();
    node_ = std::make_unique<app::node>(config_);
  }

  /// The node's port.
  std::uint16_t port() const { return node_->port(); }
  /// A client for this node.
  http_client client() const { return http_client{port()}; }
  /// The node itself.
  app::node& node() { return *node_; }
  /// The configuration it was started with.
  const app::config& config() const { return config_; }
  /// How many files wait in the data folder's tmp/ (none once every ingest has finished).
  std::size_t temp_files() const {
    std::size_t count = 0;
    for (const auto& e : std::filesystem::directory_iterator(data_dir_ / "tmp"))
      count += e.is_regular_file();
    return count;
  }

  /// A request as `user`:`pass` (HTTP basic).
  client_response as(const std::string& user, const std::string& pass, const std::string& method,
                     const std::string& target, const std::string& body = {}) const {
    return client().request(method, target, body, {basic_auth(user, pass)});
  }
  /// A request as the superuser admin/admin.
  client_response admin(const std::string& method, const std::string& target,
                        const std::string& body = {}) const {
    return as("admin", "admin", method, target, body);
  }

 private:
  scratch_database database_;
  std::filesystem::path data_dir_;
  app::config config_;
  std::unique_ptr<app::node> node_;
};

}  // namespace sbx::test
