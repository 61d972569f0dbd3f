// SPDX-License-Identifier: Apache-2.0
// Two real nodes exchanging images: push (hidden → public) and poll (public → hidden),
// anonymized on the way out and restored on the way back, over a link that is cut in every way
// a network cuts it and heals (docs/federation.md).
#include <set>

#include "federation/boxes.hpp"
#include "support/dicom_files.hpp"
#include "support/fault_proxy.hpp"
#include "support/scratch_files.hpp"
#include "support/scripted_http_server.hpp"
#include "support/test_pki.hpp"

using namespace sbx::test;

namespace {

const std::string test_values = R"([{"tagPath":{"tag":1048592},"value":"TEST NAME"},)"
                                R"({"tagPath":{"name":"PatientID"},"value":"TEST ID"},)"
                                R"({"tagPath":{"tag":1048624},"value":"19601010"}])";

/// The values of one attribute over the node's patients.
std::multiset<std::string> patient_names(const running_node& n) {
  std::multiset<std::string> out;
  auto doc = parse_json(n.admin("GET", "/api/metadata/patients?count=100000").body);
  for (const auto& p : doc.GetArray()) out.insert(p["patientName"]["value"].GetString());
  return out;
}

/// How many series the node has.
std::size_t series_count(const running_node& n) {
  std::set<std::int64_t> ids;
  for (const auto& i : all_images(n).GetArray()) ids.insert(i["seriesId"].GetInt64());
  return ids.size();
}

/// True once the newest incoming transaction has received `total` images and FINISHED.
bool received_all(const running_node& n, std::int64_t total) {
  auto t = first_of(n, "/api/boxes/incoming");
  return t.IsObject() && t["receivedImageCount"].GetInt64() == total &&
         std::string(t["status"].GetString()) == "FINISHED";
}

}  // namespace

TEMPLATE_TEST_CASE("images go both ways, anonymized with the request's tag values",
                   "[federation][integration]", sqlite_backend, postgres_backend) {
  running_node pub{TestType::value, fast_boxes};
  running_node hidden{TestType::value, fast_boxes};
  auto pair = connect_pair(pub, hidden);

  // Push: the hidden node sends to the public one.
  auto pushed = upload_image(hidden, f1_in("Bob", "st1", "se1", "so1"));
  send_images(hidden, pair.push_box, {pushed}, test_values);
  REQUIRE(eventually([&] { return outgoing_is(hidden, "FINISHED"); }));
  REQUIRE(eventually([&] { return received_all(pub, 1); }));
  CHECK(patient_names(pub) == std::multiset<std::string>{"TEST NAME"});
  auto incoming = first_of(pub, "/api/boxes/incoming");
  CHECK(std::string(incoming["boxName"].GetString()) == "hidden");
  CHECK(incoming["addedImageCount"].GetInt64() == 1);
  auto sent = first_of(hidden, "/api/boxes/outgoing");
  CHECK(sent["sentImageCount"].GetInt64() == 1);
  CHECK(sent["lastContact"].GetInt64() > 0);
  // The image's source is the box.
  auto images = all_images(pub);
  REQUIRE(images.Size() == 1);
  auto source =
      parse_json(pub.admin("GET", "/api/metadata/series/" +
                                      std::to_string(images[0]["seriesId"].GetInt64()) + "/source")
                     .body);
  CHECK(std::string(source["sourceType"].GetString()) == "box");
  CHECK(source["sourceId"].GetInt64() == pair.poll_box);

  // Poll: the public node queues for the hidden one, which fetches.
  auto polled = upload_image(pub, f1_in("Carol", "st2", "se2", "so2"));
  // (Other pseudonyms than the push's: the hidden node would restore Bob's identity otherwise.)
  send_images(pub, pair.poll_box, {polled},
              R"([{"tagPath":{"tag":1048592},"value":"POLL NAME"},)"
              R"({"tagPath":{"name":"PatientID"},"value":"POLL ID"}])");
  REQUIRE(eventually([&] { return outgoing_is(pub, "FINISHED"); }));
  REQUIRE(eventually([&] { return received_all(hidden, 1); }));
  CHECK(patient_names(hidden) == std::multiset<std::string>{"Bob", "POLL NAME"});

  // Both sides show the other online; the log tells the story.
  REQUIRE(eventually([&] { return first_of(hidden, "/api/boxes")["online"].GetBool(); }));
  REQUIRE(eventually([&] { return first_of(pub, "/api/boxes")["online"].GetBool(); }));
  CHECK(hidden.admin("GET", "/api/log").body.find("Finished sending 1 images to box public") !=
        std::string::npos);
  CHECK(pub.admin("GET", "/api/log").body.find("Finished sending 1 images to box hidden") !=
        std::string::npos);
}

