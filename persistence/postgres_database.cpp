// SPDX-License-Identifier: Apache-2.0
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>

#include "persistence/backends.hpp"

namespace sbx::persistence {

namespace {

// Bounds server-side memory if a caller ever generates SQL text; the repos use a small fixed set.
constexpr std::size_t max_prepared_statements = 256;

// Type OIDs from pg_type.h; libpqxx 6 does not name them.
constexpr pqxx::oid bool_oid = 16;
constexpr pqxx::oid int8_oid = 20;
constexpr pqxx::oid int2_oid = 21;
constexpr pqxx::oid int4_oid = 23;
constexpr pqxx::oid float4_oid = 700;
constexpr pqxx::oid float8_oid = 701;

db_failure failure_of(const std::string& sqlstate) {
  if (sqlstate == "23505") return db_failure::unique_violation;
  if (sqlstate == "23503") return db_failure::foreign_key_violation;
  return db_failure::other;
}

value column(const pqxx::field& f, pqxx::oid type) {
  if (f.is_null()) return std::monostate{};
  const char* begin = f.c_str();
  const char* end = begin + f.size();
  switch (type) {
    case int8_oid:
    case int4_oid:
    case int2_oid: {
      std::int64_t n = 0;
      std::from_chars(begin, end, n);
      return n;
    }
    case float4_oid:
    case float8_oid: {
      // from_chars accepts "NaN" and "Infinity" too, which PostgreSQL prints.
      double d = 0;
      std::from_chars(begin, end, d);
      return d;
    }
    case bool_oid:
      // SQLite has no boolean; reading 1/0 keeps callers backend-neutral.
      return std::int64_t{*begin == 't' ? 1 : 0};
    default:
      return std::string(begin, end);
  }
}

// PQcmdTuples counts returned rows for SELECT; `affected` means changed rows in both backends.
bool is_query(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++]))));
  return word == "select" || word == "values" || word == "table" || word == "show";
}

class postgres_database final : public database {
 public:
  explicit postgres_database(const std::string& url) : conn_(url) {
    // A silent reconnect would drop an open transaction and let the next COMMIT "succeed".
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn_.inhibit_reactivation(true);
#pragma GCC diagnostic pop
    // Keeps NOTICEs such as "relation already exists, skipping" off stderr.
    exec("SET client_min_messages TO WARNING", {});
  }

  backend kind() const override { return backend::postgres; }

  result exec(std::string_view sql, const std::vector<value>& params) override {
    // Numbers are formatted in a first pass so the pointers taken in the second stay valid.
    std::vector<std::string> numbers;
    numbers.reserve(params.size());
    std::vector<const char*> args;
    args.reserve(params.size());
    for (const value& v : params) {
      if (auto* n = std::get_if<std::int64_t>(&v)) {
        numbers.push_back(std::to_string(*n));
      } else if (auto* d = std::get_if<double>(&v)) {
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
        numbers.emplace_back(buf, end);
      }
    }
    std::size_t next_number = 0;
    for (const value& v : params) {
      if (std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v)) {
        args.push_back(numbers[next_number++].c_str());
      } else if (auto* s = std::get_if<std::string>(&v)) {
        // libpq takes C strings: a NUL would silently truncate the value.
        if (s->find('\0') != std::string::npos)
          throw database_error(db_failure::other, "text parameter contains a NUL byte");
        args.push_back(s->c_str());
      } else {
        args.push_back(nullptr);
      }
    }

    try {
      pqxx::nontransaction tx(conn_);
      pqxx::result r;
      std::string text(sql);
      if (params.empty()) {
        r = tx.exec_params(text);
      } else if (auto name = statement_name(text)) {
        r = tx.exec_prepared(*name, pqxx::prepare::make_dynamic_params(args));
      } else {
        r = tx.exec_params(text, pqxx::prepare::make_dynamic_params(args));
      }
      return convert(r, sql);
    } catch (const pqxx::sql_error& e) {
      throw database_error(failure_of(e.sqlstate()), e.what());
    } catch (const std::exception& e) {
      throw database_error(db_failure::other, e.what());
    }
  }

  void begin() override { exec("BEGIN", {}); }

  void commit() override { exec("COMMIT", {}); }

  void rollback() noexcept override {
    try {
      exec("ROLLBACK", {});
    } catch (...) {
      // Nothing to undo if the connection is gone; the server rolls back on disconnect.
    }
  }

 private:
  std::optional<std::string> statement_name(const std::string& sql) {
    if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
    if (prepared_.size() >= max_prepared_statements) return std::nullopt;
    std::string name = "sbx_" + std::to_string(prepared_.size());
    // libpqxx only registers here and prepares on first use, so a bad statement fails in exec.
    conn_.prepare(name, sql);
    prepared_.emplace(sql, name);
    return name;
  }

  static result convert(const pqxx::result& r, std::string_view sql) {
    result out;
    const auto columns = r.columns();
    std::vector<pqxx::oid> types(columns);
    for (pqxx::row_size_type c = 0; c < columns; ++c) types[c] = r.column_type(c);
    out.rows.reserve(r.size());
    for (const auto& pr : r) {
      row out_row;
      out_row.columns.reserve(columns);
      for (pqxx::row_size_type c = 0; c < columns; ++c)
        out_row.columns.push_back(column(pr[c], types[c]));
      out.rows.push_back(std::move(out_row));
    }
    out.affected = is_query(sql) ? 0 : static_cast<std::int64_t>(r.affected_rows());
    return out;
  }

  pqxx::connection conn_;
  std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace

std::unique_ptr<database> open_postgres(const std::string& url) {
  try {
    return std::make_unique<postgres_database>(url);
  } catch (const database_error&) {
    throw;
  } catch (const std::exception& e) {
    throw database_error(db_failure::other,
                         std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

}  // namespace sbx::persistence
