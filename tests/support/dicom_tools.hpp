// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "support/dicom_peers.hpp"  // free_port

// Tools of the SCP interoperability tests: background commands (dcmtk's tools), C-ECHO probes,
// dataset bytes.
// Their listeners bind every interface: the suite runs in a private network namespace
// (deploy/test.sh), so they are reachable on loopback only.
namespace sbx::test {

/// A shell command run in the background in its own process group, with standard output and
/// error going to a file; the group is ended (SIGTERM, then SIGKILL) at destruction.
class background_command {
 public:
  background_command(const std::string& command, const std::filesystem::path& output);
  ~background_command();
  background_command(const background_command&) = delete;
  background_command& operator=(const background_command&) = delete;

  /// True until the command has exited.
  bool running();
  /// Waits for the command to exit and returns its exit status (-1 if it did not exit).
  int wait();
  /// What it printed so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::filesystem::path output_;
};

/// True once a DICOM SCP answers C-ECHO at 127.0.0.1:port with this called AE title.
bool echo_succeeds(std::uint16_t port, const std::string& called_ae);

}  // namespace sbx::test
