// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "persistence/file_store.hpp"

namespace sbx::http::client {
class s3_client;
}

namespace sbx::persistence {

/// The image files as objects `<prefix>/<key>` of an S3 bucket (docs/operations.md#images-in-s3).
/// Files arrive under the local `tmp/` and are uploaded by adopt(); code that needs a local file
/// gets one from a bounded least-recently-used cache under `<data_dir>/cache`, emptied at start.
/// Blocking: every call that reaches S3 runs on the calling thread.
class s3_store final : public file_store {
 public:
  /// Checks that the bucket can be used; throws std::runtime_error saying why not.
  explicit s3_store(const store_settings& s);
  ~s3_store() override;
  s3_store(const s3_store&) = delete;
  s3_store& operator=(const s3_store&) = delete;

  std::filesystem::path temp_path() const override;
  /// Uploads the file and returns once S3 acknowledged it; throws store_unavailable otherwise
  /// (nothing is stored then). The file moves into the cache.
  std::string adopt(const std::filesystem::path& temp) const override;
  /// The cached copy of the object, fetched first if needed (one download however many threads
  /// ask at once). A file handed out stays in the cache for at least the cache grace period,
  /// however full the cache is, so a reader has that long to open it; an open file stays
  /// readable after eviction. A missing or unreachable object gives a path that does not exist.
  std::filesystem::path path_of(const std::string& key) const override;
  bool exists(const std::string& key) const override;
  void remove(const std::string& key) const noexcept override;
  /// Nothing to do: adopt() returns only after the upload was acknowledged.
  std::string flush_caveat() const override { return {}; }
  /// Concerns the local data folder (tmp/ and the cache) only.
  bool nearly_full(std::uint64_t reserve = 16u << 20) const override;
  /// Empties tmp/ and deletes the objects under the prefix that no key in `referenced` names and
  /// that are older than the sweep age (a younger one may be another node's upload in progress).
  std::size_t sweep(const std::unordered_set<std::string>& referenced) const override;
  /// The objects under the prefix and their total size (a listing of the bucket).
  std::pair<std::int64_t, std::int64_t> usage() const override;

  /// An object that is not in the cache is read from S3 while it arrives (at most 1 MiB waits
  /// unread) and not cached; nullptr for a cached or missing object.
  std::unique_ptr<byte_stream> open_stream(const std::string& key) const override;

  /// The object key of a storage key: `<prefix>/<key>`.
  std::string object_key(const std::string& key) const;
  /// The bytes held by the cache now.
  std::uint64_t cached_bytes() const;

 private:
  struct cache;
  /// Records a file just placed in the cache and evicts what the bound asks for.
  void cached(const std::string& key, std::uint64_t size) const;

  std::unique_ptr<http::client::s3_client> client_;
  std::unique_ptr<cache> cache_;
  std::filesystem::path root_;
  std::filesystem::path cache_dir_;
  std::string prefix_;  ///< "" or "<prefix>/"
  std::uint64_t cache_bytes_;
  std::chrono::seconds grace_;
  std::chrono::seconds sweep_min_age_;
};

}  // namespace sbx::persistence
