// SPDX-License-Identifier: Apache-2.0
#include "persistence/file_store.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sodium.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <system_error>

#include "persistence/s3_store.hpp"

namespace sbx::persistence {

std::string new_storage_key() {
  constexpr std::size_t bytes = 16;
  static const int ok = sodium_init();
  (void)ok;
  std::array<unsigned char, 32> b{};
  randombytes_buf(b.data(), bytes);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0xf];
  }
  return out;
}

bool is_storage_key(const std::string& key) {
  if (key.size() != 32) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::shared_ptr<const file_store> make_file_store(const store_settings& s) {
  if (s.backend == "s3") return std::make_shared<const s3_store>(s);
  return std::make_shared<const filesystem_store>(s.data_dir);
}

filesystem_store::filesystem_store(std::filesystem::path root) : root_(std::move(root)) {
  std::filesystem::create_directories(root_ / "tmp");
  for (int i = 0; i < 256; ++i) {
    char shard[3];
    std::snprintf(shard, sizeof shard, "%02x", i);
    std::filesystem::create_directories(root_ / "images" / shard);
  }
}

std::filesystem::path filesystem_store::temp_path() const {
  return root_ / "tmp" / new_storage_key();
}

namespace {

/// Flushes an open file's data (and its size) to stable storage.
void flush_fd(int fd, const std::filesystem::path& path) {
  if (::fdatasync(fd) != 0)
    throw std::system_error(errno, std::generic_category(), "fdatasync " + path.string());
}

/// Opens `path` read-only (a folder with O_DIRECTORY), flushes it and closes it.
void flush_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  try {
    flush_fd(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace

std::string filesystem_store::adopt(const std::filesystem::path& temp) const {
  auto key = place(temp);
  try {
    make_durable(key);
  } catch (...) {
    remove(key);
    throw;
  }
  return key;
}

std::string filesystem_store::place(const std::filesystem::path& temp) const {
  auto key = new_storage_key();
  std::filesystem::rename(temp, path_of(key));
  return key;
}

void filesystem_store::make_durable(const std::string& key) const {
  // Durable before it is acknowledged (docs/operations.md#durability): the file's bytes, then its
  // name in the shard folder. Each ingest worker flushes only its own file, so flushes of
  // concurrent uploads run side by side (the file system joins them into one journal commit)
  // and no upload waits for unrelated writes, as a flush of the whole file system would.
  const auto target = path_of(key);
  flush_path(target, 0);
  flush_path(target.parent_path(), O_DIRECTORY);
}

bool filesystem_store::intact(const std::string& key, std::int64_t bytes) const {
  // A file system that shows a file's size only once its data is written (ext4 in its default
  // data=ordered mode, XFS) never shows a torn file at its full size.
  std::error_code ec;
  if (!is_storage_key(key)) return false;
  const auto size = std::filesystem::file_size(path_of(key), ec);
  return !ec && static_cast<std::int64_t>(size) == bytes;
}

std::filesystem::path filesystem_store::path_of(const std::string& key) const {
  return root_ / "images" / key.substr(0, 2) / key;
}

bool filesystem_store::exists(const std::string& key) const {
  std::error_code ec;
  return is_storage_key(key) && std::filesystem::is_regular_file(path_of(key), ec);
}

void filesystem_store::remove(const std::string& key) const noexcept {
  if (!is_storage_key(key)) return;
  std::error_code ec;
  std::filesystem::remove(path_of(key), ec);
}

std::string filesystem_store::flush_caveat() const {
  struct statfs fs {};
  if (::statfs(root_.c_str(), &fs) != 0) return {};
  // Magic numbers without a name in <linux/magic.h> on every kernel header version.
  constexpr unsigned long cifs = 0xff534d42, smb2 = 0xfe534d42, fuse = 0x65735546;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case TMPFS_MAGIC:
    case RAMFS_MAGIC:
      return root_.string() + " is in memory (tmpfs/ramfs): images do not survive a reboot";
    case NFS_SUPER_MAGIC:
    case cifs:
    case smb2:
    case V9FS_MAGIC:
      return root_.string() +
             " is on a network file system: a flush may not reach the server's disk before an "
             "image is acknowledged";
    case fuse:
      return root_.string() + " is on a FUSE file system, which may not honour flushes";
    default:
      return {};
  }
}

bool filesystem_store::nearly_full(std::uint64_t reserve) const {
  return folder_nearly_full(root_, reserve);
}

bool folder_nearly_full(const std::filesystem::path& folder, std::uint64_t reserve) {
  struct statvfs fs {};
  if (::statvfs(folder.c_str(), &fs) != 0) return false;
  const auto available = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  return available < reserve || (fs.f_files > 0 && fs.f_favail == 0);
}

std::size_t empty_folder(const std::filesystem::path& folder) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(folder, ec)) {
    std::filesystem::remove_all(e.path(), ec);
    ++removed;
  }
  return removed;
}

std::size_t filesystem_store::sweep(const std::unordered_set<std::string>& referenced) const {
  std::size_t removed = empty_folder(root_ / "tmp");
  std::error_code ec;
  for (const auto& shard : std::filesystem::directory_iterator(root_ / "images", ec)) {
    for (const auto& f : std::filesystem::directory_iterator(shard.path(), ec)) {
      if (referenced.count(f.path().filename().string())) continue;
      std::filesystem::remove(f.path(), ec);
      ++removed;
    }
  }
  return removed;
}

std::pair<std::int64_t, std::int64_t> filesystem_store::usage() const {
  std::int64_t files = 0, bytes = 0;
  std::error_code ec;
  for (const auto& shard : std::filesystem::directory_iterator(root_ / "images", ec)) {
    for (const auto& f : std::filesystem::directory_iterator(shard.path(), ec)) {
      const auto size = f.file_size(ec);
      if (ec) continue;
      ++files;
      bytes += static_cast<std::int64_t>(size);
    }
  }
  return {files, bytes};
}

}  // namespace sbx::persistence
