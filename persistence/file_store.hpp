// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <utility>

namespace sbx::persistence {

/// The image files, one per image, under a local folder: `images/<2 hex>/<32 hex>` named by a
/// random storage key, and `tmp/` for files still arriving. Bytes are kept exactly as received.
/// Thread-safe: every operation is a file-system call.
class file_store {
 public:
  /// Opens (creating) the folder layout under `root`.
  explicit file_store(std::filesystem::path root);

  /// A fresh, unused path under tmp/ for a file being received.
  std::filesystem::path temp_path() const;
  /// Moves a complete file from tmp/ into the store under a new key and returns the key. Its
  /// write-back starts now; the file and the move are durable only after sync().
  std::string adopt(const std::filesystem::path& temp) const;
  /// Where the file of `key` lives.
  std::filesystem::path path_of(const std::string& key) const;
  /// True if `key` is a well-formed key whose file exists.
  bool exists(const std::string& key) const;
  /// Removes a file (missing files are ignored).
  void remove(const std::string& key) const noexcept;
  /// Makes every file and rename so far durable: one flush of the file system for a whole batch
  /// instead of one fsync per file.
  void sync() const;
  /// Why sync() may not reach stable storage in this folder (tmpfs, ramfs, a network or FUSE
  /// file system), or "" for a local disk file system.
  std::string flush_caveat() const;
  /// True when the folder's file system has less than `reserve` bytes or no inode left for an
  /// unprivileged writer: a write that failed then failed for want of space
  /// (docs/operations.md#full-disk).
  bool nearly_full(std::uint64_t reserve = 16u << 20) const;
  /// Removes every file under tmp/ and every stored file whose key is not referenced; returns how
  /// many files were removed.
  std::size_t sweep(const std::unordered_set<std::string>& referenced) const;
  /// How many stored files there are and their total size in bytes (one walk of images/).
  std::pair<std::int64_t, std::int64_t> usage() const;

 private:
  std::filesystem::path root_;
};

}  // namespace sbx::persistence
