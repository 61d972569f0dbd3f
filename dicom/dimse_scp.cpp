// SPDX-License-Identifier: Apache-2.0
// The only place that sees DCMTK (dcmnet); its osconfig.h must come before any DCMTK header.
// clang-format off
#include "dcmtk/config/osconfig.h"
// clang-format on

#include "dicom/dimse_scp.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <dcmtk/oflog/oflog.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <list>
#include <mutex>
#include <set>
#include <thread>

#include "dicom/dimse_store.hpp"
#include "dicom/query_retrieve.hpp"

namespace sbx::dicom {
namespace {

constexpr int acse_timeout_seconds = 30;
constexpr Uint32 max_receive_pdu = ASC_MAXIMUMPDUSIZE;  // 128 KiB: fewer, larger PDUs
constexpr std::size_t answers_per_flush = 64;           // C-FIND responses sent together

}  // namespace

void prepare_dimse_networking() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Debian's DCMTK keeps Nagle's algorithm on unless this is set, which stalls every C-STORE
    // response on the peer's delayed ACK (~40 ms: 18 images/s instead of ~1000).
    ::setenv("TCP_NODELAY", "1", 0);
    dcmDisableGethostbyaddr.set(OFTrue);  // no reverse DNS lookup for each association
    OFLog::configure(OFLogger::WARN_LOG_LEVEL);
    // DCMTK writes to sockets with write(2): a peer that vanished must not end the process.
    std::signal(SIGPIPE, SIG_IGN);
    // The data dictionary (dicom.dic and private.dic, ~430 KB of text) is otherwise parsed when
    // the first association reads a dataset: ~40 ms added to that peer's first C-FIND or C-STORE.
    if (!dcmDataDict.isDictionaryLoaded())
      spdlog::warn("DCMTK's data dictionary could not be loaded (DCMDICTPATH: {})",
                   std::getenv("DCMDICTPATH") != nullptr ? std::getenv("DCMDICTPATH") : "unset");
  });
}

namespace {

std::string trimmed(std::string_view s) {
  auto begin = s.find_first_not_of(' ');
  if (begin == std::string_view::npos) return {};
  return std::string(s.substr(begin, s.find_last_not_of(' ') - begin + 1));
}

bool verification_syntax(std::string_view ts) {
  return ts == UID_LittleEndianImplicitTransferSyntax ||
         ts == UID_LittleEndianExplicitTransferSyntax || ts == UID_BigEndianExplicitTransferSyntax;
}

/// The Query/Retrieve information model of an abstract syntax, and whether it is its FIND, MOVE
/// or GET class.
struct qr_class {
  qr_model model;
  T_DIMSE_Command request;
};

std::optional<qr_class> qr_class_of(std::string_view uid) {
  static const std::pair<const char*, qr_class> classes[] = {
      {UID_FINDPatientRootQueryRetrieveInformationModel, {qr_model::patient_root, DIMSE_C_FIND_RQ}},
      {UID_MOVEPatientRootQueryRetrieveInformationModel, {qr_model::patient_root, DIMSE_C_MOVE_RQ}},
      {UID_GETPatientRootQueryRetrieveInformationModel, {qr_model::patient_root, DIMSE_C_GET_RQ}},
      {UID_FINDStudyRootQueryRetrieveInformationModel, {qr_model::study_root, DIMSE_C_FIND_RQ}},
      {UID_MOVEStudyRootQueryRetrieveInformationModel, {qr_model::study_root, DIMSE_C_MOVE_RQ}},
      {UID_GETStudyRootQueryRetrieveInformationModel, {qr_model::study_root, DIMSE_C_GET_RQ}},
  };
  for (const auto& [class_uid, c] : classes)
    if (uid == class_uid) return c;
  return std::nullopt;
}

/// An identifier as the Query/Retrieve rules read it (sequences left out).
qr_identifier identifier_of(DcmDataset& dataset) {
  qr_identifier out;
  for (unsigned long i = 0; i < dataset.card(); ++i) {
    DcmElement* e = dataset.getElement(i);
    if (e == nullptr || e->ident() == EVR_SQ) continue;
    OFString value;
    if (e->getLength() > 0) e->getOFStringArray(value);
    const DcmTag& tag = e->getTag();
    out.push_back({(static_cast<std::uint32_t>(tag.getGroup()) << 16) | tag.getElement(),
                   tag.getVR().getVRName(), value.c_str()});
  }
  return out;
}

void fill(DcmDataset& dataset, const qr_identifier& identifier) {
  for (const auto& e : identifier) {
    DcmTag tag(static_cast<Uint16>(e.tag >> 16), static_cast<Uint16>(e.tag & 0xFFFF));
    if (!e.vr.empty()) tag.setVR(DcmVR(e.vr.c_str()));
    dataset.putAndInsertString(tag, e.value.c_str());
  }
}

/// A status detail carrying an Error Comment.
std::unique_ptr<DcmDataset> error_comment(const std::string& text) {
  auto detail = std::make_unique<DcmDataset>();
  detail->putAndInsertString(DCM_ErrorComment, text.substr(0, 64).c_str());
  return detail;
}

/// The sub-operation counts of a C-MOVE or C-GET.
struct sub_operations {
  std::size_t remaining = 0, completed = 0, failed = 0, warning = 0;
};

/// A count as a response carries it (US: at most 65535).
Uint16 count_field(std::size_t n) { return static_cast<Uint16>(std::min<std::size_t>(n, 0xFFFF)); }

/// The socket of an association, to shut it down from another thread when the listener stops.
/// DCMTK keeps it protected; a member pointer formed through a derived class may name it.
struct connection_socket : DcmTransportConnection {
  static int of(T_ASC_Association* assoc) {
    DcmTransportConnection* c = DUL_getTransportConnection(assoc->DULassociation);
    return c != nullptr ? (c->*&connection_socket::getSocket)() : -1;
  }
};

/// Holds back the responses written while it lives (TCP_CORK) and sends them together when it
/// ends or flushes. DCMTK writes each PDU as two write(2) calls and Nagle's algorithm is off, so
/// a C-FIND's responses would otherwise leave as four segments each, every one a wake-up of the
/// peer (docs/api.md#queryretrieve).
class corked_socket {
 public:
  explicit corked_socket(int fd) : fd_(fd) { set(1); }
  ~corked_socket() { set(0); }
  corked_socket(const corked_socket&) = delete;
  corked_socket& operator=(const corked_socket&) = delete;

