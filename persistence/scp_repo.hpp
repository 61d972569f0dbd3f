// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/scp.hpp"

namespace sbx::persistence {

/// The SCP records (table scps).
class scp_repo {
 public:
  explicit scp_repo(database& db) : db_(db) {}

  /// A page of SCPs in id order.
  std::vector<proto::scp> list(std::int64_t start, std::int64_t count);
  /// The SCP with this id, if any.
  std::optional<proto::scp> by_id(std::int64_t id);
  /// The SCP with this name (exact match), if any.
  std::optional<proto::scp> by_name(const std::string& name);
  /// The first SCP (in id order) listening on this port, if any.
  std::optional<proto::scp> by_port(std::int64_t port);
  /// Inserts an SCP (id ignored) and returns it with its new id; a taken name throws
  /// database_error(unique_violation).
  proto::scp insert(const proto::scp& s);
  /// Deletes an SCP; false if there was none.
  bool remove(std::int64_t id);

 private:
  database& db_;
};

}  // namespace sbx::persistence
