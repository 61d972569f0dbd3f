// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/database.hpp"

// Building blocks the repositories share to assemble statements whose text comes only from
// whitelisted words, while every value travels as a bound parameter.
namespace sbx::persistence::sql {

/// Collects the values of one statement and hands out their placeholders.
class statement {
 public:
  explicit statement(backend b) : backend_(b) {}
  /// Binds a value; returns its placeholder (`$n`).
  std::string bind(value v) {
    params_.push_back(std::move(v));
    return "$" + std::to_string(params_.size());
  }
  /// The backend the statement is for.
  backend kind() const { return backend_; }
  /// The bound values, in placeholder order.
  const std::vector<value>& params() const { return params_; }

 private:
  backend backend_;
  std::vector<value> params_;
};

/// A condition that is never true.
inline constexpr const char* never = "1 = 0";

/// Joins parts with a separator.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// `expr IN (ids)` with the whole list bound as one parameter, so the statement text does not
/// depend on the list's length (connections cache statements by text).
std::string in_list(statement& st, const std::string& expr, const std::vector<std::int64_t>& ids);

/// The same for words built from whitelisted text (nothing in them needs quoting).
std::string in_list(statement& st, const std::string& expr, const std::vector<std::string>& words);

/// True if `s` is valid UTF-8.
bool valid_utf8(std::string_view s);

/// False for a value no stored text can equal (a NUL or invalid UTF-8): such a search matches
/// nothing, whereas binding it would make PostgreSQL fail the statement.
bool searchable(const std::string& v);

}  // namespace sbx::persistence::sql
