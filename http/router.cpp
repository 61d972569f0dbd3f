// SPDX-License-Identifier: Apache-2.0
#include "http/router.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace sbx::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool fits_int64(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

std::int64_t path_params::id(std::string_view name) const {
  for (const auto& [k, v] : values)
    if (k == name) return std::stoll(v);
  throw std::out_of_range("no path parameter " + std::string(name));
}

const std::string& path_params::text(std::string_view name) const {
  for (const auto& [k, v] : values)
    if (k == name) return v;
  throw std::out_of_range("no path parameter " + std::string(name));
}

void router::add(std::string method, std::string pattern, access who, route_handler run) {
  entry e;
  for (auto part : split(pattern)) {
    if (part.empty()) throw std::invalid_argument("empty segment in route " + pattern);
    if (part.front() == '{') {
      if (part.back() != '}') throw std::invalid_argument("bad parameter in route " + pattern);
      auto inner = part.substr(1, part.size() - 2);
      auto colon = inner.find(':');
      if (colon == std::string_view::npos) {
        e.segments.push_back({segment::kind::integer, std::string(inner)});
      } else if (inner.substr(colon + 1) == "str") {
        e.segments.push_back({segment::kind::text, std::string(inner.substr(0, colon))});
      } else {
        throw std::invalid_argument("unknown parameter type in route " + pattern);
      }
    } else {
      e.segments.push_back({segment::kind::literal, std::string(part)});
    }
  }
  if (e.segments.empty()) throw std::invalid_argument("route without segments: " + pattern);
  e.r = route{std::move(method), std::move(pattern), who, std::move(run)};
  routes_.push_back(std::move(e));
}

void router::add_upload(std::string method, std::string pattern, access who, route_handler run) {
  add(std::move(method), std::move(pattern), who, std::move(run));
  routes_.back().r.upload = true;
}

bool router::matches(const entry& e, const std::vector<std::string_view>& parts,
                     bool trailing_slash, path_params& params) {
  if (parts.size() != e.segments.size()) return false;
  if (trailing_slash && e.segments.back().type != segment::kind::literal) return false;
  params.values.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& s = e.segments[i];
    switch (s.type) {
      case segment::kind::literal:
        if (parts[i] != s.value) return false;
        break;
      case segment::kind::integer:
        if (!fits_int64(parts[i])) return false;
        params.values.emplace_back(s.value, std::string(parts[i]));
        break;
      case segment::kind::text:
        if (parts[i].empty()) return false;
        params.values.emplace_back(s.value, std::string(parts[i]));
        break;
    }
  }
  return true;
}

std::vector<const router::route*> router::list() const {
  std::vector<const route*> all;
  for (const auto& e : routes_) all.push_back(&e.r);
  return all;
}

router::match router::find(std::string_view method, std::string_view path) const {
  match m;
  bool trailing_slash = path.size() > 1 && path.back() == '/';
  if (trailing_slash) path.remove_suffix(1);
  auto parts = split(path);
  path_params params;
  for (const auto& e : routes_) {
    if (!matches(e, parts, trailing_slash, params)) continue;
    if (e.r.method == "*" || e.r.method == method) {
      m.found = &e.r;
      m.params = std::move(params);
      m.allowed.clear();
      return m;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), e.r.method) == m.allowed.end())
      m.allowed.push_back(e.r.method);
  }
  return m;
}

}  // namespace sbx::http
