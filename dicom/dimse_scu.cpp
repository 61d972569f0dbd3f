// SPDX-License-Identifier: Apache-2.0
// clang-format off
#include "dcmtk/config/osconfig.h"  // DCMTK's build configuration precedes every other header
// clang-format on
#include "dicom/dimse_scu.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/cond.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/oflog/oflog.h"
#include "dicom/dataset_header.hpp"
#include "dicom/dimse.hpp"
#include "dicom/dimse_store.hpp"

namespace sbx::dicom {

namespace {

constexpr const char* verification_uid = "1.2.840.10008.1.1";
constexpr const char* implicit_le_uid = "1.2.840.10008.1.2";
constexpr const char* explicit_le_uid = "1.2.840.10008.1.2.1";
// Presentation context ids are odd numbers up to 255.
constexpr std::size_t max_contexts = 128;

void prepare_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    prepare_dimse_networking();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

std::string syntax_name(const std::string& uid) {
  const DcmXfer x(uid.c_str());
  return x.getXfer() == EXS_Unknown ? uid : std::string(x.getXferName());
}

std::string status_text(Uint16 status) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%04X", status);
  return std::string(hex) + " (" + DU_cstoreStatusString(status) + ")";
}

[[noreturn]] void fail(const std::string& what) { throw store_error(store_failure::failed, what); }

/// A file that will be sent: where it is and what its meta information says.
struct outgoing {
  std::filesystem::path path;
  file_meta meta;
};

/// Resolving the host first tells an unknown host apart from the connection failures, which
/// DCMTK reports only as text.
void check_resolvable(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  if (rc != 0) throw store_error(store_failure::unknown_host, ::gai_strerror(rc));
}

/// The failure an unsuccessful association request stands for.
store_error association_failure(const OFCondition& cond, T_ASC_Parameters* params) {
  if (cond == DUL_ASSOCIATIONREJECTED) {
    T_ASC_RejectParameters reject;
    ASC_getRejectParameters(params, &reject);
    OFString printed;
    ASC_printRejectParameters(printed, &reject);
    std::string text = printed.c_str();
    for (auto at = text.find('\n'); at != std::string::npos; at = text.find('\n', at))
      text.replace(at, 1, ", ");
    return {store_failure::failed, "Association rejected: " + text};
  }
  const std::string text = cond.text();
  auto says = [&](int error) { return text.find(std::strerror(error)) != std::string::npos; };
  if (cond.code() == DULC_UNKNOWNHOST) return {store_failure::unknown_host, text};
  if (says(ECONNREFUSED)) return {store_failure::connection_refused, text};
  if (says(EHOSTUNREACH) || says(ENETUNREACH)) return {store_failure::no_route, text};
  return {store_failure::failed, text};
}

/// DCMTK's handles of one association, freed (the association aborted unless released) on
/// destruction, also when the association could not be made.
struct association_handles {
  T_ASC_Network* net = nullptr;
  T_ASC_Parameters* params = nullptr;
  T_ASC_Association* assoc = nullptr;
  bool released = false;

  association_handles() = default;
  association_handles(const association_handles&) = delete;
  association_handles& operator=(const association_handles&) = delete;
  ~association_handles() {
    if (assoc != nullptr) {
      if (!released) ASC_abortAssociation(assoc);
      ASC_destroyAssociation(&assoc);  // frees the parameters too
    } else if (params != nullptr) {
      ASC_destroyAssociationParameters(&params);
    }
    if (net != nullptr) ASC_dropNetwork(&net);
  }
};

/// One association as requestor.
class association {
 public:
  association(const store_peer& peer, const std::vector<presentation_context>& contexts)
      : timeout_(static_cast<int>(peer.timeout.count())) {
    open(peer, contexts);
  }

  /// An association the node accepted, for the C-STORE sub-operations of a C-GET; it stays the
  /// caller's.
  association(T_ASC_Association* accepted, int timeout) : timeout_(timeout), assoc_(accepted) {}

  /// True once the peer sent a C-CANCEL while a store was answered (a C-GET's requester).
  bool cancelled = false;

