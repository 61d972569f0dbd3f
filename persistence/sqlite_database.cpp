// SPDX-License-Identifier: Apache-2.0
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "persistence/backends.hpp"

namespace sbx::persistence {

namespace {

// Bounds memory if a caller ever generates SQL text; the repos use a small fixed set.
constexpr std::size_t max_cached_statements = 256;

db_failure failure_of(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return db_failure::unique_violation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return db_failure::foreign_key_violation;
    default:
      return db_failure::other;
  }
}

std::size_t skip_comment_or_literal(std::string_view sql, std::size_t i) {
  char c = sql[i];
  if (c == '\'' || c == '"') {
    // A doubled quote inside a literal simply closes and reopens it, so no escape handling.
    auto end = sql.find(c, i + 1);
    return end == std::string_view::npos ? sql.size() : end + 1;
  }
  if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
    auto end = sql.find('\n', i);
    return end == std::string_view::npos ? sql.size() : end + 1;
  }
  if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
    auto end = sql.find("*/", i + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  return i;
}

// SQLite reads `$1` as a named parameter, so `$1` used twice would not be `?1`; rewrite to the
// numbered form so placeholder numbers mean the same as in PostgreSQL.
std::string numbered_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    auto next = skip_comment_or_literal(sql, i);
    if (next != i) {
      out.append(sql.substr(i, next - i));
      i = next;
    } else if (sql[i] == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('?');
      ++i;
    } else {
      out.push_back(sql[i++]);
    }
  }
  return out;
}

bool only_blank_or_comments(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size()) {
    auto next = skip_comment_or_literal(sql, i);
    if (next != i && sql[i] != '\'' && sql[i] != '"') {
      i = next;
    } else if (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r') {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

struct statement_deleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_deleter>;

// A cached statement must be reset after every use, or it keeps its read snapshot open.
struct reset_on_exit {
  sqlite3_stmt* s;
  ~reset_on_exit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

class sqlite_database final : public database {
 public:
  explicit sqlite_database(const std::string& path) {
    if (path.empty()) throw database_error(db_failure::other, "no SQLite path configured");
    if (path != ":memory:" && path.rfind("file:", 0) != 0) {
      auto parent = std::filesystem::path(path).parent_path();
      std::error_code ec;
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      if (ec)
        throw database_error(db_failure::other,
                             "cannot create " + parent.string() + ": " + ec.message());
    }
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      throw database_error(db_failure::other, "cannot open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Set before the pragmas: switching to WAL needs a lock another process may hold.
    sqlite3_busy_timeout(db_, 5000);
    try {
      exec("PRAGMA journal_mode=WAL", {});
      // FULL: a commit returns only once the WAL is on stable storage. NORMAL would let a power
      // cut roll back a commit that was already acknowledged (and the start-up sweep would then
      // delete its file as an orphan). Group commit in the metadata writer shares the cost.
      exec("PRAGMA synchronous=FULL", {});
      exec("PRAGMA foreign_keys=ON", {});
      // LIKE is case-sensitive in PostgreSQL and in the original's H2; match it here.
      exec("PRAGMA case_sensitive_like=ON", {});
    } catch (...) {
      close();
      throw;
    }
  }

  ~sqlite_database() override { close(); }

  backend kind() const override { return backend::sqlite; }

  result exec(std::string_view sql, const std::vector<value>& params) override {
    statement_ptr uncached;
    sqlite3_stmt* stmt = statement_for(sql, uncached);
    reset_on_exit guard{stmt};

    if (static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt)) != params.size())
      throw database_error(db_failure::other,
                           "statement takes " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                               " parameters, got " + std::to_string(params.size()) + ": " +
                               std::string(sql));
    for (std::size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      const value& v = params[i];
      int rc = SQLITE_OK;
      if (auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) fail(sql);
    }

    result out;
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so a SELECT or DDL
    // would report a stale number; only trust it if this statement changed the total.
    auto total_before = sqlite3_total_changes64(db_);
    int columns = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(sql);
      row r;
      r.columns.reserve(columns);
      for (int c = 0; c < columns; ++c) r.columns.push_back(column(stmt, c));
      out.rows.push_back(std::move(r));
    }
    if (sqlite3_total_changes64(db_) != total_before) out.affected = sqlite3_changes64(db_);
    return out;
  }

  // IMMEDIATE takes the write lock up front: a deferred transaction that later writes can fail
  // with SQLITE_BUSY without waiting, which the busy timeout cannot fix.
  void begin() override { exec("BEGIN IMMEDIATE", {}); }

  void commit() override { exec("COMMIT", {}); }

  void rollback() noexcept override {
    // Fails harmlessly when SQLite already rolled back on its own (e.g. after SQLITE_FULL).
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3_stmt* statement_for(std::string_view sql, statement_ptr& uncached) {
    std::string key(sql);
    if (auto it = statements_.find(key); it != statements_.end()) return it->second.get();

    std::string text = numbered_placeholders(sql);
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                           SQLITE_PREPARE_PERSISTENT, &raw, &tail) != SQLITE_OK)
      fail(sql);
    statement_ptr stmt(raw);
    if (!stmt) throw database_error(db_failure::other, "empty statement: " + key);
    if (!only_blank_or_comments(std::string_view(tail, text.c_str() + text.size() - tail)))
      throw database_error(db_failure::other, "more than one statement: " + key);

    if (statements_.size() >= max_cached_statements) {
      uncached = std::move(stmt);
      return uncached.get();
    }
    return statements_.emplace(std::move(key), std::move(stmt)).first->second.get();
  }

  static value column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return std::int64_t{sqlite3_column_int64(stmt, c)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, c);
      case SQLITE_NULL:
        return std::monostate{};
      case SQLITE_BLOB: {
        auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
      }
      default: {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
      }
    }
  }

  [[noreturn]] void fail(std::string_view sql) {
    int code = sqlite3_extended_errcode(db_);
    throw database_error(failure_of(code),
                         std::string(sqlite3_errmsg(db_)) + " (in: " + std::string(sql) + ")");
  }

  void close() noexcept {
    statements_.clear();
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, statement_ptr> statements_;
};

}  // namespace

std::unique_ptr<database> open_sqlite(const std::string& path) {
  return std::make_unique<sqlite_database>(path);
}

}  // namespace sbx::persistence
