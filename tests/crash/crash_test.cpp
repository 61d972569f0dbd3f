// SPDX-License-Identifier: Apache-2.0
// The node, run as the slicebox binary, SIGKILLed at a random moment while it ingests (REST with
// 8 clients, C-STORE), deletes in bulk, anonymizes and modifies in place, and imports a watched
// folder that deletes what it imported. After every restart: each acknowledged image is there
// once and byte for byte, every row has its file and every stored file its row, and a watched
// file is gone only if its image is stored (docs/operations.md, "Durability and the start-up
// sweep").
//
// Rounds per scenario: SBX_TEST_CRASH_ROUNDS (default 2; tests/bench/crash.sh runs 20). The
// random moments come from SBX_TEST_CRASH_SEED when set (the seed is printed on failure).
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/json_view.hpp"
#include "support/background.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/node_site.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

int rounds() {
  const char* v = std::getenv("SBX_TEST_CRASH_ROUNDS");
  return v && std::atoi(v) > 0 ? std::atoi(v) : 2;
}

std::uint32_t seed() {
  static const std::uint32_t s = [] {
    const char* v = std::getenv("SBX_TEST_CRASH_SEED");
    return v ? static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10)) : std::random_device{}();
  }();
  return s;
}

/// A random whole number in [low, high].
int between(std::mt19937& g, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(g);
}

/// A node on a data folder and a database that outlive its processes, and what a crash may
/// break in them.
class crash_site : public lone_node {
 public:
  explicit crash_site(sbx::persistence::backend b, std::vector<std::string> extra = {})
      : lone_node(SBX_BINARY, b, quiet(std::move(extra))) {}

  /// Uploads one file; its id if the node acknowledged it (201), -1 otherwise (also when the
  /// node is gone).
  std::int64_t try_upload(const std::string& bytes) const {
    try {
      auto r = upload(bytes);
      return r.status == 201 ? parse_json(r.body)["id"].GetInt64() : -1;
    } catch (const std::exception&) {
      return -1;
    }
  }

  /// Every stored image: SOP instance UID → id (the last id of a UID listed twice).
  std::map<std::string, std::int64_t> images() const {
    auto r = admin("POST", "/api/metadata/images/query",
                   R"({"startIndex":0,"count":1000000,"queryProperties":[]})");
    REQUIRE(r.status == 200);
    std::map<std::string, std::int64_t> out;
    auto list = parse_json(r.body);
    for (const auto& image : list.GetArray())
      out[image["sopInstanceUID"]["value"].GetString()] = image["id"].GetInt64();
    return out;
  }

  /// Every stored image: SOP instance UID → id. Checks on the way that no UID is stored twice,
  /// that every image's file can be read, and that the store holds one file per image.
  std::map<std::string, std::int64_t> check_consistent() const {
    auto r = admin("POST", "/api/metadata/images/query",
                   R"({"startIndex":0,"count":1000000,"queryProperties":[]})");
    REQUIRE(r.status == 200);
    auto list = parse_json(r.body);
    std::map<std::string, std::int64_t> out;
    duplicated_ = 0;
    for (const auto& image : list.GetArray()) {
      const std::string uid = image["sopInstanceUID"]["value"].GetString();
      const auto id = image["id"].GetInt64();
      INFO("SOP instance UID " << uid);
      if (!out.emplace(uid, id).second) ++duplicated_;
      CHECK(admin("GET", "/api/images/" + std::to_string(id)).status == 200);  // its file
    }
    CHECK(duplicated_ == 0);
    CHECK(files_under("images") == list.Size());  // no file without its row
    return out;
  }

  /// How many images the last check_consistent found stored twice.
  std::size_t duplicated() const { return duplicated_; }

 private:
  static std::vector<std::string> quiet(std::vector<std::string> extra) {
    extra.insert(extra.begin(), "SBX_LOG_LEVEL=warn");
    return extra;
  }

  mutable std::size_t duplicated_ = 0;
};

/// A distinct small image (no pixel data): number `n` of a test.
struct numbered_image {
  std::string uid;  ///< its SOP instance UID
  std::string bytes;
};
numbered_image image_number(const std::string& test, int n) {
  const auto uid = test + ".so" + std::to_string(n);
  return {uid, small_f1_in("P" + std::to_string(n % 7), test + ".st" + std::to_string(n % 11),
                           test + ".se" + std::to_string(n % 23), uid)};
}