TEMPLATE_TEST_CASE("a round trip files images back under their original identities",
                   "[federation][integration]", sqlite_backend, postgres_backend) {
  running_node pub{TestType::value, fast_boxes};
  running_node hidden{TestType::value, fast_boxes};
  auto pair = connect_pair(pub, hidden);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(
        upload_image(pub, f1_in("Alice", "st1", i < 2 ? "se1" : "se2", "so" + std::to_string(i))));
  const auto patients_before = pub.admin("GET", "/api/metadata/patients").body;
  const auto series_before = series_count(pub);

  // Out (poll), anonymized: the hidden node sees no real identity.
  send_images(pub, pair.poll_box, ids);
  REQUIRE(eventually([&] { return received_all(hidden, 3); }));
  auto names = patient_names(hidden);
  REQUIRE(names.size() == 1);
  CHECK(names.count("Alice") == 0);
  CHECK(series_count(hidden) == 2);

  // Back (push): the public node restores the identities and overwrites its originals.
  std::vector<std::string> back;
  auto images = all_images(hidden);
  for (const auto& i : images.GetArray()) back.push_back(std::to_string(i["id"].GetInt64()));
  REQUIRE(back.size() == 3);
  send_images(hidden, pair.push_box, back);
  REQUIRE(eventually([&] { return outgoing_is(hidden, "FINISHED"); }));
  REQUIRE(eventually([&] { return received_all(pub, 3); }));
  auto incoming = first_of(pub, "/api/boxes/incoming");
  CHECK(incoming["addedImageCount"].GetInt64() == 0);  // all landed on the originals
  CHECK(patient_names(pub) == std::multiset<std::string>{"Alice"});
  CHECK(series_count(pub) == series_before);
  CHECK(image_count(pub) == 3);
  CHECK(pub.admin("GET", "/api/metadata/patients").body.find("Alice") != std::string::npos);
  (void)patients_before;
}

TEMPLATE_TEST_CASE("many images each way at once arrive exactly once", "[federation][integration]",
                   sqlite_backend, postgres_backend) {
  const int count =
      std::getenv("SBX_FEDERATION_IMAGES") ? std::atoi(std::getenv("SBX_FEDERATION_IMAGES")) : 200;
  running_node pub{TestType::value, fast_boxes};
  running_node hidden{TestType::value, fast_boxes};
  auto pair = connect_pair(pub, hidden);
  std::vector<std::string> up, down;
  for (int i = 0; i < count; ++i) {
    const auto n = std::to_string(i);
    up.push_back(
        upload_image(hidden, small_f1_in("Up" + std::to_string(i % 7), "u" + std::to_string(i % 13),
                                         "us" + n, "ui" + n)));
    down.push_back(
        upload_image(pub, small_f1_in("Down" + std::to_string(i % 7), "d" + std::to_string(i % 13),
                                      "ds" + n, "di" + n)));
  }
  send_images(hidden, pair.push_box, up);
  send_images(pub, pair.poll_box, down);
  auto deadline = std::chrono::seconds{60 + count / 5};
  REQUIRE(eventually(deadline, [&] { return received_all(pub, count); }));
  REQUIRE(eventually(deadline, [&] { return received_all(hidden, count); }));
  REQUIRE(
      eventually([&] { return outgoing_is(hidden, "FINISHED") && outgoing_is(pub, "FINISHED"); }));
  for (const auto* n : {&pub, &hidden}) {
    auto t = first_of(*n, "/api/boxes/incoming");
    CHECK(t["addedImageCount"].GetInt64() == count);
    CHECK(image_count(*n) == static_cast<std::size_t>(2 * count));
  }
}

TEST_CASE("a remote box with an untrusted TLS certificate is refused",
          "[federation][integration]") {
  scratch_dir dir;
  auto pki = make_test_pki(dir.path());
  const std::string uuid = "5c0e9a4e-8a0b-4a55-9a43-1c1a7b3c2f10";
  std::atomic<int> polls{0};
  scripted_http_server remote(
      [&](const server_request&) {
        ++polls;
        scripted_reply reply;
        reply.status = 404;
        reply.body = "nothing";
        return reply;
      },
      tls_identity{pki.server_certificate, pki.server_key});
  const auto url = remote.url("/api/transactions/" + uuid);

  running_node untrusting{sqlite_backend::value, fast_boxes};
  connect_box(untrusting, "remote", url);
  REQUIRE(eventually([&] {
    return untrusting.admin("GET", "/api/log")
               .body.find("Connection to box remote (poll) failed") != std::string::npos;
  }));
  CHECK(polls == 0);
  CHECK_FALSE(first_of(untrusting, "/api/boxes")["online"].GetBool());

  // Trusting the remote's CA, the same remote is polled and shows online.
  running_node trusting{sqlite_backend::value, [&](sbx::app::config& c) {
                          fast_boxes(c);
                          c.box_ca_file = pki.ca_certificate.string();
                        }};
  connect_box(trusting, "remote", url);
  REQUIRE(eventually([&] { return first_of(trusting, "/api/boxes")["online"].GetBool(); }));
  CHECK(polls > 0);
}

