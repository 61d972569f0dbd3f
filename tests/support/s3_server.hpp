// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/scratch_files.hpp"

namespace sbx::test {

/// s3rver (npm, tests/s3peer), an S3-compatible server written by others, on a free port of
/// 127.0.0.1 with its objects in a scratch folder. It parses SigV4 Authorization headers and knows
/// only the access key S3RVER (secret S3RVER), but does not recompute V4 signatures
/// (tests/http_client/s3_signing_test.cpp checks those against AWS's examples). Installed with `npm
/// ci` in tests/s3peer when missing (deploy/install-deps.sh --test does it beforehand); the test
/// fails if it cannot start.
class s3_server {
 public:
  /// Starts it with `bucket` created.
  explicit s3_server(std::string bucket);
  ~s3_server();
  s3_server(const s3_server&) = delete;
  s3_server& operator=(const s3_server&) = delete;

  /// Stops the process (SIGKILL); the objects stay.
  void stop();
  /// Starts it again on the same port and folder.
  void start();

  /// "http://127.0.0.1:<port>", for path-style addressing.
  std::string endpoint() const;
  /// "http://s3.localhost:<port>", for virtual-host addressing: `<bucket>.s3.localhost` is
  /// loopback to libcurl (RFC 6761), and s3rver takes the bucket from such a host name.
  std::string virtual_host_endpoint() const;
  std::uint16_t port() const { return port_; }
  /// Where s3rver keeps the bytes of object `key` of the bucket.
  std::filesystem::path object_file(const std::string& key) const;
  /// The keys of every object in the bucket.
  std::vector<std::string> keys() const;
  /// Settings for a node that stores its images in this bucket under `prefix`.
  std::vector<std::string> node_settings(const std::string& prefix) const;

 private:
  std::string bucket_;
  scratch_dir data_, logs_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace sbx::test