 private:
  void open(const store_peer& peer, const std::vector<presentation_context>& contexts) {
    dcmConnectionTimeout.set(timeout_);
    check(ASC_initializeNetwork(NET_REQUESTOR, 0, timeout_, &h_.net));
    check(ASC_createAssociationParameters(&h_.params, ASC_DEFAULTMAXPDU));
    const auto called = trimmed(peer.called_ae);
    check(ASC_setAPTitles(h_.params, peer.calling_ae.c_str(), called.c_str(), nullptr));
    const auto address = peer.host + ":" + std::to_string(peer.port);
    check(ASC_setPresentationAddresses(h_.params, OFStandard::getHostName().c_str(),
                                       address.c_str()));
    for (const auto& c : contexts) {
      const char* syntaxes[] = {c.transfer_syntax.c_str()};
      check(ASC_addPresentationContext(h_.params, static_cast<T_ASC_PresentationContextID>(c.id),
                                       c.abstract_syntax.c_str(), syntaxes, 1));
    }
    const auto cond = ASC_requestAssociation(h_.net, h_.params, &h_.assoc, nullptr, nullptr,
                                             DUL_NOBLOCK, timeout_);
    if (cond.bad()) throw association_failure(cond, h_.params);
    assoc_ = h_.assoc;
  }

 public:
  /// The transfer syntax the peer accepted on a context, or "" if it refused it.
  std::string accepted(unsigned id) const {
    T_ASC_PresentationContext pc;
    const auto cond = ASC_findAcceptedPresentationContext(
        assoc_->params, static_cast<T_ASC_PresentationContextID>(id), &pc);
    if (cond.bad() || pc.resultReason != ASC_P_ACCEPTANCE) return {};
    return pc.acceptedTransferSyntax;
  }

  /// Sends a dataset exactly as it is stored in its file; returns the status of the response.
  Uint16 store_raw(unsigned context, const outgoing& file) {
    const auto& m = file.meta;
    std::ifstream in(file.path, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(file.path, ec);
    if (!in || ec || size <= m.dataset_offset) fail("cannot read " + file.path.string());
    in.seekg(static_cast<std::streamoff>(m.dataset_offset));
    const auto message_id = next_message_id();
    const auto command =
        store_request(message_id, m.media_storage_sop_class_uid, m.media_storage_sop_instance_uid);
    std::size_t done = 0;
    write_pdvs(context, DUL_COMMANDPDV, command.size(), [&](char* out, std::size_t n) {
      std::memcpy(out, command.data() + done, n);
      done += n;
    });
    // Only a deflated dataset can have an odd length; it gets one NUL pad byte, as DCMTK and
    // pydicom write them (DCMTK peers refuse odd fragments).
    auto left = size - m.dataset_offset;
    write_pdvs(context, DUL_DATASETPDV, left + left % 2, [&](char* out, std::size_t n) {
      const auto from_file = static_cast<std::size_t>(std::min<std::uint64_t>(n, left));
      if (!in.read(out, static_cast<std::streamsize>(from_file)))
        fail("cannot read " + file.path.string());
      std::fill(out + from_file, out + n, '\0');
      left -= from_file;
    });
    return await_response(message_id, m.media_storage_sop_instance_uid);
  }

  /// Sends a dataset converted to another transfer syntax (its pixel data decompressed); returns
  /// the status of the response.
  Uint16 store_converted(unsigned context, const outgoing& file, const std::string& syntax) {
    const auto& m = file.meta;
    DcmFileFormat ff;
    if (auto cond = ff.loadFile(file.path.c_str()); cond.bad())
      fail("cannot read " + file.path.string() + ": " + cond.text());
    auto* dataset = ff.getDataset();
    const DcmXfer target(syntax.c_str());
    if (dataset->chooseRepresentation(target.getXfer(), nullptr).bad() ||
        !dataset->canWriteXfer(target.getXfer())) {
      fail("cannot convert image " + m.media_storage_sop_instance_uid + " from " +
           syntax_name(m.transfer_syntax_uid) + " to " + target.getXferName() +
           " (the peer takes it only uncompressed)");
    }
    T_DIMSE_Message request{};
    request.CommandField = DIMSE_C_STORE_RQ;
    auto& rq = request.msg.CStoreRQ;
    const auto message_id = next_message_id();
    rq.MessageID = message_id;
    OFStandard::strlcpy(rq.AffectedSOPClassUID, m.media_storage_sop_class_uid.c_str(),
                        sizeof rq.AffectedSOPClassUID);
    OFStandard::strlcpy(rq.AffectedSOPInstanceUID, m.media_storage_sop_instance_uid.c_str(),
                        sizeof rq.AffectedSOPInstanceUID);
    rq.Priority = DIMSE_PRIORITY_MEDIUM;
    rq.DataSetType = DIMSE_DATASET_PRESENT;
    const auto cond =
        DIMSE_sendMessageUsingMemoryData(assoc_, static_cast<T_ASC_PresentationContextID>(context),
                                         &request, nullptr, dataset, nullptr, nullptr);
    if (cond.bad()) fail(std::string("cannot send the C-STORE request: ") + cond.text());
    return await_response(message_id, m.media_storage_sop_instance_uid);
  }

  /// Releases the association; a peer that does not answer the release is only a warning.
  std::string release() {
    h_.released = true;
    const auto cond = ASC_releaseAssociation(assoc_);
    return cond.good() ? std::string{} : std::string("release failed: ") + cond.text();
  }

 private:
  static std::string trimmed(const std::string& ae) {
    const auto first = ae.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    return ae.substr(first, ae.find_last_not_of(' ') - first + 1);
  }

  void check(const OFCondition& cond) {
    if (cond.bad()) fail(cond.text());
  }

  Uint16 next_message_id() { return assoc_->nextMsgID++; }

  /// Writes `size` bytes as PDVs of at most the negotiated length; `fill(out, n)` supplies the
  /// next n bytes.
  void write_pdvs(unsigned context, DUL_DATAPDV type, std::uint64_t size,
                  const std::function<void(char*, std::size_t)>& fill) {
    std::vector<char> buffer(std::max<unsigned long>(assoc_->sendPDVLength, 2));
    do {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size, buffer.size()));
      fill(buffer.data(), n);
      size -= n;
      DUL_PDV pdv;
      pdv.fragmentLength = n;
      pdv.presentationContextID = static_cast<unsigned char>(context);
      pdv.pdvType = type;
      pdv.lastPDV = size == 0 ? OFTrue : OFFalse;
      pdv.data = buffer.data();
      DUL_PDVLIST list;
      list.count = 1;
      list.pdv = &pdv;
      if (auto cond = DUL_WritePDVs(&assoc_->DULassociation, &list); cond.bad())
        fail(std::string("cannot send data: ") + cond.text());
    } while (size > 0);
  }

