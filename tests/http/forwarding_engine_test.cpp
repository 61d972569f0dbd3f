// SPDX-License-Identifier: Apache-2.0
// Forwarding to an SCU destination (docs/forwarding.md) against dcmtk's storescp: batches go out
// once idle, are delivered once, keepImages=false deletes the delivered images, a pending batch
// survives a restart, a peer that is down gets the batch once it is back, a deleted rule sends
// nothing, and 500 images arrive exactly once.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <set>

#include "dicom/dataset_header.hpp"
#include "http/forwarding_requests.hpp"
#include "http/scu_requests.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"

using namespace sbx::test;
using namespace std::chrono_literals;

namespace {

/// Batches go out 150 ms after their last image; failed sends are retried after 100-400 ms.
void quick_forwarding(sbx::app::config& c) {
  c.forwarding_batch_idle = 150ms;
  c.forwarding_retry_initial = 100ms;
  c.forwarding_retry_max = 400ms;
}

/// storescp writing every dataset it receives to a file of its own (a second copy of an image
/// is a second file).
storescp_peer counting_storescp() { return storescp_peer{{"-pm", "+xa", "+uf"}}; }

/// The same on a port chosen beforehand (a destination that was down and comes back).
class storescp_at {
 public:
  explicit storescp_at(std::uint16_t port) {
    require_private_network();
    std::filesystem::create_directories(dir_ / "received");
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{"storescp", "+B", "-od", (dir_ / "received").string(), "-aet",
                                 "STORESCP", "-pm", "+xa", "+uf", std::to_string(port)},
        std::vector<std::string>{"TCP_NODELAY=1"}, dir_ / "storescp.log");
    process_->await_port(port);
  }
  std::size_t received() const {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "received"))
      n += e.is_regular_file();
    return n;
  }

 private:
  scratch_dir dir_;
  std::unique_ptr<child_process> process_;
};

/// Uploads `count` distinct small images as admin; their ids.
std::vector<std::string> upload_images(const running_node& n, int count,
                                       const std::string& tag = "p") {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto s = tag + std::to_string(i);
    auto id = upload_image(n, small_f1_in(tag, "st" + tag, "se" + tag, "so" + s));
    REQUIRE_FALSE(id.empty());
    ids.push_back(id);
  }
  return ids;
}

/// The SOP instance UIDs of what storescp received, one entry per received dataset.
std::multiset<std::string> received_uids(const storescp_peer& peer) {
  std::multiset<std::string> out;
  for (const auto& f : peer.received())
    out.insert(sbx::dicom::read_file_meta(f).media_storage_sop_instance_uid);
  return out;
}

/// How many images the "Forwarding N images ..." entries name in total.
std::size_t images_dispatched(const running_node& n) {
  std::size_t total = 0;
  for (const auto& m : log_messages(n, "Forwarding"))
    if (m.rfind("Forwarding ", 0) == 0 && m.find(" images from ") != std::string::npos)
      total += std::stoul(m.substr(11));
  return total;
}

/// eventually(), with the patience a loaded machine needs for a node, a peer and a database.
bool soon(const std::function<bool()>& done) { return eventually(30s, done); }

bool exists(const running_node& n, const std::string& image) {
  return n.admin("GET", "/api/metadata/images/" + image).status == 200;
}

}  // namespace