/// The moment of a crash: a random time from now. Nothing is awaited here; the node is killed
/// wherever it is in its work when the time is up.
void random_moment(std::mt19937& g, int low_ms, int high_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(between(g, low_ms, high_ms)));
}

/// What the node acknowledged: SOP instance UID → the bytes it was sent.
using acknowledged = std::map<std::string, std::string>;

/// Checks that every acknowledged image is stored, with the bytes it was sent when
/// `compare_bytes` (not after C-STORE: storescu re-encodes what it reads, e.g. drops group
/// lengths, so the node stores other bytes than the file's); returns how many are not (lost, or
/// changed).
std::size_t check_acknowledged(const crash_site& site, const acknowledged& acked,
                               const std::map<std::string, std::int64_t>& stored,
                               bool compare_bytes = true) {
  std::size_t lost = 0;
  for (const auto& [uid, bytes] : acked) {
    INFO("acknowledged " << uid);
    auto it = stored.find(uid);
    bool whole = false;
    if (it != stored.end()) {
      auto got = site.admin("GET", "/api/images/" + std::to_string(it->second)).body;
      whole = compare_bytes ? got == bytes : !got.empty();
    }
    CHECK(whole);
    if (!whole) ++lost;
  }
  return lost;
}

/// Appends a round's figures to the file SBX_TEST_CRASH_REPORT names, if any
/// (tests/bench/crash.sh sums them): scenario, backend, images acknowledged (or at stake),
/// lost, duplicated.
void tally(const std::string& scenario, const char* backend, std::size_t at_stake, std::size_t lost,
           std::size_t duplicated) {
  const char* path = std::getenv("SBX_TEST_CRASH_REPORT");
  if (!path) return;
  static std::mutex m;
  std::lock_guard lock{m};
  std::ofstream out(path, std::ios::app);
  out << scenario << '\t' << backend << '\t' << at_stake << '\t' << lost << '\t' << duplicated
      << '\n';
}

/// Uploads every image of `images` once, 8 at a time; the ones acknowledged.
acknowledged upload_all(const crash_site& site, const std::vector<numbered_image>& images) {
  acknowledged acked;
  std::mutex m;
  std::atomic<std::size_t> next{0};
  {
    std::deque<background_task<void>> clients;
    for (int c = 0; c < 8; ++c)
      clients.emplace_back([&] {
        for (auto i = next++; i < images.size(); i = next++)
          if (site.try_upload(images[i].bytes) >= 0) {
            std::lock_guard lock{m};
            acked.emplace(images[i].uid, images[i].bytes);
          }
      });
  }
  return acked;
}

/// One round of an ingest scenario: `senders` threads each take the next number of `test` (from
/// `next`), record the image in `sent` and send it with `send`, which returns true when the node
/// acknowledged it, until the node is SIGKILLed once `kill_after` images are acknowledged. Only
/// acknowledgements that came before the kill are added to `acked`.
void kill_during_ingest(crash_site& site, const std::string& test, int senders, int kill_after,
                        int& next, std::set<std::string>& sent, acknowledged& acked,
                        const std::function<bool(int, const numbered_image&)>& send) {
  std::atomic<int> acks{0};
  std::atomic<bool> dead{false};
  std::mutex m;
  std::deque<background_task<void>> threads;
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&](std::stop_token stop) {
      while (!dead && !stop.stop_requested()) {
        int k = 0;
        {
          std::lock_guard lock{m};
          k = next++;
        }
        auto image = image_number(test, k);
        {
          std::lock_guard lock{m};
          sent.insert(image.uid);
        }
        if (!send(k, image)) continue;
        std::lock_guard lock{m};
        if (!dead) acked.emplace(image.uid, image.bytes);
        ++acks;
      }
    });
  REQUIRE(eventually(60s, [&] { return acks >= kill_after; }));
  std::lock_guard lock{m};  // no acknowledgement is recorded after this point
  site.kill();
  dead = true;
}

}  // namespace

