// SPDX-License-Identifier: Apache-2.0
// The web interface served at `/` from http.ui_dir (docs/ui.md#serving): caching, content types,
// interface routes, and that nothing outside the folder is ever served.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "http/running_node.hpp"

using namespace sbx::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* index_html = "<!doctype html><title>ui</title><div id=app></div>";
constexpr const char* secret = "the secret outside the interface's folder";

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

/// A built interface in `<base>/site` beside a folder `<base>/outside` it must never reveal,
/// with symlinks from the one into the other.
struct site_folder {
  fs::path base;
  fs::path site;

  site_folder() {
    std::random_device rd;
    base = fs::temp_directory_path() / ("sbx-site-" + std::to_string(rd()));
    site = base / "site";
    write(site / "index.html", index_html);
    write(site / "assets" / "index-3f2a9c.js", "console.log(1)");
    write(site / "assets" / "index-3f2a9c.js.gz", "gzipped bytes");
    write(site / "assets" / "index-3f2a9c.js.map", "{}");
    write(site / "assets" / "index-77aa01.css", "body{}");
    write(site / "assets" / "logo-1b2c.svg", "<svg/>");
    write(site / "assets" / "photo-99.png", "png");
    write(site / "assets" / "font-12.woff2", "woff2");
    write(site / "manifest.json", "{}");
    write(site / "sub" / "inner.txt", "inner");
    write(site / ".env", secret);
    write(base / "outside" / "secret.txt", secret);
    write(base / "outside" / "secret.txt.gz", secret);
    fs::create_symlink(base / "outside" / "secret.txt", site / "link.txt");
    fs::create_symlink(base / "outside", site / "linkdir");
    fs::create_symlink("../../outside/secret.txt", site / "assets" / "rel-link.js");
  }
  ~site_folder() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

/// The status line's code of a raw exchange.
int raw_status(const http_client& c, const std::string& target) {
  auto out = c.raw("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  if (out.size() < 12) return 0;
  return std::stoi(out.substr(9, 3));
}

/// A raw response's header fields (lower-case names) and the bytes after its blank line.
struct raw_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

raw_response parse_raw(const std::string& out) {
  raw_response r;
  const auto end = out.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  r.status = std::stoi(out.substr(9, 3));
  r.body = out.substr(end + 4);
  std::size_t at = out.find("\r\n") + 2;
  while (at < end) {
    const auto eol = out.find("\r\n", at);
    const auto line = out.substr(at, eol - at);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::ranges::transform(name, name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    at = eol + 2;
  }
  return r;
}

}  // namespace

TEST_CASE("the interface's index is revalidated and its hashed assets are immutable",
          "[http][ui]") {
  site_folder folder;
  running_node n{sqlite_backend::value, [&](auto& c) { c.http_ui_dir = folder.site.string(); }};
  auto c = n.client();

  auto index = c.request("GET", "/");
  REQUIRE(index.status == 200);
  CHECK(index.body == index_html);
  CHECK(index.header("Content-Type") == "text/html; charset=utf-8");
  CHECK(index.header("Cache-Control") == "no-cache");
  auto etag = index.header("ETag").value_or("");
  auto modified = index.header("Last-Modified").value_or("");
  CHECK(etag.size() > 2);
  CHECK(modified.ends_with(" GMT"));
  CHECK(c.request("GET", "/index.html").body == index_html);

  auto same = c.request("GET", "/", {}, {{"If-None-Match", etag}});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(same.header("ETag") == etag);
  CHECK(c.request("GET", "/", {}, {{"If-Modified-Since", modified}}).status == 304);
  CHECK(c.request("GET", "/", {}, {{"If-None-Match", "\"other\""}}).status == 200);
  CHECK(
      c.request("GET", "/", {}, {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status ==
      200);

  auto js = c.request("GET", "/assets/index-3f2a9c.js");
  REQUIRE(js.status == 200);
  CHECK(js.body == "console.log(1)");
  CHECK(js.header("Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(js.header("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(js.header("Vary") == "Accept-Encoding");
  CHECK_FALSE(js.header("Content-Encoding"));

  auto gz = c.request("GET", "/assets/index-3f2a9c.js", {}, {{"Accept-Encoding", "gzip, br"}});
  CHECK(gz.body == "gzipped bytes");
  CHECK(gz.header("Content-Encoding") == "gzip");
  auto refused = c.request("GET", "/assets/index-3f2a9c.js", {}, {{"Accept-Encoding", "gzip;q=0"}});
  CHECK(refused.body == "console.log(1)");

  const std::pair<const char*, const char*> types[] = {
      {"/assets/index-77aa01.css", "text/css; charset=utf-8"},
      {"/assets/logo-1b2c.svg", "image/svg+xml"},
      {"/assets/photo-99.png", "image/png"},
      {"/assets/font-12.woff2", "font/woff2"},
      {"/assets/index-3f2a9c.js.map", "application/json"},
      {"/manifest.json", "application/json"},
  };
  for (const auto& [target, type] : types) {
    INFO(target);
    auto r = c.request("GET", target);
    CHECK(r.status == 200);
    CHECK(r.header("Content-Type") == type);
  }
  // Files outside assets/ are revalidated like the index.
  CHECK(c.request("GET", "/manifest.json").header("Cache-Control") == "no-cache");
}

TEST_CASE("HEAD of the interface's files: the GET's header, no body, 304 when fresh",
          "[http][ui]") {
  site_folder folder;
  running_node n{sqlite_backend::value, [&](auto& c) { c.http_ui_dir = folder.site.string(); }};
  auto c = n.client();

  for (const std::string target : {"/", "/assets/index-3f2a9c.js", "/manifest.json", "/patients"}) {
    INFO(target);
    auto get = c.request("GET", target);
    REQUIRE(get.status == 200);
    auto head =
        parse_raw(c.raw("HEAD " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.headers["content-length"] == std::to_string(get.body.size()));
    for (const char* name : {"Content-Type", "ETag", "Cache-Control", "Last-Modified"}) {
      INFO(name);
      std::string lower = name;
      std::ranges::transform(lower, lower.begin(),
                             [](unsigned char ch) { return std::tolower(ch); });
      CHECK(head.headers[lower] == get.header(name).value_or("missing"));
    }

    // A matching If-None-Match is 304 for both methods, without a body.
    const auto etag = get.header("ETag").value_or("");
    REQUIRE(etag.size() > 2);
    auto same = c.request("GET", target, {}, {{"If-None-Match", etag}});
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    auto head_same =
        parse_raw(c.raw("HEAD " + target + " HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag +
                        "\r\nConnection: close\r\n\r\n"));
    CHECK(head_same.status == 304);
    CHECK(head_same.body.empty());
    CHECK(head_same.headers["etag"] == etag);
  }

  // The gzip copy's length and tag when the client accepts it.
  auto gz = parse_raw(
      c.raw("HEAD /assets/index-3f2a9c.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
            "Connection: close\r\n\r\n"));
  CHECK(gz.headers["content-encoding"] == "gzip");
  CHECK(gz.headers["content-length"] == std::to_string(std::string("gzipped bytes").size()));
  CHECK(gz.body.empty());

  // No body goes out: the next response on the same connection follows the header at once.
  sbx::test::tcp_connection conn{n.port(), std::chrono::seconds(10)};
  conn.write(
      "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /manifest.json HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n");
  const auto both = conn.read_to_close();
  const auto first_end = both.find("\r\n\r\n");
  REQUIRE(first_end != std::string::npos);
  CHECK(both.substr(first_end + 4, 12) == "HTTP/1.1 200");
  CHECK(both.ends_with("\r\n\r\n{}"));

  // The server drops the body of every answer to a HEAD, the API's too.
  auto information_get = c.request("GET", "/api/system/information");
  auto information = parse_raw(
      c.raw("HEAD /api/system/information HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  REQUIRE(information_get.status == 200);
  REQUIRE_FALSE(information_get.body.empty());
  CHECK(information.status == 200);
  CHECK(information.body.empty());
  CHECK(information.headers["content-length"] == std::to_string(information_get.body.size()));

  // A missing file is 404 for HEAD as for GET, still without a body.
  auto missing =
      parse_raw(c.raw("HEAD /assets/none-1.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  CHECK(missing.status == 404);
  CHECK(missing.body.empty());
}

TEST_CASE("the interface's own routes get the index, /api is untouched", "[http][ui]") {
  site_folder folder;
  running_node n{sqlite_backend::value, [&](auto& c) { c.http_ui_dir = folder.site.string(); }};
  auto c = n.client();
  for (auto target : {"/patients", "/patients/12/studies", "/viewer/4?frame=2", "/sub"}) {
    INFO(target);
    auto r = c.request("GET", target);
    CHECK(r.status == 200);
    CHECK(r.body == index_html);
    CHECK(r.header("Cache-Control") == "no-cache");
  }
  // A missing file with an extension is missing, not the index.
  CHECK(c.request("GET", "/assets/gone-123.js").status == 404);
  CHECK(c.request("GET", "/favicon.ico").status == 404);
  CHECK(c.request("GET", "/sub/inner.txt").body == "inner");

  CHECK(c.request("GET", "/api/system/health").body == "OK");
  CHECK(c.request("GET", "/api/nothing-here").status == 401);
  CHECK(n.admin("GET", "/api/nothing-here").status == 404);
  CHECK(n.admin("GET", "/api").status == 404);
  // Nor do other services' prefixes ever fall back to the interface.
  for (auto target : {"/dicom-web/studies", "/metrics", "/api%2Fusers", "/apis"})
    CHECK(c.request("GET", target).body != index_html);
  // Only GET reaches the files.
  CHECK(c.request("POST", "/index.html").status == 404);
}

TEST_CASE("no path outside the interface's folder is served", "[http][ui]") {
  site_folder folder;
  running_node n{sqlite_backend::value, [&](auto& c) { c.http_ui_dir = folder.site.string(); }};
  auto c = n.client();
  const char* attempts[] = {
      "/../outside/secret.txt",
      "/assets/../../outside/secret.txt",
      "/assets/../index.html",
      "/./index.html",
      "/%2e%2e/outside/secret.txt",
      "/%2E%2E/outside/secret.txt",
      "/.%2e/outside/secret.txt",
      "/assets/%2e%2e/%2e%2e/outside/secret.txt",
      "/..%2foutside%2fsecret.txt",
      "/assets%2F..%2F..%2Foutside%2Fsecret.txt",
      "/%2e%2e%2f%2e%2e%2foutside%2fsecret.txt",
      "/..\\outside\\secret.txt",
      "/%5c..%5coutside%5csecret.txt",
      "/..%5coutside%5csecret.txt",
      "/index.html%00.png",
      "/%00",
      "/%zz.js",
      "/%2",
      "/link.txt",
      "/linkdir/secret.txt",
      "/assets/rel-link.js",
      "/.env",
      "/assets/.hidden.js",
      "/sub/",
  };
  for (auto target : attempts) {
    INFO(target);
    auto r = c.request("GET", target, {}, {{"Accept-Encoding", "gzip"}});
    if (std::string_view(target) == "/sub/") {
      // A folder is never listed: its path is an interface route like any other.
      CHECK(r.body == index_html);
      continue;
    }
    CHECK((r.status == 400 || r.status == 404));
    CHECK(r.body.find(secret) == std::string::npos);
    CHECK(r.body.find("inner") == std::string::npos);
  }
  // Bytes a client library would not send as they are.
  for (auto target : {"/..\\..\\outside\\secret.txt", "/%2e%2e\\outside/secret.txt"}) {
    INFO(target);
    auto status = raw_status(c, target);
    CHECK((status == 400 || status == 404));
  }
}

TEST_CASE("without a built interface / says how to build it and the API works", "[http][ui]") {
  running_node n{sqlite_backend::value,
                 [](auto& c) { c.http_ui_dir = "/nonexistent/sbx-ui-dist"; }};
  auto c = n.client();
  auto r = c.request("GET", "/");
  CHECK(r.status == 200);
  CHECK(r.body.find("npm run build") != std::string::npos);
  CHECK(r.body.find("http.ui_dir") != std::string::npos);
  CHECK(c.request("GET", "/patients").status == 200);
  CHECK(c.request("GET", "/assets/index-1.js").status == 404);
  CHECK(c.request("GET", "/api/system/health").body == "OK");
}
