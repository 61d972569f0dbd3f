// SPDX-License-Identifier: Apache-2.0
#include "support/dicom_peers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fstream>

#include "support/eventually.hpp"
#include "support/loopback.hpp"

extern char** environ;

namespace sbx::test {

namespace {

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  auto a = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  auto a = loopback(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

void require_private_network() {
  std::vector<std::string> others;
  if (auto* names = ::if_nameindex()) {
    for (auto* i = names; i->if_index != 0; ++i)
      if (std::string(i->if_name) != "lo") others.emplace_back(i->if_name);
    ::if_freenameindex(names);
  }
  if (!others.empty())
    FAIL(
        "this test starts DICOM peers that listen on every interface; run it in a network "
        "namespace with only loopback (deploy/test.sh does; or unshare --net), not next to "
        << others.front());
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env,
                             const std::filesystem::path& log)
    : log_(log) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  auto pointers = [](std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  };
  auto args = argv;
  auto arg_ptrs = pointers(args);
  auto env_ptrs = pointers(env);
  // posix_spawn rather than fork: the test process runs threads (the node's) when it starts one.
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc =
      ::posix_spawnp(&pid_, arg_ptrs[0], &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) FAIL("cannot start " << argv.front() << ": " << std::strerror(rc));
}

child_process::~child_process() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!eventually(std::chrono::seconds{10},
                  [&] { return ::waitpid(pid_, nullptr, WNOHANG) != 0; })) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool child_process::running() {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == 0) return true;
  pid_ = -1;
  return false;
}

void child_process::await_port(std::uint16_t port) {
  const bool listening =
      eventually(std::chrono::seconds{30}, [&] { return accepts(port) || !running(); });
  if (!running()) FAIL("the peer died on start: " << read_bytes(log_));
  if (!listening)
    FAIL("the peer does not listen on port " << port << " after 30 s: " << read_bytes(log_));
}

storescp_peer::storescp_peer(std::vector<std::string> options, std::string ae_title)
    : port_(free_port()), ae_title_(std::move(ae_title)) {
  require_private_network();
  require_tool("storescp");
  std::filesystem::create_directories(folder());
  std::vector<std::string> argv = {"storescp", "+B", "-od", folder().string(), "-aet", ae_title_};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(std::to_string(port_));
  process_ = std::make_unique<child_process>(argv, std::vector<std::string>{"TCP_NODELAY=1"},
                                             dir_ / "storescp.log");
  process_->await_port(port_);
}

std::vector<std::filesystem::path> storescp_peer::received() const {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(folder()))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

orthanc_peer::orthanc_peer(std::string ae_title) : orthanc_peer(std::move(ae_title), {}, "") {}

orthanc_peer::orthanc_peer(std::string ae_title, std::vector<std::string> plugins,
                           std::string extra)
    : dicom_port_(free_port()), http_port_(free_port()), ae_title_(std::move(ae_title)) {
  require_private_network();
  require_tool("Orthanc");
  const auto storage = dir_ / "storage";
  std::filesystem::create_directories(storage);
  const auto config = dir_ / "orthanc.json";
  std::string plugin_list;
  for (const auto& p : plugins) plugin_list += (plugin_list.empty() ? "\"" : ", \"") + p + "\"";
  write_bytes(config,
              "{\n"
              "  \"Name\": \"SBX-TEST\",\n"
              "  \"StorageDirectory\": \"" +
                  storage.string() +
                  "\",\n"
                  "  \"IndexDirectory\": \"" +
                  storage.string() +
                  "\",\n"
                  "  \"Plugins\": [" +
                  plugin_list + "],\n" + extra + (extra.empty() ? "" : ",\n") +
                  "  \"HttpServerEnabled\": true,\n"
                  "  \"HttpPort\": " +
                  std::to_string(http_port_) +
                  ",\n"
                  "  \"RemoteAccessAllowed\": false,\n"
                  "  \"AuthenticationEnabled\": false,\n"
                  "  \"DicomServerEnabled\": true,\n"
                  "  \"DicomAet\": \"" +
                  ae_title_ +
                  "\",\n"
                  "  \"DicomPort\": " +
                  std::to_string(dicom_port_) +
                  ",\n"
                  "  \"DicomCheckCalledAet\": true,\n"
                  "  \"DicomAlwaysAllowStore\": true,\n"
                  "  \"OrthancExplorerEnabled\": false,\n"
                  "  \"WebDavEnabled\": false,\n"
                  "  \"SaveJobs\": false\n"
                  "}\n");
  process_ = std::make_unique<child_process>(std::vector<std::string>{"Orthanc", config.string()},
                                             std::vector<std::string>{"TCP_NODELAY=1"},
                                             dir_ / "orthanc.log");
  process_->await_port(http_port_);
  process_->await_port(dicom_port_);
}

std::string dataset_bytes(const std::filesystem::path& file) {
  // An oracle of its own, independent of the node's parser: skip the preamble and every
  // group-0002 element (always Explicit VR Little Endian).
  const auto bytes = read_bytes(file);
  std::size_t at = bytes.size() >= 132 && bytes.compare(128, 4, "DICM") == 0 ? 132 : 0;
  auto u16 = [&](std::size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) |
           static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  };
  while (at + 8 <= bytes.size() && u16(at) == 0x0002) {
    const auto vr = bytes.substr(at + 4, 2);
    if (vr == "OB" || vr == "OW" || vr == "OF" || vr == "SQ" || vr == "UT" || vr == "UN") {
      REQUIRE(at + 12 <= bytes.size());
      at += 12 + (u16(at + 8) | u16(at + 10) << 16);
    } else {
      at += 8 + u16(at + 6);
    }
  }
  REQUIRE(at <= bytes.size());
  return bytes.substr(at);
}

}  // namespace sbx::test
