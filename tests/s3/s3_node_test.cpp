// SPDX-License-Identifier: Apache-2.0
// A node with `storage.backend = "s3"` against s3rver, driven over HTTP as a process
// (docs/operations.md#images-in-s3).
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "http/client/s3.hpp"
#include "http/json_view.hpp"
#include "support/dicom_files.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/node_site.hpp"
#include "support/s3_server.hpp"
#include "support/scratch_database.hpp"

using namespace sbx::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string prefix = "site-a";

/// A node on a data folder and a database that outlive its processes, storing in `s3`.
class s3_site : public lone_node {
 public:
  s3_site(sbx::persistence::backend b, const s3_server& s3,
          const std::vector<std::string>& extra = {})
      : lone_node(SBX_BINARY, b, with_bucket(s3, extra)) {}

 private:
  static std::vector<std::string> with_bucket(const s3_server& s3,
                                              const std::vector<std::string>& extra) {
    auto settings = s3.node_settings(prefix);
    settings.insert(settings.end(), extra.begin(), extra.end());
    return settings;
  }
};

/// The storage keys of the objects under the node's prefix.
std::set<std::string> stored_keys(const s3_server& s3) {
  std::set<std::string> out;
  for (const auto& k : s3.keys())
    if (k.starts_with(prefix + "/")) out.insert(k.substr(prefix.size() + 1));
  return out;
}

/// A client of the bucket of its own, as another program (or node) would be.
sbx::http::client::s3_client bucket_client(const s3_server& s3) {
  sbx::http::client::s3_settings s;
  s.endpoint = s3.endpoint();
  s.bucket = "images";
  s.access_key_id = "S3RVER";
  s.secret_access_key = "S3RVER";
  s.path_style = true;
  return sbx::http::client::s3_client(s);
}

}  // namespace

TEMPLATE_TEST_CASE("a node keeps its images in S3: upload, read, render, anonymize, delete", "[s3]",
                   sqlite_backend, postgres_backend) {
  s3_server s3("images");
  s3_site site(TestType::value, s3);
  site.start();
  const auto bytes = fixture("test.dcm");
  const auto id = site.upload_id(bytes);
  const auto sid = std::to_string(id);

  // One object under the prefix, nothing under the local images/ folder.
  auto keys = stored_keys(s3);
  REQUIRE(keys.size() == 1);
  CHECK(read_bytes(s3.object_file(prefix + "/" + *keys.begin())) == bytes);
  CHECK(site.files_under("images") == 0);

  CHECK(site.admin("GET", "/api/metadata/images/" + sid).status == 200);
  auto download = site.admin("GET", "/api/images/" + sid);
  REQUIRE(download.status == 200);
  CHECK(download.body == bytes);
  auto png = site.admin("GET", "/api/images/" + sid + "/png");
  REQUIRE(png.status == 200);
  CHECK(png.body.starts_with("\x89PNG"));
  CHECK(site.admin("GET", "/api/images/" + sid + "/attributes").status == 200);

  // Restarted, the node starts with an empty cache and fetches the image from the bucket.
  site.kill();
  site.start();
  CHECK(site.files_under("cache") == 0);
  download = site.admin("GET", "/api/images/" + sid);
  REQUIRE(download.status == 200);
  CHECK(download.body == bytes);
  CHECK(site.files_under("cache") == 0);  // a download streams from S3 (see below)
  CHECK(site.admin("GET", "/api/images/" + sid + "/png").status == 200);
  CHECK(site.files_under("cache") == 1);               // GDCM reads a local copy
  download = site.admin("GET", "/api/images/" + sid);  // now from the cache
  REQUIRE(download.status == 200);
  CHECK(download.body == bytes);

  // Anonymized in place: a new object replaces the old one.
  auto anonymized =
      site.admin("PUT", "/api/images/" + sid + "/anonymize",
                 R"({"profile":{"options":[{"name":"BASIC_PROFILE"}]},"tagValues":[]})");
  INFO(anonymized.body);
  REQUIRE(anonymized.status == 200);
  const auto fresh = std::to_string(parse_json(anonymized.body)["id"].GetInt64());
  auto after = stored_keys(s3);
  REQUIRE(after.size() == 1);
  CHECK(*after.begin() != *keys.begin());
  auto anonymous = site.admin("GET", "/api/images/" + fresh);
  REQUIRE(anonymous.status == 200);
  CHECK(anonymous.body == read_bytes(s3.object_file(prefix + "/" + *after.begin())));
  CHECK(anonymous.body != bytes);

  // Deleted: the object is gone from the bucket.
  CHECK(site.admin("DELETE", "/api/images/" + fresh).status == 204);
  CHECK(stored_keys(s3).empty());
  CHECK(site.admin("GET", "/api/images/" + fresh).status == 404);
}

