// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/scratch_files.hpp"

// Real DICOM peers for interoperability tests: dcmtk's storescp and Orthanc, each started on a
// free port with its own scratch folder and stopped at scope exit. Both listen on every
// interface, so they are only started inside a network namespace that has nothing but loopback
// (deploy/test.sh runs the suite in one).
namespace sbx::test {

/// A TCP port that was free on 127.0.0.1 a moment ago.
std::uint16_t free_port();

/// Fails the test unless this process's network namespace has no interface but loopback.
void require_private_network();

/// A child process, stopped (SIGTERM, then SIGKILL) on destruction.
class child_process {
 public:
  /// Starts `argv` with `extra_env` added to the environment, output to `log`.
  child_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                const std::filesystem::path& log);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// True while the process runs.
  bool running();
  /// Waits until something accepts TCP connections on 127.0.0.1:port; fails the test if the
  /// process dies or 30 s pass.
  void await_port(std::uint16_t port);

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

/// dcmtk's storescp: accepts associations called `ae_title` and writes each received dataset
/// exactly as it arrived (`+B`) into a file named after its SOP instance UID.
class storescp_peer {
 public:
  /// `options` are added to storescp's command line (default: accept every SOP class and every
  /// transfer syntax dcmtk knows).
  explicit storescp_peer(std::vector<std::string> options = {"-pm", "+xa"},
                         std::string ae_title = "STORESCP");

  std::uint16_t port() const { return port_; }
  const std::string& ae_title() const { return ae_title_; }
  /// Where a file of this name would be.
  std::filesystem::path folder() const { return dir_ / "received"; }
  /// The files received so far.
  std::vector<std::filesystem::path> received() const;
  /// What storescp printed so far.
  std::string log() const { return read_bytes(dir_ / "storescp.log"); }

 private:
  scratch_dir dir_;
  std::uint16_t port_;
  std::string ae_title_;
  std::unique_ptr<child_process> process_;
};

/// Orthanc with its own storage, DICOM and HTTP ports (no authentication: loopback only).
class orthanc_peer {
 public:
  explicit orthanc_peer(std::string ae_title = "ORTHANC");
  /// With plugins (paths) loaded and `extra` (members of the configuration object, e.g.
  /// `"DicomWeb": {...}`) added to the configuration.
  orthanc_peer(std::string ae_title, std::vector<std::string> plugins, std::string extra);

  std::uint16_t dicom_port() const { return dicom_port_; }
  std::uint16_t http_port() const { return http_port_; }
  const std::string& ae_title() const { return ae_title_; }

 private:
  scratch_dir dir_;
  std::uint16_t dicom_port_;
  std::uint16_t http_port_;
  std::string ae_title_;
  std::unique_ptr<child_process> process_;
};

/// The dataset bytes of a Part-10 file: everything after its preamble and meta information.
std::string dataset_bytes(const std::filesystem::path& file);

}  // namespace sbx::test
