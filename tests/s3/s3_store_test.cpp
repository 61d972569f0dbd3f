// SPDX-License-Identifier: Apache-2.0
// The S3 store itself against s3rver: uploads, the bounded cache, concurrent reads, failures
// (docs/operations.md#images-in-s3).
#include "persistence/s3_store.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/client/s3.hpp"
#include "support/eventually.hpp"
#include "support/s3_server.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;
using sbx::persistence::s3_store;
using sbx::persistence::store_settings;
namespace fs = std::filesystem;

namespace {

store_settings settings_for(const s3_server& s3, const fs::path& data) {
  store_settings s;
  s.data_dir = data;
  s.backend = "s3";
  s.s3_endpoint = s3.endpoint();
  s.s3_bucket = "images";
  s.s3_prefix = "/p/";
  s.s3_region = "us-east-1";
  s.s3_access_key_id = "S3RVER";
  s.s3_secret_access_key = "S3RVER";
  s.s3_path_style = true;
  return s;
}

/// Stores `bytes` through the store as an ingest would; returns the key.
std::string put(const s3_store& store, const std::string& bytes) {
  const auto temp = store.temp_path();
  write_bytes(temp, bytes);
  return store.adopt(temp);
}

std::size_t files_in(const fs::path& folder) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file()) ++n;
  return n;
}

}  // namespace

TEST_CASE("S3 store: adopt uploads, path_of reads back, remove deletes", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  s3_store store(settings_for(s3, data.path()));
  const std::string bytes(10000, 'x');
  const auto temp = store.temp_path();
  write_bytes(temp, bytes);
  const auto key = store.adopt(temp);
  CHECK_FALSE(fs::exists(temp));
  CHECK(store.object_key(key) == "p/" + key);
  // s3rver may finish writing its own file just after it answered the PUT: poll for it.
  CHECK(eventually(std::chrono::seconds{10},
                   [&] { return read_bytes(s3.object_file("p/" + key)) == bytes; }));
  CHECK(store.exists(key));
  CHECK(read_bytes(store.path_of(key)) == bytes);
  CHECK(store.usage() == std::pair<std::int64_t, std::int64_t>{1, 10000});
  CHECK_FALSE(store.exists("0123456789abcdef0123456789abcdef"));
  CHECK_FALSE(fs::exists(store.path_of("0123456789abcdef0123456789abcdef")));
  CHECK_FALSE(store.exists("../../etc/passwd"));
  store.remove(key);
  CHECK_FALSE(store.exists(key));
  CHECK(s3.keys().empty());
  CHECK(store.cached_bytes() == 0);
  CHECK(store.flush_caveat().empty());
  CHECK_FALSE(store.nearly_full());
}

TEST_CASE("S3 store: the cache stays within its bound once its files are past the grace period",
          "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  auto s = settings_for(s3, data.path());
  s.cache_bytes = 3000;
  s.cache_grace = std::chrono::seconds{0};
  s3_store store(s);
  std::vector<std::string> keys;
  for (char c = 'a'; c < 'h'; ++c) keys.push_back(put(store, std::string(1000, c)));
  CHECK(store.cached_bytes() <= 3000);
  CHECK(files_in(data / "cache") <= 3);
  // Every image is still readable: the evicted ones come back from the bucket.
  for (std::size_t i = 0; i < keys.size(); ++i)
    CHECK(read_bytes(store.path_of(keys[i])) == std::string(1000, static_cast<char>('a' + i)));
  CHECK(store.cached_bytes() <= 3000);

  SECTION("within the grace period nothing is evicted, so a path handed out stays valid") {
    auto held = settings_for(s3, data.path());
    held.cache_bytes = 3000;
    s3_store patient(held);  // the default grace: minutes
    std::vector<fs::path> paths;
    for (const auto& k : keys) paths.push_back(patient.path_of(k));
    for (const auto& p : paths) CHECK(fs::exists(p));
    CHECK(patient.cached_bytes() == 7000);
  }
}

TEST_CASE("S3 client: a listing longer than one page is read page after page", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  const auto s = settings_for(s3, data.path());
  sbx::http::client::s3_settings c;
  c.endpoint = s.s3_endpoint;
  c.bucket = s.s3_bucket;
  c.access_key_id = s.s3_access_key_id;
  c.secret_access_key = s.s3_secret_access_key;
  c.path_style = true;
  const sbx::http::client::s3_client client(c);
  write_bytes(data / "f", "12345");
  std::set<std::string> put_keys;
  for (int i = 0; i < 7; ++i) {
    const auto key = "pages/k" + std::to_string(i) + " &<x>";  // encoded, and escaped in XML
    client.put_file(key, data / "f");
    put_keys.insert(key);
  }
  client.put_file("other/k", data / "f");
  std::set<std::string> listed;
  for (const auto& o : client.list("pages/", 2)) {
    listed.insert(o.key);
    CHECK(o.size == 5);
    CHECK(o.last_modified_ms > 0);
  }
  CHECK(listed == put_keys);
}