TEMPLATE_TEST_CASE("the start-up sweep deletes old unreferenced objects and keeps fresh ones",
                   "[s3]", sqlite_backend, postgres_backend) {
  s3_server s3("images");
  s3_site site(TestType::value, s3);
  site.start();
  const auto id = site.upload_id(fixture("test.dcm"));
  const auto kept = *stored_keys(s3).begin();
  site.kill();

  // Two objects no image references: one of another day (an interrupted ingest), one just
  // stored (perhaps another node's upload, its row not yet written).
  scratch_dir dir;
  write_bytes(dir / "x", "not an image");
  const auto client = bucket_client(s3);
  const std::string old_key = "0123456789abcdef0123456789abcdef";
  const std::string fresh_key = "fedcba9876543210fedcba9876543210";
  client.put_file(prefix + "/" + old_key, dir / "x");
  client.put_file(prefix + "/" + fresh_key, dir / "x");
  client.put_file("elsewhere/" + old_key, dir / "x");
  const auto day_ago = fs::file_time_type::clock::now() - 24h;
  fs::last_write_time(s3.object_file(prefix + "/" + old_key), day_ago);
  fs::last_write_time(s3.object_file("elsewhere/" + old_key), day_ago);

  site.start();
  CHECK(stored_keys(s3) == std::set<std::string>{kept, fresh_key});
  CHECK(client.exists("elsewhere/" + old_key));  // not under the node's prefix
  auto download = site.admin("GET", "/api/images/" + std::to_string(id));
  CHECK(download.status == 200);
}

TEST_CASE("a node whose bucket does not exist refuses to start and says why", "[s3]") {
  s3_server s3("images");
  s3_site site(sbx::persistence::backend::sqlite, s3, {"SBX_STORAGE_S3_BUCKET=missing-bucket"});
  CHECK(site.start_and_fail() != 0);
  CHECK_THAT(site.log(), Catch::Matchers::Contains("S3 bucket \"missing-bucket\" cannot be used") &&
                             Catch::Matchers::Contains("NoSuchBucket"));
}

TEST_CASE("a node whose S3 endpoint is down refuses to start and says why", "[s3]") {
  s3_server s3("images");
  s3.stop();
  s3_site site(sbx::persistence::backend::sqlite, s3);
  CHECK(site.start_and_fail() != 0);
  CHECK_THAT(site.log(), Catch::Matchers::Contains("S3 bucket \"images\" cannot be reached"));
}

TEMPLATE_TEST_CASE("reads and uploads while S3 is down get 503 and leave nothing, and work after",
                   "[s3]", sqlite_backend, postgres_backend) {
  s3_server s3("images");
  s3_site site(TestType::value, s3);
  site.start();
  const auto bytes = fixture("test.dcm");
  const auto first = site.upload_id(bytes);
  site.kill();
  site.start();  // an empty cache: every read asks S3

  const auto set =
      parse_json(
          site.admin("POST", "/api/images/export", "[" + std::to_string(first) + "]").body)["id"]
          .GetInt64();
  s3.stop();
  // A read S3 cannot serve now is 503, not a 404 that would say the image is gone.
  CHECK(site.admin("GET", "/api/images/export?id=" + std::to_string(set)).status == 503);
  const auto image = "/api/images/" + std::to_string(first);
  for (const auto& target : {image, image + "/png", image + "/attributes"}) {
    const auto r = site.admin("GET", target);
    INFO(target << ": " << r.body);
    CHECK(r.status == 503);
  }
  CHECK(site.admin("GET", "/api/metadata/images/" + std::to_string(first)).status == 200);
  const auto refused = site.upload(fixture("sc.dcm"));
  INFO(refused.body);
  CHECK(refused.status == 503);
  CHECK(site.image_count() == 1);  // no row without its object
  CHECK(site.files_under("tmp") == 0);

  s3.start();
  const auto second = site.upload_id(fixture("sc.dcm"));
  CHECK(site.image_count() == 2);
  CHECK(stored_keys(s3).size() == 2);
  for (const auto id : {first, second})
    CHECK(site.admin("GET", "/api/images/" + std::to_string(id)).status == 200);
}

TEST_CASE("a download of an image not in the cache streams from S3 without a local copy", "[s3]") {
  s3_server s3("images");
  s3_site site(sbx::persistence::backend::sqlite, s3);
  site.start();
  // 1.7 MB: more than the 1 MiB the node lets wait unread, so the transfer has to pause for the
  // client at least once.
  const auto bytes = fixture("sc.dcm");
  const auto small = fixture("test.dcm");
  const auto big = std::to_string(site.upload_id(bytes));
  const auto other = std::to_string(site.upload_id(small));
  site.kill();
  site.start();  // an empty cache

  for (int round = 0; round < 3; ++round) {
    auto download = site.admin("GET", "/api/images/" + big);
    REQUIRE(download.status == 200);
    CHECK(download.body == bytes);
    CHECK(download.header("Content-Type") == "application/octet-stream");
    CHECK(site.admin("GET", "/api/images/" + other).body == small);
  }
  // Nothing was staged: no cached copy, nothing under tmp/.
  CHECK(site.files_under("cache") == 0);
  CHECK(site.files_under("tmp") == 0);
  // An export of both, neither cached: the archive (entries stored, not compressed) holds their
  // bytes, read from S3 while it is sent; still nothing in the cache.
  const auto set =
      parse_json(site.admin("POST", "/api/images/export", "[" + big + "," + other + "]").body)["id"]
          .GetInt64();
  for (int round = 0; round < 2; ++round) {
    auto zip = site.admin("GET", "/api/images/export?id=" + std::to_string(set));
    REQUIRE(zip.status == 200);
    CHECK(zip.body.starts_with("PK"));
    CHECK(zip.body.find(bytes) != std::string::npos);
    CHECK(zip.body.find(small) != std::string::npos);
  }
  CHECK(site.files_under("cache") == 0);
  // An image whose object is gone: 404, as before.
  for (const auto& key : stored_keys(s3)) bucket_client(s3).remove(prefix + "/" + key);
  CHECK(site.admin("GET", "/api/images/" + big).status == 404);
}
