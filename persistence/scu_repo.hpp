// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/scu.hpp"

namespace sbx::persistence {

/// The SCUs (table scus).
class scu_repo {
 public:
  explicit scu_repo(database& db) : db_(db) {}

  /// A page of SCUs in id order.
  std::vector<proto::scu> list(std::int64_t start, std::int64_t count);
  /// The SCU with this id, if any.
  std::optional<proto::scu> by_id(std::int64_t id);
  /// The SCU with this name (exact match), if any.
  std::optional<proto::scu> by_name(const std::string& name);
  /// The SCU that sends to this host and port, if any.
  std::optional<proto::scu> by_host_port(const std::string& host, std::int64_t port);
  /// Inserts an SCU (id ignored) and returns it with its new id; a taken name or host and port
  /// throws database_error(unique_violation).
  proto::scu insert(const proto::scu& s);
  /// Deletes an SCU; false if there was none.
  bool remove(std::int64_t id);

 private:
  database& db_;
};

}  // namespace sbx::persistence
