// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace sbx::http {

/// A request refused before it reaches a service (bad parameter, bad body); carries the response
/// Slicebox gives (docs/api.md#errors).
class rejection : public std::exception {
 public:
  explicit rejection(http_response r) : response(std::move(r)) {}
  const char* what() const noexcept override { return response.body.c_str(); }
  http_response response;
};

/// Decoded query parameters with Slicebox's parsing rules and error texts
/// (docs/api.md#paging-and-listing-parameters).
class query_params {
 public:
  /// Parses a raw query string (`a=1&b=x%20y`, `+` is a space). A name or value that decodes to
  /// invalid UTF-8 or holds a NUL is 400: no stored text could match it.
  explicit query_params(std::string_view raw);

  /// The first value of `name`, if present.
  std::optional<std::string> get(std::string_view name) const;
  /// A required parameter; missing → 404 "Request is missing required query parameter 'x'".
  std::string required(std::string_view name) const;
  /// An int64 parameter; malformed → 400.
  std::optional<std::int64_t> int64(std::string_view name) const;
  /// A required int64 parameter.
  std::int64_t required_int64(std::string_view name) const;
  /// A paging parameter (startindex, count): int64 ≥ 0, else 400; a `count` above max_count is
  /// 400 too (docs/operations.md#limits).
  std::int64_t non_negative(std::string_view name, std::int64_t fallback) const;
  /// The most rows one listing may ask for.
  static constexpr std::int64_t max_count = 1'000'000;
  /// A boolean (true/false/yes/no/on/off/1/0, any case), else 400.
  bool boolean(std::string_view name, bool fallback) const;

 private:
  [[noreturn]] static void malformed(std::string_view name, const std::string& why);
  std::vector<std::pair<std::string, std::string>> values_;
};

/// Percent-decodes a query component (`+` decodes to a space).
std::string percent_decode(std::string_view s);

}  // namespace sbx::http
