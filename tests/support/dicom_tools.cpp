// SPDX-License-Identifier: Apache-2.0
#include "support/dicom_tools.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

namespace sbx::test {

background_command::background_command(const std::string& command,
                                       const std::filesystem::path& output)
    : output_(output) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here, so the group exists whichever process runs first
}

background_command::~background_command() {
  if (!running()) return;
  ::kill(-pid_, SIGTERM);
  if (!eventually(std::chrono::seconds{10}, [this] { return !running(); })) {
    ::kill(-pid_, SIGKILL);
    wait();
  }
}

bool background_command::running() {
  if (exited_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return !exited_;
}

int background_command::wait() {
  if (!exited_) {
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    exited_ = true;
  }
  return status_;
}

std::string background_command::output() const { return read_bytes(output_); }

bool echo_succeeds(std::uint16_t port, const std::string& called_ae) {
  return run_command("echoscu -aec '" + called_ae + "' 127.0.0.1 " + std::to_string(port) +
                     " >/dev/null 2>&1")
             .first == 0;
}

}  // namespace sbx::test
