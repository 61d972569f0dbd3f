// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

// A C-STORE service class user over DCMTK's dcmnet. No DCMTK type appears here.
namespace sbx::dicom {

/// The AE title the node calls from (POST /api/scus/{id}/send, as in Slicebox).
inline constexpr const char* scu_calling_ae = "SLICEBOX-SCU";

/// A peer to send to.
struct store_peer {
  std::string called_ae;  ///< leading and trailing spaces are not significant
  std::string host;
  std::uint16_t port = 104;
  std::string calling_ae = scu_calling_ae;
  std::chrono::seconds timeout{30};  ///< for connecting, negotiating and each response
};

/// A SOP class and the transfer syntax of a dataset.
struct sop_class_syntax {
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
};

/// One presentation context of an association request.
struct presentation_context {
  unsigned id = 0;  ///< odd: 1, 3, 5, ... in proposal order
  std::string abstract_syntax;
  std::string transfer_syntax;
};

/// The presentation contexts proposed for files of these SOP classes and transfer syntaxes, in
/// file order (docs/api.md#scus): Verification with Implicit VR Little Endian first; then
/// for each pair not proposed yet, if its SOP class is new, the class with Explicit and then
/// Implicit VR Little Endian (each unless it is the file's), then the pair itself.
std::vector<presentation_context> propose_contexts(const std::vector<sop_class_syntax>& files);

/// The transfer syntax to send a dataset in, given those the peer accepted for its SOP class:
/// its own, else Explicit VR Little Endian, else Implicit VR Little Endian; "" if none is.
std::string choose_transfer_syntax(const std::string& file_syntax,
                                   const std::vector<std::string>& accepted);

/// Why a send failed.
enum class store_failure {
  unknown_host,             ///< the host name does not resolve
  connection_refused,       ///< nothing listens on the port
  no_route,                 ///< the host or its network cannot be reached
  no_presentation_context,  ///< the peer accepted no context an image can be sent on
  failed,  ///< anything else: association rejected or lost, a store refused, a dataset that
           ///< cannot be converted to a transfer syntax the peer accepts
};

/// A send that failed; what() says why, for people.
class store_error : public std::runtime_error {
 public:
  store_error(store_failure kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  /// What kind of failure.
  store_failure kind() const noexcept { return kind_; }

 private:
  store_failure kind_;
};

/// What a completed send did.
struct store_report {
  std::size_t sent = 0;
  std::vector<std::string> skipped;   ///< files not sent (no usable meta information), and why
  std::vector<std::string> warnings;  ///< stores the peer answered with a warning status, etc.
};

/// Sends Part-10 files to a peer over one association, one C-STORE at a time in file order
/// (priority medium). A dataset goes out exactly as stored when the peer accepts its transfer
/// syntax; otherwise it is converted (decompressed) to Explicit or Implicit VR Little Endian.
/// Files whose meta information lacks the transfer syntax, SOP class or SOP instance are skipped.
/// Statuses 0x0000, 0xB000, 0xB006 and 0xB007 count as stored. Blocks for the whole exchange;
/// throws store_error on the first failure (stores before it stay done). `on_stored`, if set, is
/// called with the position in `files` of each file the peer acknowledged, before the next one
/// is sent.
store_report send_files(const store_peer& peer, const std::vector<std::filesystem::path>& files,
                        const std::function<void(std::size_t)>& on_stored = {});

/// How one C-STORE sub-operation of a retrieval ended (PS3.4 C.4.2.1.4).
enum class store_outcome : std::uint8_t { completed, warning, failed };

/// Sends files as send_files does, for a C-MOVE (docs/api.md#queryretrieve), but goes on past a
/// file that cannot be sent or that the peer refuses: `after_each` is called with the outcome of
/// every file in order, and returning false stops (a C-CANCEL). Throws store_error when the
/// association cannot be made or is lost; the files not reported then were not sent.
void send_each(const store_peer& peer, const std::vector<std::filesystem::path>& files,
               const std::function<bool(store_outcome)>& after_each);

}  // namespace sbx::dicom
