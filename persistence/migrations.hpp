// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "persistence/database.hpp"

namespace sbx::persistence {

/// One numbered schema step, e.g. {"0001_users_log.sql", "CREATE TABLE ..."}.
struct migration {
  std::string name;
  std::string sql;
};

/// Every migration compiled into the binary (persistence/schema/*.sql), in name order.
const std::vector<migration>& migrations();

/// Applies, in one transaction each, every migration the database has not seen yet; returns the
/// names applied. Migration files use `ID_PK` for an auto-increment int64 primary key column type,
/// replaced per backend; a statement ends where a line ends with `;`, and `--` lines are dropped.
/// Safe to run from several processes at once.
std::vector<std::string> migrate(database& db);

}  // namespace sbx::persistence
