// SPDX-License-Identifier: Apache-2.0
// The slicebox binary as a process: flags, start-up on defaults, graceful stop on signals.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <regex>

#include "support/http_client.hpp"

extern char** environ;

namespace {

/// A child process running the binary, with stderr captured.
struct child {
  pid_t pid = -1;
  int err = -1;

  explicit child(std::vector<std::string> args, std::vector<std::string> extra_env = {}) {
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    posix_spawn_file_actions_addclose(&actions, pipefd[0]);
    args.insert(args.begin(), SBX_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e)
      if (std::string_view(*e).rfind("SBX_", 0) != 0) env_strings.emplace_back(*e);
    for (auto& e : extra_env) env_strings.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    REQUIRE(posix_spawn(&pid, SBX_BINARY, &actions, nullptr, argv.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    err = pipefd[0];
  }

  ~child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (err >= 0) close(err);
  }

  /// Reads output until `pattern` matches (returns the match) or the deadline passes.
  std::smatch wait_for(const std::regex& pattern, std::string& seen) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::smatch m;
    while (!std::regex_search(seen, m, pattern) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{err, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      auto n = read(err, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<std::size_t>(n));
    }
    return m;
  }

  /// Waits for the exit code (or -1 after the deadline).
  int exit_code() {
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(50000);
    }
    return -1;
  }

  std::string rest() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(err, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

std::filesystem::path temp_dir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("sbx-bin-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("the binary answers --version and --help and exits 0", "[app]") {
  child version{{"--version"}};
  CHECK(version.exit_code() == 0);
  CHECK(version.rest().find("slicebox ") != std::string::npos);
  child help{{"--help"}};
  CHECK(help.exit_code() == 0);
  CHECK(help.rest().find("--data-dir") != std::string::npos);
}

TEST_CASE("a bad flag or config value exits 2 with a message", "[app]") {
  child bad{{"--frobnicate"}};
  CHECK(bad.exit_code() == 2);
  CHECK(bad.rest().find("frobnicate") != std::string::npos);
  child port{{"--port", "70000"}};
  CHECK(port.exit_code() == 2);
  child env{{}, {"SBX_HTTP_PORT=abc"}};
  CHECK(env.exit_code() == 2);
}

TEST_CASE("the binary serves on its defaults and stops cleanly on SIGTERM and SIGINT", "[app]") {
  for (int sig : {SIGTERM, SIGINT}) {
    auto dir = temp_dir();
    child node{{"--port", "0", "--data-dir", dir.string()}, {"SBX_HTTP_HOST=127.0.0.1"}};
    std::string seen;
    auto m = node.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), seen);
    REQUIRE(m.size() == 2);
    auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    sbx::test::http_client c{port};
    CHECK(c.request("GET", "/api/system/health").body == "OK");
    CHECK(c.request("GET", "/api/users", "", {sbx::test::basic_auth("admin", "admin")}).status ==
          200);
    CHECK(std::filesystem::exists(dir / "slicebox.db"));
    kill(node.pid, sig);
    CHECK(node.exit_code() == 0);
    CHECK(node.rest().find("stopped") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("a port already in use is a clear start-up error", "[app]") {
  auto dir = temp_dir();
  child first{{"--port", "0", "--data-dir", dir.string()}, {"SBX_HTTP_HOST=127.0.0.1"}};
  std::string seen;
  auto m = first.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), seen);
  REQUIRE(m.size() == 2);
  auto dir2 = temp_dir();
  child second{{"--port", m[1].str(), "--data-dir", dir2.string()}, {"SBX_HTTP_HOST=127.0.0.1"}};
  CHECK(second.exit_code() == 1);
  CHECK(second.rest().find("could not bind") != std::string::npos);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir2);
}