TEMPLATE_TEST_CASE("crash: a node killed during 8-client REST ingest loses no acknowledged image",
                   "[crash]", sqlite_backend, postgres_backend) {
  std::mt19937 g{seed()};
  INFO("SBX_TEST_CRASH_SEED=" << seed());
  crash_site site{TestType::value};
  acknowledged acked;
  std::set<std::string> sent;
  int n = 0;
  for (int round = 0; round < rounds(); ++round) {
    site.start();
    // 8 clients upload new images until the node dies, which happens after a random number of
    // acknowledgements.
    kill_during_ingest(
        site, "rest", 8, between(g, 5, 120), n, sent, acked,
        [&](int, const numbered_image& image) { return site.try_upload(image.bytes) >= 0; });
    site.start();
    auto stored = site.check_consistent();
    const auto lost = check_acknowledged(site, acked, stored);
    for (const auto& [uid, id] : stored) CHECK(sent.count(uid) == 1);  // nothing invented
    tally("rest-ingest-8", TestType::name, acked.size(), lost, site.duplicated());
    site.kill();
  }
}

TEMPLATE_TEST_CASE("crash: a node killed during C-STORE ingest loses no acknowledged image",
                   "[crash]", sqlite_backend, postgres_backend) {
  require_tool("storescu");
  std::mt19937 g{seed()};
  INFO("SBX_TEST_CRASH_SEED=" << seed());
  crash_site site{TestType::value};
  scratch_dir files;
  const auto scp_port = free_port();
  acknowledged acked;
  std::set<std::string> sent;
  int n = 0;
  for (int round = 0; round < rounds(); ++round) {
    site.start();
    if (round == 0)
      REQUIRE(site.admin("POST", "/api/scps",
                         R"({"id":-1,"name":"crash","aeTitle":"CRASH","port":)" +
                             std::to_string(scp_port) + "}")
                  .status == 201);
    REQUIRE(eventually(20s, [&] { return echo_succeeds(scp_port, "CRASH"); }));
    // Two senders, each storing one file per association; storescu's exit status 0 is the
    // acknowledgement.
    kill_during_ingest(site, "cstore", 2, between(g, 3, 40), n, sent, acked,
                       [&](int k, const numbered_image& image) {
                         const auto file = files / ("f" + std::to_string(k) + ".dcm");
                         write_bytes(file, image.bytes);
                         return run_command("storescu -aec CRASH 127.0.0.1 " +
                                                std::to_string(scp_port) + " " + file.string(),
                                            std::chrono::seconds{60})
                                    .first == 0;
                       });
    site.start();
    const auto lost = check_acknowledged(site, acked, site.check_consistent(), false);
    tally("c-store", TestType::name, acked.size(), lost, site.duplicated());
    site.kill();
  }
}

TEMPLATE_TEST_CASE("crash: a node killed during a bulk deletion keeps each image whole or gone",
                   "[crash]", sqlite_backend, postgres_backend) {
  std::mt19937 g{seed()};
  INFO("SBX_TEST_CRASH_SEED=" << seed());
  crash_site site{TestType::value};
  site.start();
  std::vector<numbered_image> images;
  for (int i = 0; i < 300; ++i) images.push_back(image_number("delete", i));
  auto acked = upload_all(site, images);
  REQUIRE(acked.size() == images.size());
  for (int round = 0; round < rounds(); ++round) {
    auto stored = site.check_consistent();
    std::string ids;
    for (const auto& [uid, id] : stored) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    // The deletion is asked on another thread; the node dies a random moment later.
    std::atomic<int> status{0};
    {
      background_task<void> deleting([&] {
        try {
          status = site.admin("POST", "/api/images/delete", "[" + ids + "]").status;
        } catch (const std::exception&) {
          status = -1;
        }
      });
      random_moment(g, 0, 150);
      site.kill();
    }
    site.start();
    auto after = site.check_consistent();
    if (status == 204) CHECK(after.empty());
    // What is left is whole: the bytes that were acknowledged.
    std::size_t damaged = 0;
    for (const auto& [uid, id] : after) {
      INFO(uid);
      REQUIRE(acked.count(uid) == 1);
      const bool whole =
          site.admin("GET", "/api/images/" + std::to_string(id)).body == acked.at(uid);
      CHECK(whole);
      if (!whole) ++damaged;
    }
    tally("bulk-delete", TestType::name, stored.size(), damaged, site.duplicated());
    // Put back what was deleted, for the next round.
    std::vector<numbered_image> missing;
    for (const auto& [uid, bytes] : acked)
      if (!after.count(uid)) missing.push_back({uid, bytes});
    CHECK(upload_all(site, missing).size() == missing.size());
  }
}

