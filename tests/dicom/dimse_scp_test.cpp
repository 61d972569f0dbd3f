// SPDX-License-Identifier: Apache-2.0
// The C-STORE SCP against dcmtk's echoscu, storescu and storescp (tools from deploy/install-deps.sh
// --test); run in a network namespace with only loopback, as deploy/test.sh does.
#include "dicom/dimse_scp.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <vector>

#include "dicom/dimse_scu.hpp"
#include "support/background.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::dicom;
using namespace sbx::test;

namespace {

const std::string fixtures = SBX_FIXTURES_DIR;
const std::string nm_class = "1.2.840.10008.5.1.4.1.1.20";  // test.dcm: NM, explicit VR LE

/// What a test SCP received, in arrival order.
struct inbox {
  std::mutex mutex;
  std::vector<received_instance> received;

  std::size_t size() {
    std::lock_guard lock{mutex};
    return received.size();
  }
};

/// A scratch folder and an inbox for a test SCP; the dcmtk tools must be there.
struct scp_fixture {
  scp_fixture() {
    require_tool("echoscu");
    require_tool("storescu");
  }

  /// Settings for an SCP on a free port that files everything into `box`.
  scp_settings settings(std::set<std::string> classes = {nm_class}) {
    auto counter = std::make_shared<std::atomic<int>>(0);
    scp_settings s;
    s.ae_title = "SBXTEST";
    s.contexts.sop_classes = std::move(classes);
    s.contexts.transfer_syntaxes = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                    "1.2.840.10008.1.2.4.50"};
    s.temp_file = [this, counter] { return (dir / ("in-" + std::to_string(++*counter))).string(); };
    s.on_stored = [this](received_instance r) {
      std::lock_guard lock{box.mutex};
      box.received.push_back(std::move(r));
      return dimse_status::success;
    };
    return s;
  }

  scratch_dir dir;
  inbox box;
};

std::pair<int, std::string> storescu(std::uint16_t port, const std::string& files,
                                     const std::string& options = "",
                                     const std::string& ae = "SBXTEST") {
  return run_command("TCP_NODELAY=1 storescu -aec " + ae + " " + options + " 127.0.0.1 " +
                     std::to_string(port) + " " + files + " 2>&1");
}

/// An association negotiated by hand (A-ASSOCIATE-RQ for Verification, PS3.8 9.3.2) that then
/// stays open without sending anything.
class idle_association {
 public:
  idle_association(std::uint16_t port, const std::string& called) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    auto item = [](std::uint8_t type, const std::string& body) {
      return std::string{static_cast<char>(type), '\0', static_cast<char>(body.size() >> 8),
                         static_cast<char>(body.size() & 0xff)} +
             body;
    };
    auto ae = [](std::string t) { return t.append(16 - t.size(), ' '); };
    std::string pc =
        std::string{1, 0, 0, 0} + item(0x30, "1.2.840.10008.1.1") + item(0x40, "1.2.840.10008.1.2");
    std::string body = std::string{0, 1, 0, 0} + ae(called) + ae("IDLE") + std::string(32, '\0') +
                       item(0x10, "1.2.840.10008.3.1.1.1") + item(0x20, pc) +
                       item(0x50, item(0x51, std::string{0, 0, 0x40, 0}) +
                                      item(0x52, "1.2.826.0.1.3680043.9.7433"));
    std::string pdu = std::string{1, 0} +
                      std::string{0, 0, static_cast<char>(body.size() >> 8),
                                  static_cast<char>(body.size() & 0xff)} +
                      body;
    if (::send(fd_, pdu.data(), pdu.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(pdu.size()))
      return;
    // An SCP that does not answer fails the test after 10 s instead of blocking it.
    timeval answer_deadline{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &answer_deadline, sizeof answer_deadline);
    char type = 0;
    accepted_ = ::recv(fd_, &type, 1, 0) == 1 && type == 0x02;  // A-ASSOCIATE-AC
    char rest[1024];
    timeval t{0, 200000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
    while (::recv(fd_, rest, sizeof rest, 0) > 0) {
    }  // the rest of the A-ASSOCIATE-AC
  }
  ~idle_association() { ::close(fd_); }

  bool accepted() const { return accepted_; }
  /// True once the SCP has closed the connection (reads see its end).
  bool closed_by_peer() {
    return eventually([&] {
      char c;
      const auto n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
      return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    });
  }

 private:
  int fd_ = -1;
  bool accepted_ = false;
};

}  // namespace

