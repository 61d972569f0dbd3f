// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sbx::test {

/// The slicebox binary (`binary`) run as a process with some SBX_* settings ("SBX_A_B=value";
/// the test's own SBX_* variables are not passed on), its output appended to `output`; killed
/// with SIGKILL when destroyed.
class node_process {
 public:
  node_process(const std::string& binary, const std::vector<std::string>& settings,
               const std::filesystem::path& output);
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// SIGKILL, and waits for the process to be gone.
  void kill();
  /// The exit status if the process has ended by itself (it is then reaped), else nothing.
  std::optional<int> exited();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace sbx::test