TEMPLATE_TEST_CASE("forwarding to an SCU: a batch goes out once idle and is delivered once",
                   "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  auto peer = counting_storescp();
  running_node n{TestType::value, [](sbx::app::config& c) {
                   quick_forwarding(c);
                   c.forwarding_batch_idle = 1s;  // the three uploads make one batch
                 }};
  auto scu = create_scu(n, "peer", peer.ae_title(), peer.port());
  create_rule(n, rule_body("user", admin_id(n), "scu", std::stoll(scu), true, "admin", "peer"));
  // Images from another source are not forwarded.
  create_rule(n, rule_body("user", admin_id(n) + 100, "scu", std::stoll(scu), true));

  auto ids = upload_images(n, 3);
  REQUIRE(soon([&] { return logged(n, "Forwarding", "Finalized 1 transactions."); }));
  CHECK(peer.received().size() == 3);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 3);
  for (const auto& id : ids) CHECK(exists(n, id));  // keepImages

  // The log reads as Slicebox's.
  auto forwarding = log_messages(n, "Forwarding");
  CHECK(std::count(forwarding.begin(), forwarding.end(),
                   "Forwarding 3 images from user admin to scu peer.") == 1);
  CHECK(logged(n, "SCU", "Sending 3 images using SCU peer"));
  CHECK(logged(n, "SCU", "Finished sending 3 images using SCU peer"));

  // A manual send of the same images is a send like any other: nothing more is forwarded.
  auto r = n.admin("POST", "/api/scus/" + scu + "/send", "[" + ids[0] + "]");
  CHECK(r.status == 204);
  CHECK(soon([&] { return peer.received().size() == 4; }));
  CHECK(images_dispatched(n) == 3);

  // A later image makes a new batch.
  upload_images(n, 1, "q");
  REQUIRE(soon([&] { return logged(n, "Forwarding", "Forwarding 1 images from user admin"); }));
  CHECK(soon([&] { return peer.received().size() == 5; }));
}

TEMPLATE_TEST_CASE(
    "forwarding with keepImages=false deletes the images once every rule of the "
    "source delivered them",
    "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  auto first = counting_storescp();
  const auto second_port = free_port();  // the second destination is down for now
  running_node n{TestType::value, quick_forwarding};
  auto to_first = create_scu(n, "first", first.ae_title(), first.port());
  auto to_second = create_scu(n, "second", "STORESCP", second_port);
  const auto admin = admin_id(n);
  create_rule(n, rule_body("user", admin, "scu", std::stoll(to_first), false, "admin", "first"));
  create_rule(n, rule_body("user", admin, "scu", std::stoll(to_second), true, "admin", "second"));

  // The images stay until the second destination has them too.
  auto ids = upload_images(n, 4);
  REQUIRE(soon([&] { return first.received().size() == 4; }));
  REQUIRE(soon([&] {
    return logged(n, "Forwarding", "Could not forward images to SCP. Trying again later.");
  }));
  for (const auto& id : ids) CHECK(exists(n, id));

  storescp_at second(second_port);
  REQUIRE(soon([&] { return second.received() == 4; }));
  CHECK(soon([&] {
    for (const auto& id : ids)
      if (exists(n, id)) return false;
    return true;
  }));
  CHECK(n.admin("GET", "/api/images/" + ids[0]).status == 404);
  CHECK(first.received().size() == 4);
}

TEMPLATE_TEST_CASE("forwarding: a batch pending at a restart is sent by the restarted node",
                   "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  const auto port = free_port();  // down until after the restart
  running_node n{TestType::value, quick_forwarding};
  auto scu = create_scu(n, "peer", "STORESCP", port);
  create_rule(n, rule_body("user", admin_id(n), "scu", std::stoll(scu), false));
  auto ids = upload_images(n, 5);
  REQUIRE(soon([&] { return logged(n, "Forwarding", "Could not forward images"); }));

  n.restart();
  storescp_at peer(port);
  REQUIRE(soon([&] { return peer.received() == 5; }));
  // The deletion the batch owes is carried out by the restarted node too.
  CHECK(soon([&] {
    for (const auto& id : ids)
      if (exists(n, id)) return false;
    return true;
  }));
}

TEMPLATE_TEST_CASE("forwarding: a peer that is down gets the batch once it is back",
                   "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  const auto port = free_port();  // nothing listens there yet
  running_node n{TestType::value, quick_forwarding};
  auto scu = create_scu(n, "later", "STORESCP", port);
  create_rule(n, rule_body("user", admin_id(n), "scu", std::stoll(scu), true));
  upload_images(n, 3);
  REQUIRE(soon([&] {
    return logged(n, "Forwarding",
                  "Could not forward images to SCP. Trying again later. Message: Connection "
                  "refused on host STORESCP@127.0.0.1:" +
                      std::to_string(port));
  }));

  storescp_at peer(port);
  REQUIRE(soon([&] { return peer.received() == 3; }));
  CHECK(soon([&] { return logged(n, "Forwarding", "Finalized "); }));
  CHECK(peer.received() == 3);
}