TEST_CASE_METHOD(scp_fixture, "the SCP answers C-ECHO to its own AE title only", "[dicom][scp]") {
  dimse_scp scp{settings()};
  REQUIRE(scp.port() != 0);
  CHECK(echo_succeeds(scp.port(), "SBXTEST"));
  CHECK_FALSE(echo_succeeds(scp.port(), "SOMEONEELSE"));
}

TEST_CASE_METHOD(scp_fixture,
                 "a C-STORE arrives as a Part-10 file holding the dataset as it was sent",
                 "[dicom][scp]") {
  require_tool("storescp");
  dimse_scp scp{settings()};
  auto [rc, out] = storescu(scp.port(), fixtures + "/test.dcm", "-aet SENDER");
  INFO(out);
  REQUIRE(rc == 0);
  REQUIRE(box.size() == 1);
  const auto& r = box.received.front();
  CHECK(r.sop_class_uid == nm_class);
  CHECK(r.sop_instance_uid == "65.2.840.10008.20.7.52.107.48.52.48.56.1.524320.13228481.537347");
  CHECK(r.calling_ae_title == "SENDER");
  auto [dump_rc, meta] =
      run_command("dcmdump -M -Un +P 0002,0002 +P 0002,0003 +P 0002,0010 " + r.file + " 2>&1");
  CHECK(meta.find(nm_class) != std::string::npos);
  CHECK(meta.find(r.sop_instance_uid) != std::string::npos);
  CHECK(meta.find("1.2.840.10008.1.2.1]") != std::string::npos);

  // storescu re-encodes what it sends (sequences get explicit lengths), so what arrived is
  // compared with what dcmtk's own bit-preserving storescp keeps of the same sending.
  scratch_dir reference;
  const auto port = free_port();
  background_command storescp{
      "exec storescp -B -od " + reference.path().string() + " " + std::to_string(port),
      reference / "storescp.log"};
  REQUIRE(eventually([&] { return echo_succeeds(port, "ANY-SCP"); }));
  REQUIRE(storescu(port, fixtures + "/test.dcm", "-aet SENDER", "ANY-SCP").first == 0);
  std::vector<std::filesystem::path> kept;
  for (const auto& e : std::filesystem::directory_iterator(reference.path()))
    if (e.path().filename().string().rfind("NM.", 0) == 0) kept.push_back(e.path());
  REQUIRE(kept.size() == 1);
  CHECK(dataset_bytes(r.file) == dataset_bytes(kept.front()));
}

TEST_CASE_METHOD(scp_fixture, "the C-STORE response waits until the handler has returned",
                 "[dicom][scp]") {
  auto s = settings();
  std::promise<void> called, release;
  auto released = release.get_future().share();
  s.on_stored = [&](received_instance) {
    called.set_value();
    released.wait();
    return dimse_status::success;
  };
  dimse_scp scp{std::move(s)};
  auto sent = in_background([&] { return storescu(scp.port(), fixtures + "/test.dcm").first; });
  // Whatever fails below, the handler is released before the sender is joined.
  bool released_once = false;
  auto release_handler = [&] {
    if (!std::exchange(released_once, true)) release.set_value();
  };
  on_scope_exit release_at_exit{release_handler};
  REQUIRE(called.get_future().wait_for(std::chrono::seconds{10}) == std::future_status::ready);
  // The sender gets no answer while the handler holds it.
  CHECK_FALSE(sent.done_within(std::chrono::milliseconds{200}));
  release_handler();
  CHECK(sent.get() == 0);
}

TEST_CASE_METHOD(scp_fixture, "a failure status from the handler reaches the sender",
                 "[dicom][scp]") {
  auto s = settings();
  s.on_stored = [](received_instance) { return dimse_status::out_of_resources; };
  dimse_scp scp{std::move(s)};
  auto [rc, out] = storescu(scp.port(), fixtures + "/test.dcm", "-v");
  INFO(out);
  CHECK(rc != 0);
  CHECK(out.find("Refused: OutOfResources") != std::string::npos);
}