  /// An element of a command set (group 0000, Implicit VR Little Endian); UIDs are padded with
  /// NUL to an even length.
  static std::string command_element(Uint16 element, std::string value) {
    if (value.size() % 2 != 0) value.push_back('\0');
    std::string out{'\0', '\0', static_cast<char>(element & 0xff), static_cast<char>(element >> 8)};
    out += little_endian(static_cast<std::uint32_t>(value.size()), 4);
    return out + value;
  }

  static std::string little_endian(std::uint32_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
  }

  /// A C-STORE-RQ command set (PS3.7 9.3.1.1), its group length first.
  static std::string store_request(Uint16 message_id, const std::string& sop_class,
                                   const std::string& sop_instance) {
    const auto body = command_element(0x0002, sop_class) +                     // Affected SOP Class
                      command_element(0x0100, little_endian(0x0001, 2)) +      // C-STORE-RQ
                      command_element(0x0110, little_endian(message_id, 2)) +  // Message ID
                      command_element(0x0700, little_endian(DIMSE_PRIORITY_MEDIUM, 2)) +
                      command_element(0x0800, little_endian(0x0000, 2)) +  // a dataset follows
                      command_element(0x1000, sop_instance);  // Affected SOP Instance UID
    return command_element(0x0000, little_endian(static_cast<std::uint32_t>(body.size()), 4)) +
           body;
  }

  Uint16 await_response(Uint16 message_id, const std::string& sop_instance) {
    T_DIMSE_Message response{};
    while (true) {
      T_ASC_PresentationContextID context = 0;
      DcmDataset* detail = nullptr;
      const auto cond =
          DIMSE_receiveCommand(assoc_, DIMSE_NONBLOCKING, timeout_, &context, &response, &detail);
      delete detail;
      if (cond.bad()) fail("no C-STORE response for image " + sop_instance + ": " + cond.text());
      if (response.CommandField != DIMSE_C_CANCEL_RQ) break;
      cancelled = true;  // a C-GET's requester: the store is still answered
    }
    if (response.CommandField != DIMSE_C_STORE_RSP ||
        response.msg.CStoreRSP.MessageIDBeingRespondedTo != message_id)
      fail("unexpected response to the C-STORE of image " + sop_instance);
    return response.msg.CStoreRSP.DimseStatus;
  }