TEMPLATE_TEST_CASE(
    "crash: a node killed while it anonymizes and modifies in place keeps one version of each",
    "[crash]", sqlite_backend, postgres_backend) {
  std::mt19937 g{seed()};
  INFO("SBX_TEST_CRASH_SEED=" << seed());
  crash_site site{TestType::value};
  site.start();
  const int count = 120;
  std::vector<numbered_image> images;
  for (int i = 0; i < count; ++i) images.push_back(image_number("anon", i));
  REQUIRE(upload_all(site, images).size() == images.size());
  for (int round = 0; round < rounds(); ++round) {
    auto stored = site.check_consistent();
    REQUIRE(stored.size() == static_cast<std::size_t>(count));
    std::vector<std::int64_t> ids;
    for (const auto& [uid, id] : stored) ids.push_back(id);
    // One thread anonymizes every image in place in one request, another modifies images one
    // by one; the node dies a random moment later.
    std::string set;
    for (const auto id : ids)
      set += (set.empty() ? "" : ",") + std::string(R"({"imageId":)") + std::to_string(id) +
             R"(,"tagValues":[]})";
    {
      background_task<void> anonymizing([&] {
        try {
          site.admin("POST", "/api/anonymization/anonymize",
                     R"({"profile":{"options":[]},"imageTagValuesSet":[)" + set + "]}");
        } catch (const std::exception&) {
        }
      });
      background_task<void> modifying([&](std::stop_token stop) {
        for (auto it = ids.rbegin(); it != ids.rend() && !stop.stop_requested(); ++it) try {
            site.admin("PUT", "/api/images/" + std::to_string(*it) + "/modify",
                       R"([{"tagPath":{"tag":1052688,"name":"PatientAge"},"value":"042Y"}])");
          } catch (const std::exception&) {
            return;
          }
      });
      random_moment(g, 20, 400);
      site.kill();
    }
    site.start();
    // Each image is there once: as it was, anonymized, or modified; never twice, never lost.
    const auto after = site.check_consistent().size();
    const auto expected = static_cast<std::size_t>(count);
    CHECK(after == expected);
    tally("anonymize+modify", TestType::name, expected, after < expected ? expected - after : 0,
          site.duplicated() + (after > expected ? after - expected : 0));
  }
}

TEMPLATE_TEST_CASE(
    "crash: a watched folder that deletes on import loses no file whose image is not stored",
    "[crash]", sqlite_backend, postgres_backend) {
  std::mt19937 g{seed()};
  INFO("SBX_TEST_CRASH_SEED=" << seed());
  crash_site site{TestType::value, {"SBX_DIRECTORY_WATCH_DELETE_ON_IMPORT=true"}};
  scratch_dir watched;
  site.start();
  REQUIRE(site.admin("POST", "/api/directorywatches",
                     R"({"id":-1,"name":"crash","path":")" + watched.path().string() + R"("})")
              .status == 201);
  std::map<std::string, std::string> placed;  // file name → SOP instance UID
  int n = 0;
  for (int round = 0; round < rounds(); ++round) {
    // Files land in the folder; the node dies while importing them.
    for (int i = 0; i < 150; ++i, ++n) {
      auto image = image_number("watch", n);
      const auto name = "f" + std::to_string(n) + ".dcm";
      write_bytes(watched / (name + ".part"), image.bytes);
      fs::rename(watched / (name + ".part"), watched / name);
      placed.emplace(name, image.uid);
    }
    random_moment(g, 0, 300);
    site.kill();
    // A file that is gone must have its image stored.
    std::set<std::string> gone;
    for (const auto& [name, uid] : placed)
      if (!fs::exists(watched / name)) gone.insert(uid);
    site.start();
    auto stored = site.images();  // the import goes on meanwhile
    for (const auto& uid : gone) {
      INFO("removed from the folder: " << uid);
      CHECK(stored.count(uid) == 1);
    }
    // After the restart the rest is imported, each once.
    REQUIRE(eventually(60s, [&] {
      return fs::is_empty(watched.path()) && site.images().size() == placed.size();
    }));
    std::size_t lost = 0;
    for (const auto& uid : gone)
      if (!stored.count(uid)) ++lost;
    CHECK(site.check_consistent().size() == placed.size());
    tally("watch-delete-on-import", TestType::name, gone.size(), lost, site.duplicated());
  }
  site.kill();
}
