// SPDX-License-Identifier: Apache-2.0
// What several nodes on one database share (docs/operations.md#running-a-cluster): the leader
// lock, change notifications, the SQLite file lock, export sets, the labeller's queue and the
// POLL boxes' last contact.
#include "persistence/cluster.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>

#include "persistence/box_repo.hpp"
#include "persistence/export_set_repo.hpp"
#include "persistence/series_type_repo.hpp"
#include "support/eventually.hpp"
#include "support/scratch_database.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::persistence;
using namespace std::chrono_literals;
using sbx::test::eventually;
using sbx::test::scratch_database;

namespace {

/// Series `n` (1, 2, ...) with one image `n`, in one patient and study.
void add_series(database& db, int n) {
  if (db.exec("SELECT 1 FROM patients").rows.empty()) {
    db.exec(
        "INSERT INTO patients (patient_name, patient_id, patient_birth_date, patient_sex) "
        "VALUES ('p', 'p', '', '')");
    db.exec(
        "INSERT INTO studies (patient_id, study_instance_uid, study_description, study_date, "
        "study_id, accession_number, patient_age) SELECT id, 'st', '', '', '', '', '' FROM "
        "patients");
  }
  const std::int64_t id = n;
  db.exec(
      "INSERT INTO series (id, study_id, series_instance_uid, series_description, "
      "series_date, modality, protocol_name, body_part_examined, manufacturer, station_name, "
      "frame_of_reference_uid) SELECT $1, id, $2, '', '', '', '', '', '', '', '' FROM studies",
      {id, "se" + std::to_string(n)});
  db.exec(
      "INSERT INTO images (id, series_id, sop_instance_uid, image_type, instance_number, "
      "storage_key) VALUES ($1, $1, $2, '', '', '')",
      {id, "so" + std::to_string(n)});
}

std::int64_t count(database& db, const std::string& table) {
  return db.exec("SELECT COUNT(*) FROM " + table).rows.at(0).int64(0);
}

}  // namespace

TEST_CASE("persistence: one node per SQLite file", "[persistence][cluster]") {
  sbx::test::scratch_dir dir;
  const auto file = dir.path() / "slicebox.db";
  std::optional<sqlite_file_lock> first(std::in_place, file);
  CHECK_THROWS_WITH(sqlite_file_lock(file),
                    Catch::Matchers::Contains("another node is already running on the SQLite "
                                              "database " +
                                              file.string()));
  first.reset();  // released with its descriptor
  CHECK_NOTHROW(sqlite_file_lock(file));
}

TEMPLATE_TEST_CASE("persistence: one leader lock holder at a time", "[persistence][cluster]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  std::optional<leader_lock> a(std::in_place, scratch.config());
  leader_lock b(scratch.config());
  CHECK(a->check());
  CHECK(a->check());  // still held
  if (TestType::value == backend::sqlite) {
    CHECK(b.check());  // one node: it always leads
    return;
  }
  CHECK_FALSE(b.check());
  CHECK(b.database_reachable());
  // The holder's connection ends (its process died): the server frees the lock.
  a.reset();
  CHECK(eventually(5s, [&] { return b.check(); }));
  CHECK(b.check());
  // Another schema of the same database has a leader of its own.
  scratch_database other(TestType::value);
  CHECK(leader_lock(other.config()).check());
}

TEST_CASE("persistence: a node that cannot reach PostgreSQL does not lead",
          "[persistence][cluster]") {
  // Nothing listens on port 1 of the loopback interface.
  leader_lock lock({"", "host=127.0.0.1 port=1 dbname=none connect_timeout=2"});
  CHECK_FALSE(lock.check());
  CHECK_FALSE(lock.database_reachable());
  change_listener listener("host=127.0.0.1 port=1 dbname=none connect_timeout=2");
  CHECK(listener.wait(10ms).empty());
}

TEST_CASE("persistence: a change notified on one connection reaches listeners of its schema only",
          "[persistence][cluster]") {
  scratch_database scratch(backend::postgres), other(backend::postgres);
  change_listener listener(scratch.config().postgres_url);
  // The first wait connects: everything may have changed meanwhile.
  CHECK(listener.wait(10ms) == std::vector<std::string>{topic::everything});
  notify_change(other.db(), topic::users);  // another schema: not ours
  scratch.db().begin();
  notify_change(scratch.db(), topic::tag_filters);
  notify_change(scratch.db(), topic::tag_filters);
  CHECK(listener.wait(50ms).empty());  // sent with the commit
  scratch.db().commit();
  std::vector<std::string> got;
  CHECK(eventually(5s, [&] {
    for (auto& t : listener.wait(100ms)) got.push_back(t);
    return !got.empty();
  }));
  CHECK(got == std::vector<std::string>{topic::tag_filters});  // once, and not the other schema's
}

TEMPLATE_TEST_CASE("persistence: export sets are kept until they expire", "[persistence][cluster]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  export_set_repo repo(scratch.db());
  const auto a = repo.insert({5, 3, 9}, 1000);
  const auto b = repo.insert({}, 2000);
  CHECK(a != b);
  CHECK(repo.images_of(a, 0) == std::vector<std::int64_t>{5, 3, 9});  // in the order given
  CHECK(repo.images_of(b, 0) == std::vector<std::int64_t>{});
  CHECK_FALSE(repo.images_of(a, 1000));  // created at the oldest moment allowed: expired
  CHECK_FALSE(repo.images_of(b + 1, 0));
  CHECK(repo.remove_created_before(1500) == 1);
  CHECK_FALSE(repo.images_of(a, 0));
  CHECK(count(scratch.db(), "export_set_images") == 0);  // with their sets
  CHECK(repo.images_of(b, 0));
}

TEMPLATE_TEST_CASE("persistence: the labeller's queue", "[persistence][cluster]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  series_type_repo repo(db);
  for (int n = 1; n <= 3; ++n) add_series(db, n);
  // No series types: nothing to label.
  repo.queue_series_of({1, 2});
  CHECK_FALSE(repo.any_pending());
  const auto type = repo.insert_type("t");
  repo.queue_series_of({1, 2, 2, 99});  // an image that does not exist is left out
  repo.queue_series_of({1});            // queued already
  auto pending = repo.pending(10);
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].second == 1);
  CHECK(pending[1].second == 2);
  // A rule change queues every series, also those waiting.
  repo.queue_all_series();
  CHECK(repo.pending(10).size() == 5);
  // Links and the removal of the rows taken are one transaction.
  repo.replace_links({1, 2}, {{1, type.id}}, {pending[0].first, pending[1].first});
  pending = repo.pending(10);
  CHECK(pending.size() == 3);
  CHECK(repo.types_of_series(1).size() == 1);
  repo.replace_links({}, {}, {pending[0].first, pending[1].first, pending[2].first});
  CHECK_FALSE(repo.any_pending());
}

TEMPLATE_TEST_CASE("persistence: POLL boxes are online while their remote keeps in touch",
                   "[persistence][cluster]", sbx::test::sqlite_backend,
                   sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  sbx::proto::box poll;
  poll.name = "remote";
  poll.token = "t1";
  poll.base_url = "http://x/api/transactions/t1";
  poll.send_method = sbx::proto::poll_method;
  poll = repo.insert(poll);
  CHECK_FALSE(repo.by_id(poll.id)->online);
  repo.touch(poll.id, 5000);  // polled through any node
  CHECK(repo.by_id(poll.id)->online);
  repo.mark_offline(5000);  // heard from at 5000: not before it
  CHECK(repo.by_id(poll.id)->online);
  repo.mark_offline(5001);
  CHECK_FALSE(repo.by_id(poll.id)->online);
}
