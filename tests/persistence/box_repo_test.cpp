// SPDX-License-Identifier: Apache-2.0
#include "persistence/box_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;

namespace {

sbx::proto::box make_box(const std::string& name, const std::string& method,
                         const std::string& token) {
  sbx::proto::box b;
  b.name = name;
  b.token = token;
  b.base_url = "http://remote/api/transactions/" + token;
  b.send_method = method;
  b.default_profile = {{"BASIC_PROFILE", {}, {}, 0}, {"RETAIN_UIDS", {}, {}, 0}};
  return b;
}

std::vector<outgoing_request_image> images(std::initializer_list<std::int64_t> ids) {
  std::vector<outgoing_request_image> out;
  for (auto id : ids) out.push_back({id, {{"PatientName", "Anon " + std::to_string(id)}}});
  return out;
}

std::int64_t count_rows(database& db, const std::string& table) {
  return db.exec("SELECT COUNT(*) FROM " + table).rows.at(0).int64(0);
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: boxes are inserted, found by name and POLL token, removed",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  auto poll = repo.insert(make_box("hospital", "POLL", "11111111-1111-4111-8111-111111111111"));
  auto push = repo.insert(make_box("uni", "PUSH", "22222222-2222-4222-8222-222222222222"));
  CHECK(push.id > poll.id);
  CHECK_THROWS_AS(repo.insert(make_box("uni", "PUSH", "x")), database_error);

  auto found = repo.by_name("hospital");
  REQUIRE(found);
  REQUIRE(found->default_profile.size() == 2);
  CHECK(found->default_profile[1].name == "RETAIN_UIDS");
  CHECK(repo.poll_box_by_token(poll.token)->id == poll.id);
  CHECK_FALSE(repo.poll_box_by_token(push.token));  // PUSH boxes are not served by token

  repo.set_online(push.id, true);
  CHECK(repo.by_id(push.id)->online);
  CHECK(repo.list(0, 20).size() == 2);
  CHECK(repo.list(0, 1).size() == 1);
  CHECK(repo.remove(poll.id));
  CHECK_FALSE(repo.remove(poll.id));
  CHECK(repo.list(0, 20).size() == 1);
}

TEMPLATE_TEST_CASE("persistence: outgoing transactions count each image once and finish once",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  auto b = repo.insert(make_box("uni", "PUSH", "t"));
  auto older = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({15, 14}), 1000);
  auto newer = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({12, 11, 10}), 2000);
  CHECK(count_rows(scratch.db(), "outgoing_tag_values") == 5);

  // Oldest transaction first, then by sequence number.
  auto next = repo.pending(b.id, 10, 5000);
  REQUIRE(next.size() == 5);
  CHECK(next[0].transaction.id == older.id);
  CHECK(next[0].image.sequence_number == 1);
  CHECK(next[0].image.image_id == 15);
  CHECK(next[2].transaction.id == newer.id);
  CHECK(repo.pending(b.id, 2, 5000).size() == 2);
  CHECK(repo.tag_values(next[0].image.id).at(0).second == "Anon 15");

  // A repeated acknowledgement counts once; finishing happens once.
  CHECK(repo.mark_sent(older.id, next[0].image.id, 3000));
  CHECK_FALSE(repo.mark_sent(older.id, next[0].image.id, 3001));
  CHECK_FALSE(repo.mark_sent(newer.id, next[1].image.id, 3001));  // not of that transaction
  auto t = repo.outgoing_by_id(older.id);
  CHECK(t->sent_image_count == 1);
  CHECK(t->status == "PROCESSING");
  CHECK_FALSE(repo.finish_if_complete(older.id, 3002));
  CHECK(repo.mark_sent(older.id, next[1].image.id, 3003));
  CHECK(repo.finish_if_complete(older.id, 3004));
  CHECK_FALSE(repo.finish_if_complete(older.id, 3005));
  CHECK(repo.outgoing_by_id(older.id)->status == "FINISHED");
  CHECK(repo.sent_image_ids(older.id) == std::vector<std::int64_t>{15, 14});

  // Failures back off, then skip; a skipped image lets the transaction finish.
  auto f = repo.record_failure(newer.id, next[2].image.id, "remote said 500", 5000, 60000, 2, 4000);
  CHECK_FALSE(f.skipped);
  CHECK(repo.pending(b.id, 10, 5000).size() == 2);  // backing off until 9000
  CHECK(repo.pending(b.id, 10, 9000).size() == 3);
  f = repo.record_failure(newer.id, next[2].image.id, "remote said 500", 5000, 60000, 2, 4100);
  CHECK(f.skipped);
  CHECK(f.attempts == 2);
  t = repo.outgoing_by_id(newer.id);
  CHECK(t->skipped_image_count == 1);
  CHECK(t->last_error == "remote said 500");
  CHECK(repo.mark_sent(newer.id, next[3].image.id, 4200));
  CHECK(repo.mark_sent(newer.id, next[4].image.id, 4300));
  CHECK(repo.finish_if_complete(newer.id, 4400));
  CHECK(repo.pending(b.id, 10, 99999).empty());
}

TEMPLATE_TEST_CASE("persistence: a batch of acknowledgements counts each image once",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  auto b = repo.insert(make_box("uni", "PUSH", "t"));
  auto first = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({1, 2}), 1000);
  auto second = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({3}), 2000);
  auto next = repo.pending(b.id, 10, 5000);
  REQUIRE(next.size() == 3);
  CHECK(repo.mark_sent({}, 3000).empty());
  // Both transactions changed, each named once; a pair of the wrong transaction changes nothing.
  CHECK(repo.mark_sent({{first.id, next[0].image.id},
                        {second.id, next[2].image.id},
                        {first.id, next[1].image.id},
                        {second.id, next[0].image.id}},
                       3000) == std::vector<std::int64_t>{first.id, second.id});
  CHECK(repo.outgoing_by_id(first.id)->sent_image_count == 2);
  CHECK(repo.outgoing_by_id(second.id)->sent_image_count == 1);
  // Sent again: nothing changes.
  CHECK(repo.mark_sent({{first.id, next[0].image.id}}, 3100).empty());
  CHECK(repo.finish_if_complete(first.id, 3200));
  CHECK(repo.finish_if_complete(second.id, 3200));
}

