// SPDX-License-Identifier: Apache-2.0
#include "persistence/file_store.hpp"

#include <sys/vfs.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

namespace {

std::filesystem::path fresh_folder(const std::filesystem::path& parent) {
  std::random_device rd;
  return parent / ("sbx-store-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
}

bool is_tmpfs(const std::filesystem::path& p) {
  struct statfs fs {};
  return ::statfs(p.c_str(), &fs) == 0 && fs.f_type == 0x01021994;
}

}  // namespace

TEST_CASE("persistence: file_store says when its folder cannot hold a flush", "[persistence]") {
  // /dev/shm is tmpfs on Linux: what is flushed there is lost at the next reboot.
  if (!is_tmpfs("/dev/shm")) {
    WARN("no tmpfs at /dev/shm: nothing to check");
    return;
  }
  auto root = fresh_folder("/dev/shm");
  {
    sbx::persistence::filesystem_store store{root};
    CHECK_THAT(store.flush_caveat(), Catch::Contains("tmpfs"));
  }
  std::filesystem::remove_all(root);
}

TEST_CASE("persistence: file_store on a disk file system has no flush caveat", "[persistence]") {
  auto parent = std::filesystem::current_path();  // the build folder, on the checkout's disk
  if (is_tmpfs(parent)) {
    WARN("the build folder is on tmpfs: nothing to check");
    return;
  }
  auto root = fresh_folder(parent);
  {
    sbx::persistence::filesystem_store store{root};
    CHECK(store.flush_caveat().empty());
  }
  std::filesystem::remove_all(root);
}