TEST_CASE_METHOD(scp_fixture,
                 "SOP classes and transfer syntaxes outside the accepted sets are refused",
                 "[dicom][scp]") {
  dimse_scp scp{settings()};
  // Secondary Capture is not accepted at all.
  CHECK(storescu(scp.port(), fixtures + "/sc.dcm", "-R").first != 0);
  // NM is, but not in an uncompressed syntax here.
  auto jpeg_only = settings();
  jpeg_only.contexts.transfer_syntaxes = {"1.2.840.10008.1.2.4.50"};
  dimse_scp picky{std::move(jpeg_only)};
  CHECK(storescu(picky.port(), fixtures + "/test.dcm").first != 0);
  CHECK(box.size() == 0);
}

TEST_CASE_METHOD(scp_fixture,
                 "any number of accepted SOP classes is negotiated (DCMTK profiles stop at 128)",
                 "[dicom][scp]") {
  std::set<std::string> classes;
  for (int i = 0; i < 300; ++i) classes.insert("1.2.826.0.1.3680043.9.7433.1." + std::to_string(i));
  classes.insert(nm_class);
  dimse_scp scp{settings(classes)};
  CHECK(storescu(scp.port(), fixtures + "/test.dcm").first == 0);
  CHECK(box.size() == 1);
}

TEST_CASE_METHOD(scp_fixture, "several associations are served at once", "[dicom][scp]") {
  auto s = settings();
  // Each handler waits until two are inside at once: that only ends early if associations
  // really run in parallel.
  std::mutex m;
  std::condition_variable cv;
  int inside = 0, most = 0;
  s.on_stored = [&](received_instance r) {
    std::unique_lock lock{m};
    most = std::max(most, ++inside);
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds{10}, [&] { return most >= 2; });
    --inside;
    lock.unlock();
    std::lock_guard box_lock{box.mutex};
    box.received.push_back(std::move(r));
    return dimse_status::success;
  };
  dimse_scp scp{std::move(s)};
  std::deque<background_task<int>> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back(
        [&] { return storescu(scp.port(), fixtures + "/test.dcm", "+II --repeat 5").first; });
  }
  for (auto& s : senders) CHECK(s.get() == 0);
  CHECK(most >= 2);
  REQUIRE(box.size() == 20);
  std::set<std::string> instances;
  for (const auto& r : box.received) instances.insert(r.sop_instance_uid);
  CHECK(instances.size() == 20);  // +II: a new SOP instance UID for every image sent
}

TEST_CASE_METHOD(scp_fixture,
                 "a port in use is reported; stopping frees the port even with associations open",
                 "[dicom][scp]") {
  auto s = settings();
  auto scp = std::make_unique<dimse_scp>(s);
  const auto port = scp->port();
  auto again = s;
  again.port = port;
  CHECK_THROWS_AS(dimse_scp{again}, port_in_use);
  CHECK_THROWS_AS(probe_port(port), port_in_use);
  // An association that stays open and idle.
  REQUIRE(storescu(port, fixtures + "/test.dcm").first == 0);
  idle_association idle{port, "SBXTEST"};
  REQUIRE(idle.accepted());
  const auto before = std::chrono::steady_clock::now();
  scp.reset();
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds{5});
  CHECK_NOTHROW(probe_port(port));
  CHECK_FALSE(echo_succeeds(port, "SBXTEST"));
  CHECK(idle.closed_by_peer());
}

TEST_CASE_METHOD(scp_fixture,
                 "what the node's SCU sends arrives byte for byte, sequences of undefined length "
                 "included",
                 "[dicom][scp]") {
  // dcmtk's tools re-encode what they send; the node's SCU sends stored datasets as they are.
  const auto accepted = image_data_contexts(context_defaults::node);
  std::vector<std::filesystem::path> files = {fixtures + "/test.dcm"};
  for (const auto& sample : pydicom_samples()) {
    try {
      check_context(read_header(sample), accepted);
      const auto meta = read_file_meta(sample);
      if (!meta.media_storage_sop_class_uid.empty() && !meta.media_storage_sop_instance_uid.empty())
        files.emplace_back(sample);
    } catch (const invalid_dicom&) {
      // not image data in an accepted syntax, or not readable: the SCP would refuse it
    }
  }
  REQUIRE(files.size() > 10);
  auto s = settings(accepted.sop_classes);
  s.contexts = accepted;
  dimse_scp scp{std::move(s)};
  const auto report = send_files({"SBXTEST", "127.0.0.1", scp.port()}, files);
  CHECK(report.skipped.empty());
  REQUIRE(report.sent == files.size());
  REQUIRE(box.size() == files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    INFO(files[i]);
    CHECK(dataset_bytes(box.received[i].file) == dataset_bytes(files[i]));
  }
}
