// SPDX-License-Identifier: Apache-2.0
#include "persistence/s3_store.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdlib>
#include <list>
#include <mutex>
#include <unordered_map>

#include "http/client/s3.hpp"

namespace sbx::persistence {
namespace {

using steady = std::chrono::steady_clock;

/// `value`, or when it is empty the environment variable `name`, or `fallback`.
std::string or_environment(const std::string& value, const char* name,
                           const std::string& fallback = {}) {
  if (!value.empty()) return value;
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

http::client::s3_settings client_settings(const store_settings& s) {
  http::client::s3_settings c;
  c.endpoint = s.s3_endpoint;
  c.bucket = s.s3_bucket;
  c.region = or_environment(s.s3_region, "AWS_REGION", "us-east-1");
  c.access_key_id = or_environment(s.s3_access_key_id, "AWS_ACCESS_KEY_ID");
  c.secret_access_key = or_environment(s.s3_secret_access_key, "AWS_SECRET_ACCESS_KEY");
  c.path_style = s.s3_path_style;
  return c;
}

std::string normalised_prefix(std::string p) {
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p.empty() ? p : p + "/";
}

}  // namespace

/// What the cache folder holds, most recently used first.
struct s3_store::cache {
  struct entry {
    std::uint64_t size = 0;
    steady::time_point last_use;
    std::list<std::string>::iterator position;
  };
  std::mutex mutex;
  std::condition_variable fetched;
  std::unordered_map<std::string, entry> entries;
  std::list<std::string> recency;            ///< keys, most recently used first
  std::unordered_set<std::string> fetching;  ///< keys being downloaded now
  std::uint64_t total = 0;

