// SPDX-License-Identifier: Apache-2.0
#include "support/s3_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <vector>

#include "support/dicom_peers.hpp"  // free_port
#include "support/eventually.hpp"
#include "support/http_client.hpp"

extern char** environ;

namespace sbx::test {
namespace {

constexpr const char* object_suffix = "._S3rver_object";

/// The s3rver script, installed first if it is not there yet.
std::filesystem::path s3rver_script() {
  const std::filesystem::path peer = SBX_S3PEER_DIR;
  const auto script = peer / "node_modules" / "s3rver" / "bin" / "s3rver.js";
  if (!std::filesystem::exists(script)) {
    const auto [status, output] =
        run_command("cd '" + peer.string() + "' && npm ci --no-audit --no-fund 2>&1");
    INFO(output);
    REQUIRE(status == 0);
  }
  REQUIRE(std::filesystem::exists(script));
  return script;
}

}  // namespace

s3_server::s3_server(std::string bucket) : bucket_(std::move(bucket)), port_(free_port()) {
  start();
}

s3_server::~s3_server() { stop(); }

void s3_server::start() {
  if (pid_ > 0) return;
  // s3rver makes its ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its
  // legacy provider: without it, every truncated listing fails with 500.
  // `--service-endpoint localhost` lets s3rver read the bucket from a host name
  // <bucket>.s3.localhost (virtual-host addressing).
  std::vector<std::string> args = {"node",
                                   "--openssl-legacy-provider",
                                   s3rver_script().string(),
                                   "-d",
                                   data_.path().string(),
                                   "-a",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port_),
                                   "--silent",
                                   "--service-endpoint",
                                   "localhost",
                                   "--configure-bucket",
                                   bucket_};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto log = logs_.path() / "s3rver.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  const http_client client(port_, std::chrono::seconds{5});
  const bool up = eventually(std::chrono::seconds{30}, [&] {
    try {
      // Any answer will do: an anonymous listing of the bucket is refused, but answered.
      return client.request("GET", "/" + bucket_).status > 0;
    } catch (const std::exception&) {
      return false;
    }
  });
  INFO(read_bytes(log));
  REQUIRE(up);
}

void s3_server::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string s3_server::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string s3_server::virtual_host_endpoint() const {
  return "http://s3.localhost:" + std::to_string(port_);
}

std::filesystem::path s3_server::object_file(const std::string& key) const {
  return data_.path() / bucket_ / (key + object_suffix);
}

std::vector<std::string> s3_server::keys() const {
  std::vector<std::string> out;
  const auto root = data_.path() / bucket_;
  const std::string suffix = object_suffix;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    const auto name = e.path().lexically_relative(root).string();
    if (e.is_regular_file() && name.ends_with(suffix))
      out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  return out;
}

std::vector<std::string> s3_server::node_settings(const std::string& prefix) const {
  return {"SBX_STORAGE_BACKEND=s3",
          "SBX_STORAGE_S3_ENDPOINT=" + endpoint(),
          "SBX_STORAGE_S3_BUCKET=" + bucket_,
          "SBX_STORAGE_S3_PREFIX=" + prefix,
          "SBX_STORAGE_S3_REGION=us-east-1",
          "SBX_STORAGE_S3_ACCESS_KEY_ID=S3RVER",
          "SBX_STORAGE_S3_SECRET_ACCESS_KEY=S3RVER",
          "SBX_STORAGE_S3_PATH_STYLE=true"};
}

}  // namespace sbx::test