  association_handles h_;
  int timeout_;
  T_ASC_Association* assoc_ = nullptr;
};

}  // namespace

std::vector<presentation_context> propose_contexts(const std::vector<sop_class_syntax>& files) {
  std::vector<presentation_context> out;
  auto add = [&out](const std::string& abstract, const std::string& transfer) {
    out.push_back({static_cast<unsigned>(2 * out.size() + 1), abstract, transfer});
  };
  add(verification_uid, implicit_le_uid);
  auto proposed = [&out](const std::string& abstract, const std::string* transfer) {
    return std::any_of(out.begin() + 1, out.end(), [&](const presentation_context& c) {
      return c.abstract_syntax == abstract &&
             (transfer == nullptr || c.transfer_syntax == *transfer);
    });
  };
  for (const auto& f : files) {
    if (proposed(f.sop_class_uid, &f.transfer_syntax_uid)) continue;
    if (!proposed(f.sop_class_uid, nullptr)) {
      if (f.transfer_syntax_uid != explicit_le_uid) add(f.sop_class_uid, explicit_le_uid);
      if (f.transfer_syntax_uid != implicit_le_uid) add(f.sop_class_uid, implicit_le_uid);
    }
    add(f.sop_class_uid, f.transfer_syntax_uid);
  }
  return out;
}

std::string choose_transfer_syntax(const std::string& file_syntax,
                                   const std::vector<std::string>& accepted) {
  for (const auto& candidate :
       {file_syntax, std::string(explicit_le_uid), std::string(implicit_le_uid)})
    if (std::find(accepted.begin(), accepted.end(), candidate) != accepted.end()) return candidate;
  return {};
}

namespace {

/// The file of `path` with its meta information; throws (the reason) if it cannot be sent.
outgoing readable(const std::filesystem::path& path) {
  outgoing item{path, read_file_meta(path)};
  const auto& meta = item.meta;
  if (meta.transfer_syntax_uid.empty() || meta.media_storage_sop_class_uid.empty() ||
      meta.media_storage_sop_instance_uid.empty())
    throw std::runtime_error(
        "the file meta information lacks the transfer syntax, SOP class or SOP instance UID");
  return item;
}

/// The contexts accepted on an association: SOP class -> (transfer syntax, context id).
using accepted_contexts_by_class =
    std::map<std::string, std::vector<std::pair<std::string, unsigned>>>;

/// Sends one file on the accepted context that fits it best; throws
/// store_error(no_presentation_context) if none does.
Uint16 send_item(association& assoc, const accepted_contexts_by_class& accepted,
                 const outgoing& item) {
  const auto& m = item.meta;
  static const std::vector<std::pair<std::string, unsigned>> none;
  const auto found = accepted.find(m.media_storage_sop_class_uid);
  const auto& options = found == accepted.end() ? none : found->second;
  std::vector<std::string> syntaxes;
  for (const auto& o : options) syntaxes.push_back(o.first);
  const auto syntax = choose_transfer_syntax(m.transfer_syntax_uid, syntaxes);
  if (syntax.empty()) {
    const char* name = dcmFindNameOfUID(m.media_storage_sop_class_uid.c_str(), nullptr);
    throw store_error(store_failure::no_presentation_context,
                      "the peer accepts SOP class " + m.media_storage_sop_class_uid +
                          (name ? std::string(" (") + name + ")" : "") + " neither in " +
                          syntax_name(m.transfer_syntax_uid) + " nor uncompressed");
  }
  const auto context = std::find_if(options.begin(), options.end(), [&](const auto& o) {
                         return o.first == syntax;
                       })->second;
  if (syntax == m.transfer_syntax_uid) return assoc.store_raw(context, item);
  return assoc.store_converted(context, item, syntax);
}

store_outcome outcome_of(Uint16 status) {
  if (status == STATUS_Success) return store_outcome::completed;
  if (status == 0xB000 || status == 0xB006 || status == 0xB007) return store_outcome::warning;
  return store_outcome::failed;
}

/// An association to `peer` proposing what `items` need, with the contexts it accepted.
std::pair<std::unique_ptr<association>, accepted_contexts_by_class> open_for(
    const store_peer& peer, const std::vector<outgoing>& items) {
  std::vector<sop_class_syntax> pairs;
  pairs.reserve(items.size());
  for (const auto& i : items)
    pairs.push_back({i.meta.media_storage_sop_class_uid, i.meta.transfer_syntax_uid});
  const auto contexts = propose_contexts(pairs);
  if (contexts.size() > max_contexts)
    fail("the images need " + std::to_string(contexts.size()) +
         " presentation contexts, more than the 128 an association can have");
  check_resolvable(peer.host);
  auto assoc = std::make_unique<association>(peer, contexts);
  accepted_contexts_by_class accepted;
  for (const auto& c : contexts) {
    auto ts = assoc->accepted(c.id);
    if (!ts.empty()) accepted[c.abstract_syntax].emplace_back(std::move(ts), c.id);
  }
  return {std::move(assoc), std::move(accepted)};
}

}  // namespace

