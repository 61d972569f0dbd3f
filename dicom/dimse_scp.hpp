// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "dicom/dataset_header.hpp"
#include "dicom/dimse.hpp"
#include "dicom/dimse_scu.hpp"
#include "proto/dicomweb.hpp"

namespace sbx::dicom {

/// A listener that cannot start; what() says why.
class scp_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The port is held by another socket (of this process or another).
class port_in_use : public scp_error {
 public:
  using scp_error::scp_error;
};

/// DIMSE status codes (PS3.7 Annex C) an SCP answers a C-STORE with.
namespace dimse_status {
inline constexpr std::uint16_t success = 0x0000;
inline constexpr std::uint16_t out_of_resources = 0xA700;
}  // namespace dimse_status

/// A dataset received by C-STORE, written to a Part-10 file: a meta header made from the command
/// (SOP class and instance from the Affected UIDs, the negotiated transfer syntax) followed by
/// the dataset's bytes exactly as they arrived.
struct received_instance {
  std::string file;
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string calling_ae_title;
};

/// What Query/Retrieve (C-FIND, C-MOVE, C-GET; docs/api.md#queryretrieve) works on. Every
/// function is called on an association's thread and may block.
struct qr_settings {
  /// The index rows a search matches.
  std::function<std::vector<proto::qido_match>(const proto::qido_query&)> search;
  /// The file of a stored image, by its storage key.
  std::function<std::filesystem::path(const std::string&)> file_of;
  /// The peer a C-MOVE sends to, by its AE title (compared trimmed); nullopt if unknown.
  std::function<std::optional<store_peer>(const std::string&)> destination;
};

/// What an SCP accepts and what it does with each dataset.
struct scp_settings {
  std::string ae_title;    ///< the called AE title associations must use (compared trimmed)
  std::uint16_t port = 0;  ///< 0 picks a free port
  /// Storage SOP classes and the transfer syntaxes accepted for them (any number of each);
  /// Verification is always accepted.
  accepted_contexts contexts;
  std::function<std::string()> temp_file;  ///< a fresh path to receive a dataset into
  /// Whether the folder of temp_file is full: a C-STORE is then received without being kept and
  /// answered Out of Resources, so the association goes on (docs/operations.md#full-disk).
  std::function<bool()> storage_full;
  /// Called on the association's own thread once a dataset is in its file (which then belongs
  /// to the handler); the C-STORE response carries the returned status and is sent only after
  /// the handler returns.
  std::function<std::uint16_t(received_instance)> on_stored;
  /// Called on the accept thread for every association received (GET /metrics); may be empty.
  std::function<void()> on_association;
  /// Query/Retrieve is negotiated when `query_retrieve.search` is set, refused otherwise.
  qr_settings query_retrieve;
};

/// A DICOM Storage, Verification and Query/Retrieve SCP (PS3.4 Annexes A, B and C) over DCMTK. It
/// listens on every interface from construction on, serves each association on its own thread (any
/// number at once, each one C-STORE at a time) and on destruction closes the port, aborts the
/// associations still open and waits for their threads.
class dimse_scp {
 public:
  /// Starts listening; throws port_in_use, or scp_error for any other failure.
  explicit dimse_scp(scp_settings settings);
  ~dimse_scp();
  dimse_scp(const dimse_scp&) = delete;
  dimse_scp& operator=(const dimse_scp&) = delete;

  /// The port listened on.
  std::uint16_t port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Checks that a TCP port can be listened on on every interface now, as dimse_scp will; throws
/// port_in_use or scp_error otherwise.
void probe_port(std::uint16_t port);

}  // namespace sbx::dicom
