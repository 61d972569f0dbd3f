// SPDX-License-Identifier: Apache-2.0
#include "http/query.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "persistence/statement.hpp"

namespace sbx::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::int64_t> parse_int64(std::string_view s) {
  std::int64_t v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

query_params::query_params(std::string_view raw) {
  while (!raw.empty()) {
    auto amp = raw.find('&');
    auto pair = raw.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      if (eq == std::string_view::npos)
        values_.emplace_back(percent_decode(pair), std::string{});
      else
        values_.emplace_back(percent_decode(pair.substr(0, eq)),
                             percent_decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    raw.remove_prefix(amp + 1);
  }
  for (const auto& [name, value] : values_)
    for (const auto& text : {name, value}) {
      if (text.find('\0') != std::string::npos)
        malformed(name, "it must not contain NUL characters");
      if (!persistence::sql::valid_utf8(text)) malformed(name, "it is not valid UTF-8");
    }
}

void query_params::malformed(std::string_view name, const std::string& why) {
  throw rejection(
      text_response(400, "The query parameter '" + std::string(name) + "' was malformed:\n" + why));
}

std::optional<std::string> query_params::get(std::string_view name) const {
  for (const auto& [k, v] : values_)
    if (k == name) return v;
  return std::nullopt;
}

std::string query_params::required(std::string_view name) const {
  auto v = get(name);
  if (!v)
    throw rejection(text_response(
        404, "Request is missing required query parameter '" + std::string(name) + "'"));
  return *v;
}

std::optional<std::int64_t> query_params::int64(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  auto n = parse_int64(*v);
  if (!n) malformed(name, "'" + *v + "' is not a valid 64-bit signed integer value");
  return n;
}

std::int64_t query_params::required_int64(std::string_view name) const {
  required(name);
  return *int64(name);
}

std::int64_t query_params::non_negative(std::string_view name, std::int64_t fallback) const {
  auto n = int64(name);
  if (!n) return fallback;
  if (*n < 0) malformed(name, "number must be non-negative");
  if (name == "count" && *n > max_count)
    malformed(name, "number must be at most " + std::to_string(max_count));
  return *n;
}

bool query_params::boolean(std::string_view name, bool fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  malformed(name, "'" + *v + "' is not a valid Boolean value");
}

}  // namespace sbx::http
