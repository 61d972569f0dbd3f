// SPDX-License-Identifier: Apache-2.0
// The only place that sees DCMTK (dcmnet); its osconfig.h must come before any DCMTK header.
// clang-format off
#include "dcmtk/config/osconfig.h"
// clang-format on

#include "dicom/dimse_scp.hpp"

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <dcmtk/oflog/oflog.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

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

namespace sbx::dicom {
namespace {

constexpr int acse_timeout_seconds = 30;
constexpr Uint32 max_receive_pdu = ASC_MAXIMUMPDUSIZE;  // 128 KiB: fewer, larger PDUs

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
    for (int i = 0; i < count; ++i) {
      T_ASC_PresentationContext pc;
      if (ASC_getPresentationContext(params, i, &pc).bad()) continue;
      const bool verification = std::strcmp(pc.abstractSyntax, UID_VerificationSOPClass) == 0;
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
      if (chosen != nullptr)
        ASC_acceptPresentationContext(params, pc.presentationContextID, chosen);
      else
        ASC_refusePresentationContext(params, pc.presentationContextID,
                                      ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    }
    return EC_Normal;
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                    const DcmPresentationContextInfo& info) override {
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
  const scp_settings& settings_;
  T_ASC_Association* assoc_ = nullptr;
};

/// The socket of an association, to shut it down from another thread when the listener stops.
/// DCMTK keeps it protected; a member pointer formed through a derived class may name it.
struct connection_socket : DcmTransportConnection {
  static int of(T_ASC_Association* assoc) {
    DcmTransportConnection* c = DUL_getTransportConnection(assoc->DULassociation);
    return c != nullptr ? (c->*&connection_socket::getSocket)() : -1;
  }
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