TEMPLATE_TEST_CASE("persistence: a FAILED outgoing transaction is never revived", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  auto b = repo.insert(make_box("hospital", "POLL", "t"));
  auto other = repo.insert(make_box("other", "POLL", "u"));
  auto t = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({1}), 1000);
  auto rows = repo.outgoing_images(t.id);
  CHECK_FALSE(repo.fail_outgoing(other.id, t.id, "not yours", 1100));  // another box's
  CHECK(repo.fail_outgoing(b.id, t.id, "given up", 1200));
  CHECK(repo.pending(b.id, 10, 5000).empty());
  // A late "done" is recorded but does not change the status.
  repo.mark_sent(t.id, rows.at(0).id, 1300);
  CHECK_FALSE(repo.finish_if_complete(t.id, 1400));
  CHECK(repo.outgoing_by_id(t.id)->status == "FAILED");
  CHECK(repo.outgoing_by_id(t.id)->last_error == "given up");
  // Empty transactions never finish (as in Slicebox 2.1.1).
  auto empty = repo.insert_outgoing(b, {"BASIC_PROFILE"}, {}, 1500);
  CHECK_FALSE(repo.finish_if_complete(empty.id, 1600));

  CHECK(repo.remove_outgoing(t.id));
  CHECK(count_rows(scratch.db(), "outgoing_images") == 0);
  CHECK(count_rows(scratch.db(), "outgoing_tag_values") == 0);
}

TEMPLATE_TEST_CASE("persistence: incoming deliveries are counted once per sequence number",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  incoming_delivery d{7, "hospital", 123, 1, 2, 500, true, ""};
  auto t = repo.record_incoming(d, 1000);
  CHECK(t.received_image_count == 1);
  CHECK(t.added_image_count == 1);
  CHECK(t.status == "PROCESSING");
  // A re-delivery of the same image (an overwrite) is not counted again.
  d.added = false;
  t = repo.record_incoming(d, 1100);
  CHECK(t.received_image_count == 1);
  CHECK(t.added_image_count == 1);
  // A rejected delivery counts as received, without an image; its reason is kept.
  incoming_delivery rejected{7, "hospital", 123, 2, 3, std::nullopt, false, "not DICOM"};
  t = repo.record_incoming(rejected, 1200);
  CHECK(t.received_image_count == 2);
  CHECK(t.added_image_count == 1);
  CHECK(t.total_image_count == 3);
  CHECK(t.last_error == "not DICOM");
  CHECK(repo.incoming_image_ids(t.id) == std::vector<std::int64_t>{500});
  incoming_delivery third{7, "hospital", 123, 3, 3, 501, false, ""};
  t = repo.record_incoming(third, 1300);
  CHECK(t.status == "FINISHED");
  CHECK(t.added_image_count == 1);

  CHECK(repo.incoming_of(7, 123)->id == t.id);
  CHECK_FALSE(repo.incoming_of(8, 123));
  CHECK(repo.set_incoming_status(7, 123, "FAILED", 1400));
  CHECK_FALSE(repo.set_incoming_status(7, 999, "FAILED", 1400));
  // A late image does not revive a FAILED transaction.
  t = repo.record_incoming(third, 1500);
  CHECK(t.status == "FAILED");
  CHECK(repo.list_incoming(0, 20).size() == 1);

  // Deleted images lose their rows on both sides.
  auto b = repo.insert(make_box("uni", "PUSH", "t"));
  auto out = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({500, 600}), 1000);
  CHECK(repo.remove_images({500}, 1600) == std::vector<std::int64_t>{out.id});
  CHECK(repo.incoming_image_ids(t.id) == std::vector<std::int64_t>{501});
  // The deleted image is skipped: the rest of its transaction can still finish.
  CHECK(repo.pending(b.id, 10, 2000).size() == 1);
  CHECK(repo.outgoing_by_id(out.id)->skipped_image_count == 1);
  CHECK(repo.mark_sent(out.id, repo.pending(b.id, 10, 2000).at(0).image.id, 1700));
  CHECK(repo.finish_if_complete(out.id, 1800));
  CHECK(repo.remove_images({600}, 1900).empty());   // sent: only its row goes
  CHECK(repo.outgoing_images(out.id).size() == 1);  // the skipped one stays

  CHECK(repo.remove_incoming(t.id));
  CHECK(count_rows(scratch.db(), "incoming_images") == 0);
}

TEMPLATE_TEST_CASE("persistence: stale PROCESSING transactions fall back to WAITING",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  box_repo repo(scratch.db());
  auto b = repo.insert(make_box("uni", "PUSH", "t"));
  auto out = repo.insert_outgoing(b, {"BASIC_PROFILE"}, images({1, 2}), 1000);
  repo.mark_sent(out.id, repo.outgoing_images(out.id).at(0).id, 2000);
  repo.record_incoming({7, "hospital", 5, 1, 2, 9, true, ""}, 2000);
  CHECK(repo.reset_stale(1500) == 0);
  CHECK(repo.reset_stale(2500) == 2);
  CHECK(repo.outgoing_by_id(out.id)->status == "WAITING");
  CHECK(repo.incoming_of(7, 5)->status == "WAITING");
}
