// SPDX-License-Identifier: Apache-2.0
#include "actors/directory_watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <thread>
#include <unordered_map>
#include <utility>

namespace sbx::actors {
namespace fs = std::filesystem;

namespace {

/// What identifies a version of a file: its size and modification time.
using version = std::pair<std::int64_t, std::int64_t>;

constexpr std::int64_t settle_ns = 1'000'000'000;  // a file found by a walk must be this old

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// True if some process has the file open for writing: a read lease is then refused (EAGAIN).
/// Other failures (e.g. file systems without leases) say nothing, so they count as "not open".
bool open_for_writing(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  bool writing = ::fcntl(fd, F_SETLEASE, F_RDLCK) != 0 && errno == EAGAIN;
  if (!writing) ::fcntl(fd, F_SETLEASE, F_UNLCK);
  ::close(fd);
  return writing;
}

}  // namespace

struct directory_watcher::impl {
  fs::path root;
  std::chrono::milliseconds rescan;
  file_handler report;
  int inotify = -1;
  int stop = -1;
  std::unordered_map<int, fs::path> folders;  ///< inotify watch → folder
  std::map<fs::path, version> reported;       ///< the version of each file last reported
  std::thread thread;

  impl(fs::path r, std::chrono::milliseconds every, file_handler h)
      : root(std::move(r)), rescan(every), report(std::move(h)) {
    inotify = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    stop = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (inotify < 0) spdlog::warn("{}: no inotify ({}); only rescans", root.string(), errno);
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    std::uint64_t one = 1;
    if (::write(stop, &one, sizeof one) < 0)
      spdlog::error("cannot stop the watcher of {}", root.string());
    thread.join();
    if (inotify >= 0) ::close(inotify);
    ::close(stop);
  }

  void watch_folder(const fs::path& folder) {
    if (inotify < 0) return;
    int wd = ::inotify_add_watch(inotify, folder.c_str(),
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR);
    if (wd >= 0) folders[wd] = folder;
  }

  /// Reports the file if it is complete and not reported in this version.
  void consider(const fs::path& file, bool closed) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    const version v{st.st_size,
                    std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
    auto it = reported.find(file);
    if (it != reported.end() && it->second == v) return;
    if (!closed && now_ns() - v.second < settle_ns) return;  // perhaps still being written
    if (open_for_writing(file)) return;                      // its close will be reported
    reported[file] = v;
    report(file);
  }

  /// Walks a folder tree: watches every folder, considers every file. A walk of the root also
  /// forgets files that are gone.
  void walk(const fs::path& top) {
    std::error_code ec;
    if (!fs::is_directory(top, ec)) return;
    watch_folder(top);
    std::map<fs::path, version> seen_versions;
    for (fs::recursive_directory_iterator
             it(top, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
      const auto& entry = *it;
      if (entry.is_symlink(ec)) continue;
      if (entry.is_directory(ec)) {
        watch_folder(entry.path());
      } else if (entry.is_regular_file(ec)) {
        consider(entry.path(), false);
        if (top == root)
          if (auto r = reported.find(entry.path()); r != reported.end()) seen_versions.insert(*r);
      }
    }
    if (ec) spdlog::warn("cannot walk {}: {}", top.string(), ec.message());
    if (top == root && !ec) reported = std::move(seen_versions);
  }

  void read_events() {
    alignas(inotify_event) char buffer[64 * 1024];
    for (;;) {
      auto n = ::read(inotify, buffer, sizeof buffer);
      if (n <= 0) return;
      for (char* p = buffer; p < buffer + n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(p);
        p += sizeof(inotify_event) + e->len;
        if (e->mask & IN_Q_OVERFLOW) {
          walk(root);
          continue;
        }
        if (e->mask & IN_IGNORED) {
          folders.erase(e->wd);
          continue;
        }
        auto folder = folders.find(e->wd);
        if (folder == folders.end() || e->len == 0) continue;
        auto path = folder->second / e->name;
        if (e->mask & IN_ISDIR) {
          if (e->mask & (IN_CREATE | IN_MOVED_TO)) walk(path);
        } else if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
          consider(path, true);
        }
      }
    }
  }

  void run() {
    walk(root);
    auto next = std::chrono::steady_clock::now() + rescan;
    for (;;) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      pollfd fds[2] = {{stop, POLLIN, 0}, {inotify, POLLIN, 0}};
      int ready = ::poll(fds, inotify >= 0 ? 2 : 1,
                         static_cast<int>(std::max<std::int64_t>(wait.count(), 0)));
      if (ready > 0 && (fds[0].revents & POLLIN)) return;
      if (ready > 0 && (fds[1].revents & POLLIN)) read_events();
      if (std::chrono::steady_clock::now() >= next) {
        walk(root);
        next = std::chrono::steady_clock::now() + rescan;
      }
    }
  }
};

directory_watcher::directory_watcher(fs::path root, std::chrono::milliseconds rescan,
                                     file_handler report)
    : impl_(std::make_unique<impl>(std::move(root), rescan, std::move(report))) {}

directory_watcher::~directory_watcher() = default;

}  // namespace sbx::actors