TEST_CASE("S3 store: concurrent readers of one key share one download", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  std::string key;
  const std::string bytes(2'000'000, 'z');
  {
    s3_store writer(settings_for(s3, data.path()));
    key = put(writer, bytes);
  }
  s3_store store(settings_for(s3, data.path()));  // starts with an empty cache
  CHECK(store.cached_bytes() == 0);
  std::vector<std::thread> readers;
  std::vector<std::string> seen(8);
  for (std::size_t i = 0; i < seen.size(); ++i)
    readers.emplace_back([&, i] { seen[i] = read_bytes(store.path_of(key)); });
  for (auto& t : readers) t.join();
  for (const auto& s : seen) CHECK(s == bytes);
  CHECK(store.cached_bytes() == bytes.size());
  CHECK(files_in(data / "cache") == 1);  // no partial download left behind
}

TEST_CASE("S3 store: a refused upload throws store_unavailable and stores nothing", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  s3_store store(settings_for(s3, data.path()));
  s3.stop();
  const auto temp = store.temp_path();
  write_bytes(temp, "bytes");
  CHECK_THROWS_AS(store.adopt(temp), sbx::persistence::store_unavailable);
  CHECK(store.cached_bytes() == 0);
  s3.start();
  CHECK(s3.keys().empty());
  // The same file goes in once S3 is back.
  const auto key = store.adopt(temp);
  CHECK(store.exists(key));
}

TEST_CASE("S3 store: reads while S3 is down throw store_unavailable, never a false 'missing'",
          "[s3]") {
  s3_server s3("images");
  scratch_dir writer_data, data;
  s3_store writer(settings_for(s3, writer_data.path()));
  const auto temp = writer.temp_path();
  write_bytes(temp, "stored bytes");
  const auto key = writer.adopt(temp);
  s3_store store(settings_for(s3, data.path()));  // another node: nothing in its cache
  s3.stop();
  CHECK_THROWS_AS(store.exists(key), sbx::persistence::store_unavailable);
  CHECK_THROWS_AS(store.path_of(key), sbx::persistence::store_unavailable);
  CHECK(files_in(data / "cache") == 0);  // no partial download left behind
  s3.start();
  CHECK(store.exists(key));
  CHECK(read_bytes(store.path_of(key)) == "stored bytes");
}

TEST_CASE("S3 store: a bucket that is not there stops the store from opening", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  auto s = settings_for(s3, data.path());
  s.s3_bucket = "nope";
  CHECK_THROWS_WITH(s3_store(s), Catch::Matchers::Contains("S3 bucket \"nope\" cannot be used"));
  // s3rver parses the Authorization header (it does not recompute V4 signatures) and knows
  // only the access key S3RVER.
  s = settings_for(s3, data.path());
  s.s3_access_key_id = "AKIDUNKNOWN";
  CHECK_THROWS_WITH(s3_store(s), Catch::Matchers::Contains("InvalidAccessKeyId"));
}

TEST_CASE("S3 store: empty credentials and region come from the AWS variables", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  auto s = settings_for(s3, data.path());
  s.s3_access_key_id.clear();
  s.s3_secret_access_key.clear();
  s.s3_region.clear();
  // This test runs in a process of its own (one ctest entry per test case).
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  ::setenv("AWS_REGION", "eu-north-1", 1);
  CHECK_THROWS_WITH(s3_store(s), Catch::Matchers::Contains("InvalidAccessKeyId"));
  ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  s3_store store(s);
  const auto key = put(store, "from the environment");
  CHECK(read_bytes(store.path_of(key)) == "from the environment");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_REGION");
}

TEST_CASE("S3 store: a file larger than the whole cache is still handed out", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  auto s = settings_for(s3, data.path());
  s.cache_bytes = 100;
  s.cache_grace = std::chrono::seconds{0};
  s3_store store(s);
  const std::string big(1000, 'b');
  const auto key = put(store, big);
  s3_store fresh(s);  // an empty cache: the file comes from the bucket
  CHECK(read_bytes(fresh.path_of(key)) == big);
}

TEST_CASE("S3 store: virtual-host addressing reaches the same bucket", "[s3]") {
  s3_server s3("images");
  scratch_dir data;
  auto s = settings_for(s3, data.path());
  s.s3_endpoint = s3.virtual_host_endpoint();
  s.s3_path_style = false;
  s3_store store(s);
  const auto key = put(store, "virtual host");
  CHECK(read_bytes(s3.object_file("p/" + key)) == "virtual host");
  s3_store fresh(s);
  CHECK(read_bytes(fresh.path_of(key)) == "virtual host");
  CHECK(fresh.usage().first == 1);
  fresh.remove(key);
  CHECK(s3.keys().empty());
}
