// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

// A TCP relay on 127.0.0.1 that a test places between two peers and then breaks on purpose: the
// cut, reset or stalled link of the box-to-box transfer tests. Faults switch at run time from
// any thread; the relay stops when destroyed.
namespace sbx::test {

class fault_proxy {
 public:
  /// Relays connections to an ephemeral port of 127.0.0.1 to 127.0.0.1:target_port.
  explicit fault_proxy(std::uint16_t target_port);
  ~fault_proxy();
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:<port><target>".
  std::string url(std::string_view target) const;

  /// Relays everything again (ends any fault); data held during a stall then flows.
  void heal();
  /// Resets every open connection and each new one as soon as it is accepted.
  void refuse();
  /// Resets each connection once `bytes` more have gone from its client to the server.
  void reset_upload_after(std::size_t bytes);
  /// Resets each connection once `bytes` more have gone from the server to its client.
  void reset_download_after(std::size_t bytes);
  /// Stops relaying in both directions; connections stay open and silent.
  void stall();

  /// Connections accepted so far.
  std::size_t connections() const { return connections_; }
  /// Connections reset by a fault so far.
  std::size_t resets() const { return resets_; }

 private:
  enum class fault { none, refuse, reset_upload, reset_download, stall };
  struct relay;
  void set(fault f, std::size_t bytes);
  void run();

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: a byte written wakes the relay thread
  std::mutex mutex_;
  fault fault_ = fault::none;  // guarded by mutex_
  std::size_t limit_ = 0;      // guarded by mutex_
  unsigned generation_ = 0;    // guarded by mutex_; counts fault changes
  bool stopping_ = false;      // guarded by mutex_
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> resets_{0};
  std::thread thread_;
};

}  // namespace sbx::test