store_report send_files(const store_peer& peer, const std::vector<std::filesystem::path>& files,
                        const std::function<void(std::size_t)>& on_stored) {
  prepare_dcmtk();
  store_report report;
  std::vector<outgoing> items;
  std::vector<std::size_t> positions;  // of each item in `files`
  for (std::size_t i = 0; i < files.size(); ++i) {
    try {
      items.push_back(readable(files[i]));
      positions.push_back(i);
    } catch (const std::exception& e) {
      report.skipped.push_back(files[i].string() + ": " + e.what());
    }
  }
  auto [assoc, accepted] = open_for(peer, items);
  for (std::size_t n = 0; n < items.size(); ++n) {
    const auto& item = items[n];
    const auto status = send_item(*assoc, accepted, item);
    const auto& uid = item.meta.media_storage_sop_instance_uid;
    const auto outcome = outcome_of(status);
    if (outcome == store_outcome::failed)
      fail("the peer did not store image " + uid + ": status " + status_text(status));
    if (outcome == store_outcome::warning)
      report.warnings.push_back("image " + uid + " stored with warning status " +
                                status_text(status));
    ++report.sent;
    if (on_stored) on_stored(positions[n]);
  }
  if (auto w = assoc->release(); !w.empty()) report.warnings.push_back(std::move(w));
  return report;
}

void send_each(const store_peer& peer, const std::vector<std::filesystem::path>& files,
               const std::function<bool(store_outcome)>& after_each) {
  prepare_dcmtk();
  std::vector<std::optional<outgoing>> items;  // empty: a file that cannot be sent
  std::vector<outgoing> sendable;
  for (const auto& path : files) {
    try {
      sendable.push_back(readable(path));
      items.emplace_back(sendable.back());
    } catch (const std::exception&) {
      items.emplace_back();
    }
  }
  auto [assoc, accepted] = open_for(peer, sendable);
  for (const auto& item : items) {
    auto outcome = store_outcome::failed;
    if (item) {
      try {
        outcome = outcome_of(send_item(*assoc, accepted, *item));
      } catch (const store_error& e) {
        if (e.kind() != store_failure::no_presentation_context) throw;
      }
    }
    if (!after_each(outcome)) break;
  }
  assoc->release();
}

store_outcome send_on_association(T_ASC_Association* accepted_association,
                                  const std::filesystem::path& file, std::chrono::seconds timeout,
                                  bool* cancelled) {
  prepare_dcmtk();
  outgoing item;
  try {
    item = readable(file);
  } catch (const std::exception&) {
    return store_outcome::failed;
  }
  association assoc(accepted_association, static_cast<int>(timeout.count()));
  // Contexts on which the requester took the SCP role (PS3.7 D.3.3.4).
  accepted_contexts_by_class accepted;
  for (unsigned id = 1; id < 256; id += 2) {
    T_ASC_PresentationContext pc;
    const auto cond = ASC_findAcceptedPresentationContext(
        accepted_association->params, static_cast<T_ASC_PresentationContextID>(id), &pc);
    if (cond.bad() || pc.resultReason != ASC_P_ACCEPTANCE) continue;
    if (pc.acceptedRole != ASC_SC_ROLE_SCP && pc.acceptedRole != ASC_SC_ROLE_SCUSCP) continue;
    accepted[pc.abstractSyntax].emplace_back(pc.acceptedTransferSyntax, id);
  }
  auto outcome = store_outcome::failed;
  try {
    outcome = outcome_of(send_item(assoc, accepted, item));
  } catch (const store_error& e) {
    if (e.kind() != store_failure::no_presentation_context) throw;
  }
  if (cancelled != nullptr) *cancelled = assoc.cancelled;
  return outcome;
}

}  // namespace sbx::dicom
