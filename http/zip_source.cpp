// SPDX-License-Identifier: Apache-2.0
#include "http/zip_source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <optional>
#include <stdexcept>

namespace sbx::http {
namespace {

class zip_writer final : public body_source {
 public:
  zip_writer(std::vector<zip_item> items, int level)
      : items_(std::move(items)),
        owner_(archive_write_new(), &archive_write_free),
        archive_(owner_.get()) {
    if (!archive_) throw std::runtime_error("cannot create a ZIP writer");
    const auto options = "zip:hdrcharset=UTF-8,zip:compression-level=" + std::to_string(level);
    check(archive_write_set_format_zip(archive_));
    check(archive_write_set_options(archive_, options.c_str()));
    // No blocking: every piece libarchive writes reaches `pending_` at once.
    check(archive_write_set_bytes_per_block(archive_, 0));
    check(archive_write_open2(archive_, this, nullptr, &zip_writer::on_write, nullptr, nullptr));
  }

  ~zip_writer() override {
    close_file();
    stream_.reset();
    ahead_stream_.reset();
    for (auto& [index, fd] : ahead_) ::close(fd);
    // Unfinished (failed or abandoned): freeing must not write a central directory.
    if (!finished_) archive_write_fail(archive_);
    owner_.reset();
  }

  std::string_view next() override {
    pending_.clear();
    while (pending_.size() < piece && !finished_) step();
    return pending_;
  }

 private:
  static constexpr std::size_t piece = 256 * 1024;

  static la_ssize_t on_write(struct archive*, void* self, const void* data, size_t size) {
    static_cast<zip_writer*>(self)->pending_.append(static_cast<const char*>(data), size);
    return static_cast<la_ssize_t>(size);
  }

  void check(int status) {
    if (status < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(archive_));
  }

  void close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// One piece of the current entry's stream into the archive.
  void step_stream() {
    const auto piece = stream_->next();
    if (piece.empty()) {
      stream_.reset();
      check(archive_write_finish_entry(archive_));
      ++index_;
      return;
    }
    if (archive_write_data(archive_, piece.data(), piece.size()) !=
        static_cast<la_ssize_t>(piece.size()))
      throw std::runtime_error(archive_error_string(archive_));
  }

  /// Opens item `i` if it is opened rather than read from a path: its stream, or nullptr once
  /// its path is set.
  std::unique_ptr<persistence::byte_stream> open_item(std::size_t i) {
    auto& item = items_[i];
    if (!item.open) return nullptr;
    auto stream = item.open(item.path);
    item.open = nullptr;
    return stream;
  }

  void step() {
    if (stream_) return step_stream();
    if (fd_ < 0) return open_next();
    if (!buffer_) buffer_ = std::make_unique<char[]>(piece);
    auto n = ::read(fd_, buffer_.get(), piece);
    if (n < 0)
      throw std::runtime_error("cannot read " + items_[index_].path + ": " + std::strerror(errno));
    if (n == 0) {
      close_file();
      check(archive_write_finish_entry(archive_));
      ++index_;
      return;
    }
    if (archive_write_data(archive_, buffer_.get(), static_cast<size_t>(n)) != n)
      throw std::runtime_error(archive_error_string(archive_));
  }

  void open_next() {
    if (index_ == items_.size()) {
      check(archive_write_close(archive_));
      finished_ = true;
      return;
    }
    if (ahead_stream_index_ == index_) {
      stream_ = std::move(ahead_stream_);
      ahead_stream_index_ = no_index;
    } else {
      stream_ = open_item(index_);
    }
    if (stream_) return open_stream_entry();
    const auto& item = items_[index_];
    if (!ahead_.empty() && ahead_.front().first == index_) {
      fd_ = ahead_.front().second;
      ahead_.pop_front();
    } else {
      fd_ = ::open(item.path.c_str(), O_RDONLY | O_CLOEXEC);
    }
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0)
      throw std::runtime_error("cannot open " + item.path + ": " + std::strerror(errno));
    read_ahead();
    write_header(item.name, static_cast<std::uint64_t>(st.st_size), st.st_mtime);
  }

  /// The header of the current entry; a size not known (a stream) makes libarchive write the
  /// sizes after the data (a data descriptor).
  void write_header(const std::string& name, std::optional<std::uint64_t> size, std::time_t mtime) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   &archive_entry_free);
    archive_entry_set_pathname_utf8(entry.get(), name.c_str());
    if (size) archive_entry_set_size(entry.get(), static_cast<la_int64_t>(*size));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), mtime, 0);
    check(archive_write_header(archive_, entry.get()));
  }

  /// Writes the header of the current entry, a stream, and opens the next one ahead.
  void open_stream_entry() {
    write_header(items_[index_].name, stream_->size(), std::time(nullptr));
    if (index_ + 1 < items_.size() && ahead_stream_index_ == no_index) {
      ahead_stream_ = open_item(index_ + 1);
      if (ahead_stream_) ahead_stream_index_ = index_ + 1;
    }
  }

  /// Asks the kernel to fetch the next files while this one is sent: reading one file at a time
  /// leaves the disk idle between requests.
  void read_ahead() {
    auto next = ahead_.empty() ? index_ + 1 : ahead_.back().first + 1;
    for (; next < items_.size() && next <= index_ + files_ahead; ++next) {
      if (items_[next].open) break;  // opened when its turn comes
      int fd = ::open(items_[next].path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;  // reported when its turn comes
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
      ahead_.emplace_back(next, fd);
    }
  }

  static constexpr std::size_t files_ahead = 8;

  std::vector<zip_item> items_;
  std::deque<std::pair<std::size_t, int>> ahead_;  ///< opened, being fetched: (index, fd)
  std::unique_ptr<struct archive, int (*)(struct archive*)> owner_;
  struct archive* archive_;
  std::size_t index_ = 0;
  int fd_ = -1;
  bool finished_ = false;
  std::unique_ptr<char[]> buffer_;
  std::string pending_;
  static constexpr std::size_t no_index = static_cast<std::size_t>(-1);
  std::unique_ptr<persistence::byte_stream> stream_;        ///< the current entry's, if streamed
  std::unique_ptr<persistence::byte_stream> ahead_stream_;  ///< the next entry's, opened ahead
  std::size_t ahead_stream_index_ = no_index;
};

}  // namespace

std::shared_ptr<body_source> zip_source(std::vector<zip_item> items, int level) {
  return std::make_shared<zip_writer>(std::move(items), level);
}

}  // namespace sbx::http
