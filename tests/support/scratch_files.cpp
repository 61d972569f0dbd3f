// SPDX-License-Identifier: Apache-2.0
#include "support/scratch_files.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

namespace fs = std::filesystem;

namespace sbx::test {

scratch_dir::scratch_dir() {
  std::random_device rd;
  const auto base = fs::temp_directory_path();
  do {
    path_ = base / ("sbx-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  } while (!fs::create_directories(path_));
}

scratch_dir::~scratch_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void require_tool(const std::string& tool) {
  const bool found = std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
  if (!found) FAIL(tool + " (dcmtk) is missing: run deploy/install-deps.sh --test");
}

std::pair<int, std::string> run_command(const std::string& command, std::chrono::seconds deadline) {
  // coreutils' timeout ends the whole command (SIGTERM, SIGKILL 5 s later) when it overruns.
  std::string quoted = "'";
  for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const auto bounded =
      "timeout --kill-after=5 " + std::to_string(deadline.count()) + " /bin/sh -c " + quoted;
  std::string out;
  FILE* pipe = popen(bounded.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc == 124 || rc == 137)
    out += "\n[run_command: ended after its deadline of " + std::to_string(deadline.count()) +
           " s: " + command + "]\n";
  return {rc, out};
}

}  // namespace sbx::test
