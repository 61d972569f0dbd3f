// SPDX-License-Identifier: Apache-2.0
#include "support/dicom_peers.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include "support/scratch_files.hpp"

namespace sbx::test {

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

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
  if (!eventually([this] { return !running(); }, std::chrono::seconds{10})) {
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

std::string dataset_bytes(const std::filesystem::path& file) {
  const std::string bytes = read_bytes(file);
  if (bytes.size() < 132 || bytes.compare(128, 4, "DICM") != 0)
    throw std::runtime_error(file.string() + " is not a Part-10 file");
  auto u16 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes.at(at))) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes.at(at + 1))) << 8;
  };
  auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  // The meta header is explicit VR little endian (PS3.10 §7.1).
  std::size_t at = 132;
  while (at + 8 <= bytes.size() && u16(at) == 0x0002) {
    const std::string vr = bytes.substr(at + 4, 2);
    const bool long_form = vr == "OB" || vr == "OW" || vr == "OF" || vr == "SQ" || vr == "UT" ||
                           vr == "UN" || vr == "UC" || vr == "UR";
    at += long_form ? 12 + u32(at + 8) : 8 + u16(at + 6);
  }
  return bytes.substr(std::min(at, bytes.size()));
}

}  // namespace sbx::test