namespace {

bool all_received(const running_node& n, std::int64_t total) {
  auto doc = parse_json(n.admin("GET", "/api/boxes/incoming?count=1000").body);
  std::int64_t received = 0;
  for (const auto& t : doc.GetArray()) received += t["receivedImageCount"].GetInt64();
  return received == total;
}

/// How often the node's log mentions `text`.
std::size_t mentions(const running_node& n, const std::string& text) {
  const auto log = n.admin("GET", "/api/log?count=100000").body;
  std::size_t count = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
  return count;
}

bool all_finished(const running_node& n) {
  auto doc = parse_json(n.admin("GET", "/api/boxes/outgoing?count=1000").body);
  for (const auto& t : doc.GetArray())
    if (std::string(t["status"].GetString()) != "FINISHED") return false;
  return true;
}

}  // namespace

TEMPLATE_TEST_CASE("a cut link heals and every image arrives exactly once",
                   "[federation][integration]", sqlite_backend, postgres_backend) {
  running_node pub{TestType::value, fast_boxes};
  running_node hidden{TestType::value, fast_boxes};
  fault_proxy proxy{pub.port()};
  auto poll = create_connection(pub, "hidden");
  auto push = connect_box(hidden, "public",
                          proxy.url("/api/transactions/" + std::string(poll["token"].GetString())));
  const auto poll_box = poll["id"].GetInt64();
  const auto push_box = push["id"].GetInt64();

  int sent = 0, round = 0;
  auto send_round = [&](int images) {
    std::vector<std::string> up, down;
    for (int i = 0; i < images; ++i) {
      const auto n = std::to_string(round) + "-" + std::to_string(i);
      up.push_back(upload_image(hidden, f1_in("Up", "u" + n, "us" + n, "ui" + n)));
      down.push_back(upload_image(pub, f1_in("Down", "d" + n, "ds" + n, "di" + n)));
    }
    ++round;
    send_images(hidden, push_box, up);
    send_images(pub, poll_box, down);
    sent += images;
  };
  auto heals = [&] {
    proxy.heal();
    REQUIRE(eventually(std::chrono::seconds{60},
                       [&] { return all_received(pub, sent) && all_received(hidden, sent); }));
    REQUIRE(eventually([&] { return all_finished(pub) && all_finished(hidden); }));
  };

  // Refused: nothing moves, the box shows offline, the log says why.
  proxy.refuse();
  send_round(5);
  REQUIRE(eventually([&] {
    return hidden.admin("GET", "/api/log").body.find("Connection to box public") !=
           std::string::npos;
  }));
  REQUIRE(eventually([&] { return !first_of(hidden, "/api/boxes")["online"].GetBool(); }));
  CHECK(image_count(pub) == 5);
  heals();

  // Reset in the middle of an upload (push) and of a download (poll, fetch).
  proxy.reset_upload_after(40000);
  send_round(5);
  REQUIRE(eventually([&] { return proxy.resets() > 0; }));
  heals();
  const auto resets = proxy.resets();
  proxy.reset_download_after(40000);
  send_round(5);
  REQUIRE(eventually([&] { return proxy.resets() > resets; }));
  heals();

  // Stalled: the stall timeout cuts the exchange; it is tried again once the link moves.
  auto failures = [&] {
    return mentions(hidden, "public (push) failed") + mentions(hidden, "public (poll) failed");
  };
  const auto before = failures();
  proxy.stall();
  send_round(5);
  REQUIRE(eventually([&] { return failures() > before; }));
  heals();

  // Exactly once: every sent image is stored once on the other side (plus the local ones).
  CHECK(image_count(pub) == static_cast<std::size_t>(2 * sent));
  CHECK(image_count(hidden) == static_cast<std::size_t>(2 * sent));
  auto outgoing = parse_json(hidden.admin("GET", "/api/boxes/outgoing?count=100").body);
  for (const auto& t : outgoing.GetArray()) CHECK(t["skippedImageCount"].GetInt64() == 0);
}
