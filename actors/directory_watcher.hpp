// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

namespace sbx::actors {

/// Watches a folder tree on its own thread and reports every regular file once it is complete,
/// and again whenever it changes (docs/api.md#directory-watches, recursively):
/// - at start and every `rescan` interval the whole tree is walked (network shares deliver no
///   inotify events); a file found this way is reported once its modification time is a second
///   old and no process has it open for writing;
/// - in between, inotify reports files closed after writing or moved in, and new folders.
/// A file is not reported again until its size or modification time change. `report` runs on
/// the watcher's thread and must not block.
class directory_watcher {
 public:
  using file_handler = std::function<void(const std::filesystem::path&)>;

  directory_watcher(std::filesystem::path root, std::chrono::milliseconds rescan,
                    file_handler report);
  /// Stops the thread (and waits for it).
  ~directory_watcher();
  directory_watcher(const directory_watcher&) = delete;
  directory_watcher& operator=(const directory_watcher&) = delete;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sbx::actors
