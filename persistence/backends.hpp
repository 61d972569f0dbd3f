// SPDX-License-Identifier: Apache-2.0
#pragma once

// Internal to persistence/: the concrete connections behind open_database().

#include <memory>
#include <string>

#include "persistence/database.hpp"

namespace sbx::persistence {

/// Opens a SQLite file, creating it and its parent directory if needed.
std::unique_ptr<database> open_sqlite(const std::string& path);
/// Opens a PostgreSQL connection from a libpq connection string.
std::unique_ptr<database> open_postgres(const std::string& url);

}  // namespace sbx::persistence
