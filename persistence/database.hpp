// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sbx::persistence {

/// A bound parameter or a column value: NULL, integer, real or text.
using value = std::variant<std::monostate, std::int64_t, double, std::string>;

/// One result row, columns in SELECT order.
struct row {
  std::vector<value> columns;

  /// Column `i` as an integer (NULL reads as 0; text is parsed).
  std::int64_t int64(std::size_t i) const;
  /// Column `i` as text (NULL reads as "").
  std::string text(std::size_t i) const;
  /// Column `i` as a real number (NULL reads as 0).
  double real(std::size_t i) const;
  /// True if column `i` is NULL.
  bool is_null(std::size_t i) const;
};

/// The rows a statement returned and the number of rows it changed.
struct result {
  std::vector<row> rows;
  std::int64_t affected = 0;
  /// The first column of every row, as integers (a list of ids).
  std::vector<std::int64_t> first_int64s() const;
};

/// Which SQL engine a connection talks to.
enum class backend { sqlite, postgres };

/// Why a statement failed: constraint violations are the caller's to map, others are node faults.
enum class db_failure { unique_violation, foreign_key_violation, other };

/// Thrown for every database failure.
class database_error : public std::runtime_error {
 public:
  database_error(db_failure kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  /// The kind of failure.
  db_failure kind() const noexcept { return kind_; }

 private:
  db_failure kind_;
};

/// One connection. Not thread-safe: each actor owns its own. SQL uses `$1..$n` placeholders in
/// both backends; values are always bound, never spliced into the text.
class database {
 public:
  virtual ~database() = default;
  /// The engine behind this connection.
  virtual backend kind() const = 0;
  /// Runs one statement with bound parameters.
  virtual result exec(std::string_view sql, const std::vector<value>& params = {}) = 0;
  /// Starts a transaction (no nesting).
  virtual void begin() = 0;
  /// Commits the open transaction.
  virtual void commit() = 0;
  /// Rolls back the open transaction; never throws.
  virtual void rollback() noexcept = 0;
};

/// Where the database lives: PostgreSQL when `postgres_url` is set, else the SQLite file.
struct database_config {
  std::string sqlite_path;
  std::string postgres_url;
};

/// Opens a new connection (SQLite: WAL, synchronous=FULL, foreign keys on, busy timeout,
/// case-sensitive LIKE as in PostgreSQL).
std::unique_ptr<database> open_database(const database_config& config);

/// Why a commit on this connection may not survive a power loss (a PostgreSQL server running
/// with `fsync` or `synchronous_commit` off), or "" when it does.
std::string durability_caveat(database& db);

/// Commits on scope exit unless an exception is in flight, in which case it rolls back.
class transaction {
 public:
  explicit transaction(database& db) : db_(db) { db_.begin(); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  /// Commits now; the destructor then does nothing.
  void commit() {
    db_.commit();
    done_ = true;
  }
  ~transaction() {
    if (!done_) db_.rollback();
  }

 private:
  database& db_;
  bool done_ = false;
};

}  // namespace sbx::persistence
