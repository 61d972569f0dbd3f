// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace sbx::persistence {

/// A store that cannot be reached right now (an S3 endpoint that is down or refusing): the
/// request may succeed later, so it is answered 503, not 500.
class store_unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The bytes of a stored file, read piece by piece as they arrive (file_store::open_stream).
class byte_stream {
 public:
  virtual ~byte_stream() = default;
  /// The next piece, valid until the next call; empty once the file is complete. Throws when it
  /// cannot be completed.
  virtual std::string_view next() = 0;
  /// How many bytes the whole file has, when the store said so.
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
};

/// Where the image files are kept, one per image under a random storage key; bytes are kept
/// exactly as received. Files arrive under a local tmp/ folder and are adopted once complete.
/// Two implementations: filesystem_store (a local folder) and s3_store (a bucket with a bounded
/// local cache; docs/operations.md#images-in-s3). Thread-safe.
class file_store {
 public:
  virtual ~file_store() = default;

  /// A fresh, unused local path under tmp/ for a file being received.
  virtual std::filesystem::path temp_path() const = 0;
  /// Stores a complete file from tmp/ under a new key and returns the key; the temporary file is
  /// gone afterwards. Throws store_unavailable when the store cannot take it now (the temporary
  /// file is then left to the caller). The file is durable when this returns: flushed to the
  /// file system's stable storage, or uploaded to S3 and acknowledged.
  virtual std::string adopt(const std::filesystem::path& temp) const = 0;
  /// Like adopt(), but the file may not be flushed yet when this returns: make_durable() then
  /// flushes it. The ingest path commits the image's row while the file is being flushed
  /// (docs/operations.md#durability). For a store whose adopt() is durable by nature (S3), the
  /// same as adopt().
  virtual std::string place(const std::filesystem::path& temp) const { return adopt(temp); }
  /// Flushes a file place() stored; throws std::system_error if it cannot be.
  virtual void make_durable(const std::string& /*key*/) const {}
  /// Whether place() leaves the flush to make_durable().
  virtual bool defers_flush() const { return false; }
  /// Whether the file under `key` exists with all its `bytes`: after a power cut, a file that
  /// place() stored but make_durable() had not finished may be missing or short. An S3 object is
  /// whole or absent.
  virtual bool intact(const std::string& key, std::int64_t /*bytes*/) const { return exists(key); }
  /// A local file with the bytes of `key` (for S3 a copy in the cache, fetched if needed); it
  /// may not exist when the key does not. Throws store_unavailable when S3 cannot be reached.
  virtual std::filesystem::path path_of(const std::string& key) const = 0;
  /// True if `key` is a well-formed key whose file exists. Throws store_unavailable when that
  /// cannot be told now (S3 unreachable): a read then answers 503, never a false 404.
  virtual bool exists(const std::string& key) const = 0;
  /// Removes a file (missing files are ignored).
  virtual void remove(const std::string& key) const noexcept = 0;
  /// Why a flush may not reach stable storage (tmpfs, ramfs, a network or FUSE file system), or
  /// "" when it does.
  virtual std::string flush_caveat() const = 0;
  /// True when the local folder's file system has less than `reserve` bytes or no inode left for
  /// an unprivileged writer: a write that failed then failed for want of space
  /// (docs/operations.md#full-disk).
  virtual bool nearly_full(std::uint64_t reserve = 16u << 20) const = 0;
  /// Removes every file under tmp/ and every stored file whose key is not referenced; returns how
  /// many files were removed.
  virtual std::size_t sweep(const std::unordered_set<std::string>& referenced) const = 0;
  /// How many stored files there are and their total size in bytes.
  virtual std::pair<std::int64_t, std::int64_t> usage() const = 0;
  /// The bytes of `key` streamed without a local copy first (S3, an object not cached:
  /// GET /api/images/{id}), or nullptr when path_of() is the way to read it (the file system, a
  /// cached object, a missing one). Throws store_unavailable when S3 cannot be reached.
  virtual std::unique_ptr<byte_stream> open_stream(const std::string& /*key*/) const {
    return nullptr;
  }

 protected:
  file_store() = default;
  file_store(const file_store&) = default;
  file_store& operator=(const file_store&) = default;
};

/// The image files under a local folder: `images/<2 hex>/<32 hex>`, and `tmp/` for files still
/// arriving. Every operation is a file-system call.
class filesystem_store final : public file_store {
 public:
  /// Opens (creating) the folder layout under `root`.
  explicit filesystem_store(std::filesystem::path root);

  std::filesystem::path temp_path() const override;
  std::string adopt(const std::filesystem::path& temp) const override;
  std::string place(const std::filesystem::path& temp) const override;
  void make_durable(const std::string& key) const override;
  bool defers_flush() const override { return true; }
  bool intact(const std::string& key, std::int64_t bytes) const override;
  std::filesystem::path path_of(const std::string& key) const override;
  bool exists(const std::string& key) const override;
  void remove(const std::string& key) const noexcept override;
  std::string flush_caveat() const override;
  bool nearly_full(std::uint64_t reserve = 16u << 20) const override;
  std::size_t sweep(const std::unordered_set<std::string>& referenced) const override;
  std::pair<std::int64_t, std::int64_t> usage() const override;

 private:
  std::filesystem::path root_;
};

/// How the store is chosen and set up (the `storage.*` configuration keys).
struct store_settings {
  std::filesystem::path data_dir;
  std::string backend = "filesystem";  ///< "filesystem" or "s3"
  std::string s3_endpoint;
  std::string s3_bucket;
  std::string s3_prefix;
  std::string s3_region;
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  bool s3_path_style = false;
  std::uint64_t cache_bytes = 1ull << 30;
  /// A cached file handed out this recently is never evicted (docs/operations.md#images-in-s3).
  std::chrono::seconds cache_grace{300};
  /// An unreferenced object younger than this is left by sweep(): another node may be storing it.
  std::chrono::seconds sweep_min_age{3600};
};

/// A fresh random storage key: 32 lower-case hex digits.
std::string new_storage_key();
/// Whether `key` has the form new_storage_key() gives.
bool is_storage_key(const std::string& key);

/// Removes everything in a folder (not the folder); returns how many entries were removed.
std::size_t empty_folder(const std::filesystem::path& folder);

/// What file_store::nearly_full() tells, for any local folder.
bool folder_nearly_full(const std::filesystem::path& folder, std::uint64_t reserve);

/// The store `s` asks for; for S3 the bucket is checked first, and an unreachable or unusable
/// bucket throws std::runtime_error saying why.
std::shared_ptr<const file_store> make_file_store(const store_settings& s);

}  // namespace sbx::persistence
