// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

namespace sbx::test {

/// A fresh temporary directory, removed with everything in it at scope exit.
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  /// The directory itself.
  const std::filesystem::path& path() const { return path_; }
  /// The path of `name` inside the directory (nothing is created).
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// The whole content of a file (empty if it cannot be read).
std::string read_bytes(const std::filesystem::path& p);

/// Replaces the content of a file with `bytes`, creating it if needed.
void write_bytes(const std::filesystem::path& p, const std::string& bytes);

/// Fails the test unless a dcmtk tool is on the PATH (deploy/install-deps.sh --test installs it).
void require_tool(const std::string& tool);

/// Runs a shell command; returns its exit status (-1 if it did not exit) and standard output. A
/// command still running after `deadline` is ended: status 124 (137 if it had to be killed).
std::pair<int, std::string> run_command(const std::string& command,
                                        std::chrono::seconds deadline = std::chrono::seconds{180});

}  // namespace sbx::test
