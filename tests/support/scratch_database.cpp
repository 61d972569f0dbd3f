// SPDX-License-Identifier: Apache-2.0
#include "support/scratch_database.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "persistence/migrations.hpp"

namespace sbx::test {

namespace {

// Unique across the processes ctest -j runs at once, and across scratch databases in one process.
std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 1000000);
}

}  // namespace

scratch_database::scratch_database(persistence::backend b, bool migrated) {
  if (b == persistence::backend::sqlite) {
    sqlite_dir_ = std::filesystem::temp_directory_path() / ("sbx-test-" + unique_suffix());
    std::filesystem::create_directories(sqlite_dir_);
    config_.sqlite_path = (sqlite_dir_ / "slicebox.db").string();
  } else {
    const char* base = std::getenv("SBX_TEST_POSTGRES");
    if (!base || !*base)
      throw std::runtime_error(
          "SBX_TEST_POSTGRES is not set: run the suite with deploy/test.sh, which starts "
          "PostgreSQL");
    postgres_base_ = base;
    // The name only holds [a-z0-9_], so splicing it into DDL and the options string is safe.
    schema_ = "sbx_t_" + unique_suffix();
    persistence::open_database({"", postgres_base_})->exec("CREATE SCHEMA " + schema_);
    config_.postgres_url = postgres_base_ + " options='-csearch_path=" + schema_ + "'";
  }
  try {
    db_ = persistence::open_database(config_);
    if (migrated) persistence::migrate(*db_);
  } catch (...) {
    remove();
    throw;
  }
}

scratch_database::~scratch_database() { remove(); }

void scratch_database::remove() noexcept {
  db_.reset();
  if (!sqlite_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_dir_, ec);
    sqlite_dir_.clear();
  }
  if (!schema_.empty()) {
    try {
      persistence::open_database({"", postgres_base_})
          ->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    } catch (...) {
      // A leftover schema only costs disk in a throwaway test cluster; never throw here.
    }
    schema_.clear();
  }
}

}  // namespace sbx::test