TEMPLATE_TEST_CASE("forwarding: a rule deleted while its batch collects sends nothing",
                   "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  auto kept = counting_storescp();
  auto dropped = counting_storescp();
  running_node n{TestType::value, [](sbx::app::config& c) {
                   quick_forwarding(c);
                   c.forwarding_batch_idle = 3s;  // time to delete the rule
                 }};
  auto to_kept = create_scu(n, "kept", kept.ae_title(), kept.port());
  auto to_dropped = create_scu(n, "dropped", dropped.ae_title(), dropped.port());
  const auto admin = admin_id(n);
  create_rule(n, rule_body("user", admin, "scu", std::stoll(to_kept), true, "admin", "kept"));
  auto rule = create_rule(
      n, rule_body("user", admin, "scu", std::stoll(to_dropped), false, "admin", "dropped"));
  auto ids = upload_images(n, 2);
  CHECK(n.admin("DELETE", "/api/forwarding/rules/" + std::to_string(rule)).status == 204);

  // The other rule's batch, collected alongside, goes out; the deleted one's never does.
  REQUIRE(soon([&] { return kept.received().size() == 2; }));
  CHECK(soon([&] { return logged(n, "Forwarding", "Finalized 1 transactions."); }));
  CHECK(dropped.received().empty());
  CHECK(images_dispatched(n) == 2);
  for (const auto& id : ids) CHECK(exists(n, id));
}

TEMPLATE_TEST_CASE("forwarding: images deleted by hand leave their batch",
                   "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  auto peer = counting_storescp();
  running_node n{TestType::value, [](sbx::app::config& c) {
                   quick_forwarding(c);
                   c.forwarding_batch_idle = 3s;  // time to delete an image
                 }};
  auto scu = create_scu(n, "peer", peer.ae_title(), peer.port());
  create_rule(n, rule_body("user", admin_id(n), "scu", std::stoll(scu), true, "admin", "peer"));
  auto ids = upload_images(n, 3);
  CHECK(n.admin("DELETE", "/api/images/" + ids[1]).status == 204);
  REQUIRE(soon([&] { return logged(n, "Forwarding", "Finalized 1 transactions."); }));
  CHECK(logged(n, "Forwarding", "Forwarding 2 images from user admin to scu peer."));
  CHECK(peer.received().size() == 2);
}

TEMPLATE_TEST_CASE("forwarding: 500 images through one rule arrive once each",
                   "[http][forwarding][integration]", sqlite_backend, postgres_backend) {
  auto peer = counting_storescp();
  running_node n{TestType::value, [](sbx::app::config& c) {
                   quick_forwarding(c);
                   c.forwarding_batch_idle = 200ms;
                 }};
  auto scu = create_scu(n, "peer", peer.ae_title(), peer.port());
  create_rule(n, rule_body("user", admin_id(n), "scu", std::stoll(scu), true));

  const auto upload_start = std::chrono::steady_clock::now();
  auto ids = upload_images(n, 500, "bulk");
  const auto last_added = std::chrono::steady_clock::now();
  REQUIRE(eventually(120s, [&] { return peer.received().size() >= 500; }));
  const auto last_delivered = std::chrono::steady_clock::now();
  REQUIRE(soon([&] { return images_dispatched(n) >= 500; }));

  auto uids = received_uids(peer);
  CHECK(uids.size() == 500);
  CHECK(std::set<std::string>(uids.begin(), uids.end()).size() == 500);  // none twice
  CHECK(images_dispatched(n) == 500);
  CHECK_FALSE(logged(n, "Forwarding", "Could not forward"));
  using ms = std::chrono::milliseconds;
  std::printf(
      "forwarding 500 images (%s): uploads %lld ms, last added to last delivered %lld ms\n",
      TestType::name,
      static_cast<long long>(std::chrono::duration_cast<ms>(last_added - upload_start).count()),
      static_cast<long long>(std::chrono::duration_cast<ms>(last_delivered - last_added).count()));
}