  /// Marks `key` used now (it must be an entry).
  void touch(const std::string& key) {
    auto& e = entries.at(key);
    recency.splice(recency.begin(), recency, e.position);
    e.last_use = steady::now();
  }
};

s3_store::s3_store(const store_settings& s)
    : client_(std::make_unique<http::client::s3_client>(client_settings(s))),
      cache_(std::make_unique<cache>()),
      root_(s.data_dir),
      cache_dir_(s.data_dir / "cache"),
      prefix_(normalised_prefix(s.s3_prefix)),
      cache_bytes_(s.cache_bytes),
      grace_(s.cache_grace),
      sweep_min_age_(s.sweep_min_age) {
  if (s.s3_bucket.empty()) throw std::runtime_error("storage.s3.bucket is empty");
  std::filesystem::create_directories(root_ / "tmp");
  // Whatever a previous run cached may be stale (an image replaced meanwhile by another node).
  std::error_code ec;
  std::filesystem::remove_all(cache_dir_, ec);
  std::filesystem::create_directories(cache_dir_);
  client_->check_bucket();
}

s3_store::~s3_store() = default;

std::string s3_store::object_key(const std::string& key) const { return prefix_ + key; }

std::filesystem::path s3_store::temp_path() const { return root_ / "tmp" / new_storage_key(); }

std::string s3_store::adopt(const std::filesystem::path& temp) const {
  auto key = new_storage_key();
  try {
    client_->put_file(object_key(key), temp);
  } catch (const http::client::s3_error& e) {
    throw store_unavailable(std::string("the S3 store did not take the file: ") + e.what());
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(temp, ec);
  std::filesystem::rename(temp, cache_dir_ / key, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
  } else {
    cached(key, size);
  }
  return key;
}

void s3_store::cached(const std::string& key, std::uint64_t size) const {
  auto& c = *cache_;
  std::lock_guard lock(c.mutex);
  if (auto it = c.entries.find(key); it != c.entries.end()) {
    c.total -= it->second.size;
    it->second.size = size;
    c.total += size;
    c.touch(key);
  } else {
    c.recency.push_front(key);
    c.entries.emplace(key, cache::entry{size, steady::now(), c.recency.begin()});
    c.total += size;
  }
  // Evict from the least recently used end, but never a file handed out within the grace
  // period: its reader may not have opened it yet.
  const auto now = steady::now();
  while (c.total > cache_bytes_ && !c.recency.empty()) {
    const auto victim = c.recency.back();
    auto& e = c.entries.at(victim);
    // The file just placed is about to be handed out, even when it alone exceeds the bound.
    if (victim == key || now - e.last_use < grace_) break;
    std::error_code ec;
    std::filesystem::remove(cache_dir_ / victim, ec);
    c.total -= e.size;
    c.entries.erase(victim);
    c.recency.pop_back();
  }
}

std::filesystem::path s3_store::path_of(const std::string& key) const {
  if (!is_storage_key(key)) return cache_dir_ / "not-a-storage-key";
  const auto path = cache_dir_ / key;
  auto& c = *cache_;
  {
    std::unique_lock lock(c.mutex);
    for (;;) {
      if (c.entries.count(key)) {
        c.touch(key);
        return path;
      }
      if (!c.fetching.count(key)) break;
      c.fetched.wait(lock);
    }
    c.fetching.insert(key);
  }
  bool found = false;
  std::uint64_t size = 0;
  std::string failure;
  const auto part = cache_dir_ / (key + ".part");
  try {
    found = client_->get_file(object_key(key), part);
    if (found) {
      size = std::filesystem::file_size(part);
      std::filesystem::rename(part, path);
    }
  } catch (const std::exception& e) {
    spdlog::warn("S3 store: could not fetch {}: {}", key, e.what());
    failure = e.what();
    std::error_code ec;
    std::filesystem::remove(part, ec);
    found = false;
  }
  if (found) cached(key, size);
  {
    std::lock_guard lock(c.mutex);
    c.fetching.erase(key);
  }
  c.fetched.notify_all();
  if (!failure.empty()) throw store_unavailable("the S3 store did not give the file: " + failure);
  return path;
}

namespace {

/// A GET of the S3 client as a byte_stream.
class s3_stream final : public byte_stream {
 public:
  explicit s3_stream(std::unique_ptr<http::client::s3_download> d) : download_(std::move(d)) {}
  std::string_view next() override { return download_->next(); }

 private:
  std::unique_ptr<http::client::s3_download> download_;
};

}  // namespace

std::unique_ptr<byte_stream> s3_store::open_stream(const std::string& key) const {
  if (!is_storage_key(key)) return nullptr;
  {
    std::lock_guard lock(cache_->mutex);
    if (cache_->entries.count(key) || cache_->fetching.count(key)) return nullptr;
  }
  try {
    auto download = client_->open(object_key(key));
    if (!download) return nullptr;
    return std::make_unique<s3_stream>(std::move(download));
  } catch (const std::exception& e) {
    spdlog::warn("S3 store: could not read {}: {}", key, e.what());
    throw store_unavailable(std::string("the S3 store did not give the file: ") + e.what());
  }
}

bool s3_store::exists(const std::string& key) const {
  if (!is_storage_key(key)) return false;
  {
    std::lock_guard lock(cache_->mutex);
    if (cache_->entries.count(key)) return true;
  }
  try {
    return client_->exists(object_key(key));
  } catch (const std::exception& e) {
    spdlog::warn("S3 store: could not look up {}: {}", key, e.what());
    throw store_unavailable(std::string("the S3 store cannot be asked: ") + e.what());
  }
}

void s3_store::remove(const std::string& key) const noexcept {
  if (!is_storage_key(key)) return;
  try {
    client_->remove(object_key(key));
  } catch (const std::exception& e) {
    // Left for the sweep (an unreferenced object is removed there).
    spdlog::warn("S3 store: could not delete {}: {}", key, e.what());
  }
  auto& c = *cache_;
  std::lock_guard lock(c.mutex);
  if (auto it = c.entries.find(key); it != c.entries.end()) {
    c.total -= it->second.size;
    c.recency.erase(it->second.position);
    c.entries.erase(it);
    std::error_code ec;
    std::filesystem::remove(cache_dir_ / key, ec);
  }
}

bool s3_store::nearly_full(std::uint64_t reserve) const {
  return folder_nearly_full(root_, reserve);
}

std::size_t s3_store::sweep(const std::unordered_set<std::string>& referenced) const {
  std::size_t removed = empty_folder(root_ / "tmp");
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto min_age_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(sweep_min_age_).count();
  for (const auto& o : client_->list(prefix_)) {
    const auto key = o.key.substr(prefix_.size());
    // Only objects named like ours; anything else under the prefix is not the node's to delete.
    if (!is_storage_key(key) || referenced.count(key)) continue;
    if (now_ms - o.last_modified_ms < min_age_ms) continue;
    remove(key);
    ++removed;
  }
  return removed;
}

std::pair<std::int64_t, std::int64_t> s3_store::usage() const {
  std::int64_t files = 0, bytes = 0;
  try {
    for (const auto& o : client_->list(prefix_)) {
      if (!is_storage_key(o.key.substr(prefix_.size()))) continue;
      ++files;
      bytes += o.size;
    }
  } catch (const std::exception& e) {
    spdlog::warn("S3 store: could not list the bucket: {}", e.what());
  }
  return {files, bytes};
}

std::uint64_t s3_store::cached_bytes() const {
  std::lock_guard lock(cache_->mutex);
  return cache_->total;
}

}  // namespace sbx::persistence
