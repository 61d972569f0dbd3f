// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "persistence/database.hpp"

namespace sbx::test {

/// A fresh, migrated database of one backend, removed on destruction.
class scratch_database {
 public:
  /// Creates the database; `migrated = false` leaves it empty, for testing migrations themselves.
  explicit scratch_database(persistence::backend b, bool migrated = true);
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  /// How to open more connections to the same database (e.g. for a node under test).
  const persistence::database_config& config() const { return config_; }
  /// A connection owned by this object.
  persistence::database& db() { return *db_; }

 private:
  void remove() noexcept;

  persistence::database_config config_;
  std::filesystem::path sqlite_dir_;
  std::string postgres_base_;
  std::string schema_;
  std::unique_ptr<persistence::database> db_;
};

/// Catch2 tag types for TEMPLATE_TEST_CASE: each backend becomes its own test case.
struct sqlite_backend {
  static constexpr persistence::backend value = persistence::backend::sqlite;
  static constexpr const char* name = "sqlite";
};
/// See sqlite_backend.
struct postgres_backend {
  static constexpr persistence::backend value = persistence::backend::postgres;
  static constexpr const char* name = "postgres";
};

}  // namespace sbx::test