  /// Sends what is held now; later writes are held again.
  void flush() {
    set(0);
    set(1);
  }

 private:
  void set(int on) {
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  }
  int fd_;
};

/// One association, served on its own thread. DCMTK's profile-based negotiation holds at most
/// 128 presentation contexts per profile, so negotiation is done here from the accepted sets,
/// whatever their size.
class association final : public DcmThreadSCP {
 public:
  explicit association(const scp_settings& settings) : settings_(settings) {}

  OFCondition run(T_ASC_Association* assoc) override {
    assoc_ = assoc;
    return DcmThreadSCP::run(assoc);
  }

 protected:
  OFBool checkCalledAETitleAccepted(const OFString& called) override {
    return trimmed(called.c_str()) == trimmed(settings_.ae_title);
  }

  OFCondition negotiateAssociation() override {
    T_ASC_Parameters* params = assoc_->params;
    const int count = ASC_countPresentationContexts(params);
    const bool qr = static_cast<bool>(settings_.query_retrieve.search);
    for (int i = 0; i < count; ++i) {
      T_ASC_PresentationContext pc;
      if (ASC_getPresentationContext(params, i, &pc).bad()) continue;
      // A C-GET's requester proposes storage contexts in the SCP role (PS3.7 D.3.3.4): accepted
      // as proposed, in the first syntax it lists, for any storage class
      // (docs/api.md#queryretrieve).
      if (qr && pc.proposedRole == ASC_SC_ROLE_SCP && pc.transferSyntaxCount > 0 &&
          dcmIsaStorageSOPClassUID(pc.abstractSyntax, ESSC_All)) {
        ASC_acceptPresentationContext(params, pc.presentationContextID,
                                      pc.proposedTransferSyntaxes[0], ASC_SC_ROLE_SCP);
        continue;
      }
      const bool verification = std::strcmp(pc.abstractSyntax, UID_VerificationSOPClass) == 0 ||
                                (qr && qr_class_of(pc.abstractSyntax));
      if (!verification && !settings_.contexts.sop_classes.contains(pc.abstractSyntax)) {
        ASC_refusePresentationContext(params, pc.presentationContextID,
                                      ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
        continue;
      }
      // The proposer's first acceptable choice, as dcm4che (Slicebox's toolkit) negotiates: a
      // sender usually lists first the syntax its data is in, so nothing gets converted.
      const char* chosen = nullptr;
      for (int k = 0; k < pc.transferSyntaxCount && chosen == nullptr; ++k) {
        const char* ts = pc.proposedTransferSyntaxes[k];
        if (verification ? verification_syntax(ts)
                         : settings_.contexts.transfer_syntaxes.contains(ts))
          chosen = ts;
      }
      // A storage context offered in both roles keeps both when Query/Retrieve is on, so that a
      // C-GET can send on it.
      const bool both_roles = qr && !verification && pc.proposedRole == ASC_SC_ROLE_SCUSCP;
      if (chosen != nullptr)
        ASC_acceptPresentationContext(params, pc.presentationContextID, chosen,
                                      both_roles ? ASC_SC_ROLE_SCUSCP : ASC_SC_ROLE_DEFAULT);
      else
        ASC_refusePresentationContext(params, pc.presentationContextID,
                                      ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    }
    return EC_Normal;
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                    const DcmPresentationContextInfo& info) override {
    const auto qr = qr_class_of(info.abstractSyntax.c_str());
    if (qr && settings_.query_retrieve.search && qr->request == message->CommandField) {
      if (message->CommandField == DIMSE_C_FIND_RQ) return find(*message, info, qr->model);
      return retrieve(*message, info, qr->model);
    }
    if (message->CommandField != DIMSE_C_STORE_RQ)
      return DcmThreadSCP::handleIncomingCommand(message, info);  // C-ECHO, or refused
    T_DIMSE_C_StoreRQ& request = message->msg.CStoreRQ;
    if (settings_.storage_full && settings_.storage_full()) {
      // The dataset must still be read off the association to answer it: into nowhere.
      OFCondition cond = receiveSTORERequest(request, info.presentationContextID, "/dev/null");
      if (cond.bad()) return cond;
      spdlog::warn("DICOM SCP {}: the data folder is full; a C-STORE is answered Out of Resources",
                   settings_.ae_title);
      return sendSTOREResponse(info.presentationContextID, request, dimse_status::out_of_resources);
    }
    const std::string file = settings_.temp_file();
    // Written as received (bit-preserving), behind a meta header built from the command.
    OFCondition cond = receiveSTORERequest(request, info.presentationContextID, file.c_str());
    if (cond.bad()) {
      std::error_code ec;
      std::filesystem::remove(file, ec);
      return cond;  // the association is aborted
    }
    std::uint16_t status = dimse_status::out_of_resources;
    try {
      status =
          settings_.on_stored({file, request.AffectedSOPClassUID, request.AffectedSOPInstanceUID,
                               assoc_->params->DULparams.callingAPTitle});
    } catch (const std::exception& e) {
      spdlog::error("DICOM SCP {}: storing a received dataset failed: {}", settings_.ae_title,
                    e.what());
    }
    return sendSTOREResponse(info.presentationContextID, request, status);
  }

 private:
  /// C-FIND (PS3.4 C.4.1): a pending response per match, checking for a C-CANCEL before each.
  OFCondition find(T_DIMSE_Message& message, const DcmPresentationContextInfo& info,
                   qr_model model) {
    T_DIMSE_C_FindRQ& request = message.msg.CFindRQ;
    const auto context = info.presentationContextID;
    DcmDataset* received = nullptr;
    OFCondition cond = receiveFINDRequest(request, context, received);
    std::unique_ptr<DcmDataset> identifier(received);
    if (cond.bad()) return cond;
    const OFString sop_class = request.AffectedSOPClassUID;
    qr_find query;
    std::vector<proto::qido_match> matches;
    try {
      if (!identifier) throw qr_refusal(qr_status::identifier_mismatch, "No identifier");
      query = parse_find(model, identifier_of(*identifier));
      matches = settings_.query_retrieve.search(query.query);
    } catch (const qr_refusal& r) {
      return sendFINDResponse(context, request.MessageID, sop_class, nullptr, r.status(),
                              error_comment(r.what()).get());
    } catch (const std::exception& e) {
      spdlog::error("DICOM SCP {}: a C-FIND failed: {}", settings_.ae_title, e.what());
      return sendFINDResponse(context, request.MessageID, sop_class, nullptr,
                              qr_status::unable_to_process, error_comment(e.what()).get());
    }
    corked_socket held{connection_socket::of(assoc_)};
    std::size_t answered = 0;
    for (const auto& m : matches) {
      // A long answer leaves in batches, so that the requester sees its first matches at once.
      if (++answered % answers_per_flush == 0) held.flush();
      if (checkForCANCEL(context, request.MessageID).good())
        return sendFINDResponse(context, request.MessageID, sop_class, nullptr, qr_status::cancel);
      DcmDataset answer;
      fill(answer, dicom::answer(query, m));
      cond = sendFINDResponse(context, request.MessageID, sop_class, &answer, qr_status::pending);
      if (cond.bad()) return cond;
    }
    return sendFINDResponse(context, request.MessageID, sop_class, nullptr, qr_status::success);
  }

  /// C-MOVE or C-GET (PS3.4 C.4.2, C.4.3): a C-STORE sub-operation per matching image (to the
  /// move destination, or on this association), a pending response with the counts after each.
  OFCondition retrieve(T_DIMSE_Message& message, const DcmPresentationContextInfo& info,
                       qr_model model) {
    const bool get = message.CommandField == DIMSE_C_GET_RQ;
    const Uint16 message_id = get ? message.msg.CGetRQ.MessageID : message.msg.CMoveRQ.MessageID;
    const OFString sop_class =
        get ? message.msg.CGetRQ.AffectedSOPClassUID : message.msg.CMoveRQ.AffectedSOPClassUID;
    auto context = info.presentationContextID;
    DcmDataset* received = nullptr;
    OFString destination_ae;
    OFCondition cond =
        get ? receiveDIMSEDataset(&context, &received)
            : receiveMOVERequest(message.msg.CMoveRQ, context, received, destination_ae);
    std::unique_ptr<DcmDataset> identifier(received);
    if (cond.bad()) return cond;
    auto respond = [&](Uint16 status, const sub_operations* counts, DcmDataset* data,
                       DcmDataset* detail) {
      return retrieve_response(get, context, message_id, sop_class, status, counts, data, detail);
    };
    std::optional<store_peer> destination;
    std::vector<std::filesystem::path> files;
    std::vector<std::string> instances;
    try {
      if (!identifier) throw qr_refusal(qr_status::identifier_mismatch, "No identifier");
      const auto query = parse_retrieve(model, identifier_of(*identifier));
      if (!get) {
        destination = settings_.query_retrieve.destination(trimmed(destination_ae.c_str()));
        if (!destination)
          throw qr_refusal(qr_status::move_destination_unknown,
                           "Unknown move destination " + std::string(destination_ae.c_str()));
        destination->calling_ae = trimmed(settings_.ae_title);
      }
      for (const auto& m : settings_.query_retrieve.search(query)) {
        files.push_back(settings_.query_retrieve.file_of(m.storage_key));
        instances.push_back(m.img.sop_instance_uid);
      }
    } catch (const qr_refusal& r) {
      return respond(r.status(), nullptr, nullptr, error_comment(r.what()).get());
    } catch (const std::exception& e) {
      spdlog::error("DICOM SCP {}: a C-{} failed: {}", settings_.ae_title, get ? "GET" : "MOVE",
                    e.what());
      return respond(qr_status::unable_to_process, nullptr, nullptr, error_comment(e.what()).get());
    }
    sub_operations counts;
    counts.remaining = files.size();
    std::vector<std::string> failed;
    bool cancelled = false;
    std::size_t done = 0;
    OFCondition lost = EC_Normal;
    auto after_each = [&](store_outcome outcome) {
      if (outcome == store_outcome::completed) ++counts.completed;
      if (outcome == store_outcome::warning) ++counts.warning;
      if (outcome == store_outcome::failed) {
        ++counts.failed;
        failed.push_back(instances[done]);
      }
      ++done;
      --counts.remaining;
      if (cancelled || checkForCANCEL(context, message_id).good()) {
        cancelled = true;
        return false;
      }
      if (counts.remaining == 0) return true;
      lost = respond(qr_status::pending, &counts, nullptr, nullptr);
      return lost.good();
    };
    try {
      if (get) {
        for (const auto& f : files) {
          bool cancel = false;
          const auto outcome =
              send_on_association(assoc_, f, std::chrono::seconds{acse_timeout_seconds}, &cancel);
          cancelled = cancelled || cancel;
          if (!after_each(outcome)) break;
        }
      } else if (!files.empty()) {
        send_each(*destination, files, after_each);
      }
    } catch (const store_error& e) {
      spdlog::warn("DICOM SCP {}: the C-STORE sub-operations of a C-{} failed: {}",
                   settings_.ae_title, get ? "GET" : "MOVE", e.what());
      if (get) return makeOFCondition(OFM_dcmnet, 1, OF_error, e.what());  // association lost
      for (; done < files.size(); ++done) failed.push_back(instances[done]);
      counts.failed += counts.remaining;
      counts.remaining = 0;
    }
    if (lost.bad()) return lost;
    Uint16 status = qr_status::success;
    if (cancelled)
      status = qr_status::cancel;
    else if (counts.failed > 0 && counts.completed + counts.warning == 0)
      status = qr_status::unable_to_perform;
    else if (counts.failed > 0 || counts.warning > 0)
      status = qr_status::sub_operations_failed;
    if (!cancelled) counts.remaining = 0;
    std::unique_ptr<DcmDataset> failed_list;
    if (!failed.empty()) {
      std::string list;
      for (const auto& uid : failed) list += (list.empty() ? "" : "\\") + uid;
      failed_list = std::make_unique<DcmDataset>();
      failed_list->putAndInsertString(DCM_FailedSOPInstanceUIDList, list.c_str());
    }
    return respond(status, &counts, failed_list.get(), nullptr);
  }

  OFCondition retrieve_response(bool get, T_ASC_PresentationContextID context, Uint16 message_id,
                                const OFString& sop_class, Uint16 status,
                                const sub_operations* counts, DcmDataset* data,
                                DcmDataset* detail) {
    T_DIMSE_Message response{};
    auto fill_response = [&](auto& r) {
      r.MessageIDBeingRespondedTo = message_id;
      OFStandard::strlcpy(r.AffectedSOPClassUID, sop_class.c_str(), sizeof r.AffectedSOPClassUID);
      r.DimseStatus = status;
      r.DataSetType = data != nullptr ? DIMSE_DATASET_PRESENT : DIMSE_DATASET_NULL;
      r.opts = O_MOVE_AFFECTEDSOPCLASSUID;  // the same bits as O_GET_...
      if (counts != nullptr) {
        r.NumberOfRemainingSubOperations = count_field(counts->remaining);
        r.NumberOfCompletedSubOperations = count_field(counts->completed);
        r.NumberOfFailedSubOperations = count_field(counts->failed);
        r.NumberOfWarningSubOperations = count_field(counts->warning);
        r.opts |= O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS | O_MOVE_NUMBEROFFAILEDSUBOPERATIONS |
                  O_MOVE_NUMBEROFWARNINGSUBOPERATIONS;
        if (status == qr_status::pending || status == qr_status::cancel)
          r.opts |= O_MOVE_NUMBEROFREMAININGSUBOPERATIONS;
      }
    };
    if (get) {
      response.CommandField = DIMSE_C_GET_RSP;
      fill_response(response.msg.CGetRSP);
    } else {
      response.CommandField = DIMSE_C_MOVE_RSP;
      fill_response(response.msg.CMoveRSP);
    }
    return sendDIMSEMessage(context, &response, data, detail);
  }

  const scp_settings& settings_;
  T_ASC_Association* assoc_ = nullptr;
};

std::uint16_t bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return ntohs(address.sin_port);
}

}  // namespace

void probe_port(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw scp_error(std::string("Could not open a socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as DCMTK's listener
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(port);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  if (rc == 0) return;
  const auto p = std::to_string(port);
  if (error == EADDRINUSE) throw port_in_use("Port " + p + " is already in use");
  throw scp_error("Could not listen on port " + p + ": " + std::strerror(error));
}

// The accept loop is ours rather than DcmSCPPool's: the pool constructs its workers without
// arguments (they could not know these settings), and it closes the port only after the last
// association has ended, where a deleted SCP must free it at once.
struct dimse_scp::impl {
  scp_settings settings;
  DcmSharedSCPConfig config;
  T_ASC_Network* network = nullptr;
  std::uint16_t port = 0;
  int wake = -1;  ///< eventfd that ends the accept loop
  std::thread acceptor;

  struct worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::mutex mutex;  // guards everything below
  bool stopping = false;
  std::list<worker> workers;
  std::set<int> live_sockets;  ///< sockets of associations being served

  explicit impl(scp_settings s) : settings(std::move(s)) {
    DcmSCPConfig c;
    c.setAETitle(trimmed(settings.ae_title).c_str());
    c.setMaxReceivePDULength(max_receive_pdu);
    c.setDIMSEBlockingMode(DIMSE_BLOCKING);
    c.setACSETimeout(acse_timeout_seconds);
    config = DcmSharedSCPConfig(c);
  }

  void accept_loop() {
    const int listening = DUL_networkSocket(network->network);
    while (true) {
      pollfd fds[2] = {{listening, POLLIN, 0}, {wake, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("DICOM SCP on port {}: poll failed: {}", port, std::strerror(errno));
        return;
      }
      if (fds[1].revents != 0) return;
      if ((fds[0].revents & POLLIN) == 0) continue;
      T_ASC_Association* assoc = nullptr;
      // The listening socket is readable, so this accepts at once; it then reads the
      // A-ASSOCIATE-RQ (within the ACSE timeout).
      OFCondition cond = ASC_receiveAssociation(network, &assoc, max_receive_pdu, nullptr, nullptr,
                                                OFFalse, DUL_NOBLOCK, 1);
      if (cond.good()) {
        if (settings.on_association) settings.on_association();
        start_worker(assoc);
      } else if (cond == DUL_NOASSOCIATIONREQUEST) {
        ASC_destroyAssociation(&assoc);
      } else {
        spdlog::warn("DICOM SCP on port {}: could not receive an association: {}", port,
                     cond.text());
        ASC_dropAssociation(assoc);
        ASC_destroyAssociation(&assoc);
      }
    }
  }

  void start_worker(T_ASC_Association* assoc) {
    std::lock_guard lock{mutex};
    // Reap the threads of finished associations.
    for (auto it = workers.begin(); it != workers.end();) {
      if (it->done) {
        it->thread.join();
        it = workers.erase(it);
      } else {
        ++it;
      }
    }
    auto& w = workers.emplace_back();
    try {
      w.thread = std::thread([this, assoc, &w] {
        serve(assoc);
        w.done = true;
      });
    } catch (const std::system_error& e) {  // out of threads: this peer is turned away
      workers.pop_back();
      spdlog::error("DICOM SCP on port {}: cannot serve an association: {}", port, e.what());
      ASC_dropAssociation(assoc);
      ASC_destroyAssociation(&assoc);
    }
  }

  void serve(T_ASC_Association* assoc) {
    const int fd = connection_socket::of(assoc);
    {
      std::lock_guard lock{mutex};
      if (stopping) {
        ASC_dropAssociation(assoc);
        ASC_destroyAssociation(&assoc);
        return;
      }
      live_sockets.insert(fd);
    }
    association scp{settings};
    scp.setSharedConfig(config);
    scp.run(assoc);
    std::lock_guard lock{mutex};
    live_sockets.erase(fd);  // before ~association closes it
  }

  void stop() {
    {
      std::lock_guard lock{mutex};
      stopping = true;
    }
    const std::uint64_t one = 1;
    if (::write(wake, &one, sizeof one) < 0) spdlog::error("DICOM SCP: cannot wake the acceptor");
    if (acceptor.joinable()) acceptor.join();
    ASC_dropNetwork(&network);  // the port is closed from here on
    {
      // Wakes associations blocked in a read; each then ends on its own thread.
      std::lock_guard lock{mutex};
      for (int fd : live_sockets) ::shutdown(fd, SHUT_RDWR);
    }
    // No thread is added once stopping is set and the acceptor has ended.
    for (auto& w : workers) w.thread.join();
    workers.clear();
    ::close(wake);
  }
};

dimse_scp::dimse_scp(scp_settings settings) : impl_(std::make_unique<impl>(std::move(settings))) {
  prepare_dimse_networking();
  auto& i = *impl_;
  const auto requested = i.settings.port;
  // DCMTK's own bind failure does not say why; a probe first tells a taken port apart.
  if (requested != 0) probe_port(requested);
  OFCondition cond =
      ASC_initializeNetwork(NET_ACCEPTOR, requested, acse_timeout_seconds, &i.network);
  if (cond.bad())
    throw scp_error("Could not listen on port " + std::to_string(requested) + ": " + cond.text());
  i.port = bound_port(DUL_networkSocket(i.network->network));
  i.wake = ::eventfd(0, EFD_CLOEXEC);
  if (i.wake < 0) {
    ASC_dropNetwork(&i.network);
    throw scp_error(std::string("Could not create an eventfd: ") + std::strerror(errno));
  }
  i.acceptor = std::thread([&i] { i.accept_loop(); });
}

dimse_scp::~dimse_scp() { impl_->stop(); }

std::uint16_t dimse_scp::port() const { return impl_->port; }

}  // namespace sbx::dicom
