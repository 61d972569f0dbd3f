// SPDX-License-Identifier: Apache-2.0
#include "http/static_site.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace sbx::http {
namespace {

namespace fs = std::filesystem;

constexpr const char* not_found_text = "The requested resource could not be found.";

/// What `/` answers while the interface has not been built (docs/ui.md#building).
std::string not_built_page(const fs::path& root) {
  return "<!doctype html><meta charset=\"utf-8\"><title>slicebox</title>\n"
         "<h1>slicebox is running</h1>\n"
         "<p>The web interface has not been built: there is no index.html in <code>" +
         root.string() +
         "</code>.</p>\n"
         "<p>Build it with <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code> (or "
         "<code>deploy/run.sh</code>, which does), or point the configuration key "
         "<code>http.ui_dir</code> at a built interface. The REST API is served under "
         "<code>/api</code> either way.</p>\n";
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The path's segments, percent-decoded; nullopt for anything that could name a file outside
/// the folder or another file than it seems to: a malformed escape, an encoded '/' or '\\', a
/// NUL, a backslash, a `.` or `..` segment or any hidden name.
std::optional<std::vector<std::string>> safe_segments(std::string_view path) {
  std::vector<std::string> segments;
  std::string current;
  auto finish = [&] {
    if (current.empty()) return true;  // "//" or a trailing '/'
    if (current.front() == '.') return false;
    segments.push_back(std::move(current));
    current.clear();
    return true;
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '/') {
      if (!finish()) return std::nullopt;
      continue;
    }
    if (c == '%') {
      if (i + 2 >= path.size()) return std::nullopt;
      const int hi = hex_digit(path[i + 1]), lo = hex_digit(path[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      if (c == '/') return std::nullopt;
    }
    if (c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    current += c;
  }
  if (!finish()) return std::nullopt;
  return segments;
}

/// Whether `path` is `root` or lies under it (both canonical).
bool inside(const fs::path& root, const fs::path& path) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

std::string content_type_of(const fs::path& file) {
  static const std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  const auto ext = file.extension().string();
  for (const auto& [e, type] : types)
    if (ext == e) return std::string(type);
  return "application/octet-stream";
}

bool compressible(const std::string& content_type) {
  return content_type.starts_with("text/") || content_type == "application/json" ||
         content_type == "image/svg+xml" || content_type == "application/manifest+json";
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return out;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

bool accepts_gzip(const http_request& request) {
  auto value = request.header("accept-encoding");
  if (!value) return false;
  // "gzip;q=0" refuses it; any other mention accepts it.
  auto at = value->find("gzip");
  if (at == std::string_view::npos) return false;
  auto rest = value->substr(at + 4, value->find(',', at) - at - 4);
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  return !(rest.starts_with(";q=0") &&
           rest.find_first_of("123456789", 4) == std::string_view::npos);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

static_site::static_site(fs::path root) : root_(std::move(root)) {}

bool static_site::claims(std::string_view method, std::string_view path) {
  // Anything spelled like one of the node's own services (`/api%2Fusers` too) stays theirs: a
  // 404 there, never a file or the interface's index.
  static constexpr std::string_view reserved[] = {"/api", "/dicom-web", "/metrics"};
  if (method != "GET" && method != "HEAD") return false;
  return std::ranges::none_of(reserved, [&](auto prefix) { return path.starts_with(prefix); });
}

http_response static_site::serve(const http_request& request) const {
  const auto segments = safe_segments(request.path());
  if (!segments) return text_response(400, "The requested path is not allowed.");
  std::error_code ec;
  const auto root = fs::canonical(root_, ec);
  const bool built = !ec && is_file(root / "index.html");
  const bool has_extension = !segments->empty() && segments->back().find('.') != std::string::npos;
  if (!built) {
    if (has_extension) return text_response(404, not_found_text);
    return {.status = 200,
            .content_type = "text/html; charset=utf-8",
            .body = not_built_page(root_),
            .headers = {{"Cache-Control", "no-cache"}}};
  }

  fs::path relative;
  for (const auto& s : *segments) relative /= s;
  auto file = fs::weakly_canonical(root / relative, ec);
  if (ec || !inside(root, file)) return text_response(404, not_found_text);
  if (segments->empty() || !is_file(file)) {
    // A folder is never listed; a path without an extension is one of the interface's own pages.
    if (has_extension) return text_response(404, not_found_text);
    file = root / "index.html";
  }

  const bool immutable =
      !segments->empty() && segments->front() == "assets" && file != root / "index.html";
  auto response = file_response(file.string(), content_type_of(file));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (compressible(response.content_type)) {
    response.headers.emplace_back("Vary", "Accept-Encoding");
    auto gz = fs::path(file.string() + ".gz");
    auto gz_canonical = fs::weakly_canonical(gz, ec);
    if (accepts_gzip(request) && !ec && inside(root, gz_canonical) && is_file(gz_canonical)) {
      response.file = gz_canonical.string();
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  // Every file has an ETag and a Last-Modified; hashed assets are cached for a year, everything
  // else (index.html first) is revalidated on every use.
  const auto size = fs::file_size(response.file, ec);
  if (ec) return text_response(404, not_found_text);
  const auto written = fs::last_write_time(response.file, ec);
  if (ec) return text_response(404, not_found_text);
  const auto since_epoch = std::chrono::file_clock::to_sys(written).time_since_epoch();
  const auto mtime = static_cast<std::time_t>(
      std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  char tag[80];
  std::snprintf(tag, sizeof tag, "\"%jx-%jx\"", static_cast<std::uintmax_t>(size),
                static_cast<std::uintmax_t>(nanos));
  const std::string etag = tag;
  bool fresh = false;
  if (auto match = request.header("if-none-match")) {
    fresh = match->find(etag) != std::string_view::npos || *match == "*";
  } else if (auto since = request.header("if-modified-since")) {
    auto t = parse_http_date(*since);
    fresh = t && *t >= mtime;
  }
  auto& headers = response.headers;
  headers.emplace_back("Cache-Control",
                       immutable ? "public, max-age=31536000, immutable" : "no-cache");
  headers.emplace_back("ETag", etag);
  headers.emplace_back("Last-Modified", http_date(mtime));
  if (fresh) {
    auto not_modified = empty_response(304);
    not_modified.headers = std::move(headers);
    std::erase_if(not_modified.headers,
                  [](const auto& h) { return h.first == "Content-Encoding"; });
    return not_modified;
  }
  return response;
}

}  // namespace sbx::http
