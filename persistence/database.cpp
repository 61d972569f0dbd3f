// SPDX-License-Identifier: Apache-2.0
#include "persistence/database.hpp"

#include <charconv>
#include <string>
#include <system_error>

#include "persistence/backends.hpp"

namespace sbx::persistence {

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

template <class Number>
Number parse_number(const std::string& s, std::size_t column) {
  Number n{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  // A column that is not a number is a schema/query bug, not something to paper over with 0.
  if (ec != std::errc() || end != s.data() + s.size())
    throw database_error(db_failure::other,
                         "column " + std::to_string(column) + " is not a number: '" + s + "'");
  return n;
}

}  // namespace

std::int64_t row::int64(std::size_t i) const {
  return std::visit(
      overloaded{[](std::monostate) -> std::int64_t { return 0; }, [](std::int64_t v) { return v; },
                 [](double v) { return static_cast<std::int64_t>(v); },
                 [i](const std::string& v) { return parse_number<std::int64_t>(v, i); }},
      columns.at(i));
}

std::string row::text(std::size_t i) const {
  return std::visit(overloaded{[](std::monostate) { return std::string(); },
                               [](std::int64_t v) { return std::to_string(v); },
                               [](double v) {
                                 char buf[32];
                                 auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
                                 return std::string(buf, end);
                               },
                               [](const std::string& v) { return v; }},
                    columns.at(i));
}

double row::real(std::size_t i) const {
  return std::visit(
      overloaded{[](std::monostate) { return 0.0; },
                 [](std::int64_t v) { return static_cast<double>(v); }, [](double v) { return v; },
                 [i](const std::string& v) { return parse_number<double>(v, i); }},
      columns.at(i));
}

bool row::is_null(std::size_t i) const {
  return std::holds_alternative<std::monostate>(columns.at(i));
}

std::vector<std::int64_t> result::first_int64s() const {
  std::vector<std::int64_t> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.int64(0));
  return out;
}

std::unique_ptr<database> open_database(const database_config& config) {
  if (!config.postgres_url.empty()) return open_postgres(config.postgres_url);
  return open_sqlite(config.sqlite_path);
}

std::string durability_caveat(database& db) {
  if (db.kind() != backend::postgres) return {};  // SQLite: synchronous=FULL, set on open
  std::string caveat;
  for (const char* setting : {"fsync", "synchronous_commit"}) {
    auto r = db.exec(std::string("SELECT current_setting('") + setting + "')");
    if (!r.rows.empty() && r.rows[0].text(0) == "off")
      caveat += std::string(caveat.empty() ? "" : ", ") + setting + " is off";
  }
  return caveat.empty()
             ? caveat
             : "the PostgreSQL server may lose acknowledged commits in a crash: " + caveat;
}

}  // namespace sbx::persistence
