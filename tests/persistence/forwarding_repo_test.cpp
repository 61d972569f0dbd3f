// SPDX-License-Identifier: Apache-2.0
#include "persistence/forwarding_repo.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "persistence/box_repo.hpp"
#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::proto::batch_state;
using sbx::proto::forwarding_rule;
using sbx::test::scratch_database;

namespace {

forwarding_rule rule(const std::string& src_type, std::int64_t src_id, const std::string& dest_type,
                     std::int64_t dest_id, bool keep = true) {
  return {
      -1, {src_type, src_type + " name", src_id}, {dest_type, dest_type + " name", dest_id}, keep};
}

bool unique_violation(forwarding_repo& repo, const forwarding_rule& r) {
  try {
    repo.insert(r);
  } catch (const database_error& e) {
    return e.kind() == db_failure::unique_violation;
  }
  return false;
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: forwarding rules are unique by source and destination",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  forwarding_repo repo(scratch.db());

  auto a = repo.insert(rule("scp", 1, "scu", 2, false));
  CHECK(a.id > 0);
  auto stored = repo.by_id(a.id);
  REQUIRE(stored);
  CHECK(stored->src.name == "scp name");
  CHECK(stored->dest.type == "scu");
  CHECK_FALSE(stored->keep_images);
  CHECK(repo.find(rule("scp", 1, "scu", 2, true))->id == a.id);  // keepImages plays no part
  CHECK_FALSE(repo.find(rule("scp", 1, "scu", 3)));
  CHECK(unique_violation(repo, rule("scp", 1, "scu", 2)));

  auto b = repo.insert(rule("scp", 1, "box", 2));
  repo.insert(rule("user", 1, "scu", 2));
  CHECK(repo.list(0, 20).size() == 3);
  CHECK(repo.list(1, 1).front().id == b.id);
  CHECK(repo.list(0, -1).empty());
  CHECK(repo.of_source("scp", 1).size() == 2);
  CHECK(repo.of_source("scp", 2).empty());
  CHECK(repo.remove(a.id));
  CHECK_FALSE(repo.remove(a.id));
  CHECK_FALSE(repo.by_id(a.id));
}

TEMPLATE_TEST_CASE("persistence: forwarding batches collect, go out, are delivered and removed",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  forwarding_repo repo(scratch.db());
  auto to_scu = repo.insert(rule("scp", 1, "scu", 7));
  auto to_box = repo.insert(rule("scp", 1, "box", 3, false));

  // Images join the fresh batch of each rule, in arrival order, each once.
  repo.add_image({to_scu.id, to_box.id}, 10, 1000);
  repo.add_image({to_scu.id, to_box.id}, 30, 1001);
  repo.add_image({to_scu.id, to_box.id}, 20, 1002);
  repo.add_image({to_scu.id}, 10, 1003);  // an overwrite
  auto scu_batches = repo.batches_of_rule(to_scu.id);
  REQUIRE(scu_batches.size() == 1);
  auto first = scu_batches.front();
  CHECK(first.image_ids == std::vector<std::int64_t>{10, 30, 20});
  CHECK(first.updated == 1003);
  CHECK(first.state == batch_state::fresh);

  // Due only once idle; the box batch was last touched at 1002.
  CHECK(repo.due(1002, 5000).size() == 1);
  CHECK(repo.due(999, 5000).empty());
  CHECK(repo.due(1003, 5000).size() == 2);

  // Enroute: new images go to a new fresh batch.
  CHECK(repo.move(first.id, batch_state::fresh, batch_state::enroute, 2000));
  CHECK_FALSE(repo.move(first.id, batch_state::fresh, batch_state::enroute, 2000));
  repo.add_image({to_scu.id}, 40, 2001);
  CHECK(repo.batches_of_rule(to_scu.id).size() == 2);

  // A failed dispatch: fresh again with a back-off.
  CHECK(repo.fail(first.id, 9000, 2002));
  CHECK_FALSE(repo.fail(first.id, 9000, 2002));
  auto failed = repo.batch(first.id);
  CHECK(failed->attempts == 1);
  CHECK(failed->state == batch_state::fresh);
  CHECK(repo.due(5000, 5000).size() == 2);  // the box batch and the one holding 40
  CHECK(repo.due(5000, 9000).size() == 3);
  // The next image joins the oldest fresh batch.
  repo.add_image({to_scu.id}, 50, 2003);
  CHECK(repo.batch(first.id)->image_ids.size() == 4);

  // A send of the same images to the same destination delivers the batch.
  CHECK(repo.move(first.id, batch_state::fresh, batch_state::enroute, 3000));
  CHECK(repo.deliver_images({"scu", "", 7}, {10, 30}, 3001) == 0);  // not all of them
  CHECK(repo.deliver_images({"scu", "", 8}, {10, 30, 20, 50}, 3001) == 0);
  CHECK(repo.deliver_images({"scu", "", 7}, {10, 30, 20, 50, 99}, 3001) == 1);
  CHECK(repo.batch(first.id)->state == batch_state::delivered);

  // Box batches are delivered by their linked outgoing transaction.
  auto box_batch = repo.batches_of_rule(to_box.id).front();
  CHECK(repo.move(box_batch.id, batch_state::fresh, batch_state::enroute, 3002));
  repo.link_box_transaction(box_batch.id, 77);
  CHECK(repo.enroute_to_boxes().size() == 1);
  CHECK(repo.deliver_box_transaction(78, 3003) == 0);
  CHECK(repo.deliver_box_transaction(77, 3003) == 1);
  CHECK(repo.delivered().size() == 2);

  // Images 10, 30, 20 of the box batch are done; the other scu batch still forwards 40 only.
  CHECK_FALSE(repo.images_still_forwarded(box_batch.id));
  repo.add_image({to_scu.id}, 20, 3004);  // 20 again: now it is still being forwarded
  CHECK(repo.images_still_forwarded(box_batch.id));

  // Deleted images leave every batch; emptied fresh batches go.
  repo.remove_images({20, 40});
  CHECK(repo.batch(box_batch.id)->image_ids == std::vector<std::int64_t>{10, 30});
  CHECK(repo.batches_of_rule(to_scu.id).size() == 1);
  CHECK_FALSE(repo.images_still_forwarded(box_batch.id));

  repo.remove_batch(box_batch.id);
  CHECK_FALSE(repo.batch(box_batch.id));
  CHECK(repo.remove(to_scu.id));
  CHECK_FALSE(repo.batch(first.id));  // cascaded
}

TEMPLATE_TEST_CASE("persistence: forwarding batches being sent at a restart are due again",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  forwarding_repo repo(scratch.db());
  auto to_scu = repo.insert(rule("user", 1, "scu", 2));
  auto to_box = repo.insert(rule("user", 1, "box", 2));
  repo.add_image({to_scu.id, to_box.id}, 5, 1000);
  auto scu_batch = repo.batches_of_rule(to_scu.id).front();
  auto box_batch = repo.batches_of_rule(to_box.id).front();
  repo.move(scu_batch.id, batch_state::fresh, batch_state::enroute, 1000);
  repo.move(box_batch.id, batch_state::fresh, batch_state::enroute, 1000);
  repo.link_box_transaction(box_batch.id, 3);

  CHECK(repo.reset_unlinked_enroute() == 1);  // the box batch is followed by its transaction
  CHECK(repo.batch(scu_batch.id)->state == batch_state::fresh);
  CHECK(repo.due(0, 0).size() == 1);

  // A deleted source's fresh batches are due at once; a destination that is back is retried.
  repo.add_image({to_scu.id}, 6, 5000);
  repo.fail(box_batch.id, 100000, 5000);
  CHECK(repo.due(6000, 6000).size() == 1);
  repo.retry_now_to("box", 2);
  CHECK(repo.due(6000, 6000).size() == 2);
  repo.add_image({to_scu.id}, 7, 7000);
  CHECK(repo.due(6000, 7000).size() == 1);
  repo.expire_fresh_of_source("user", 1);
  CHECK(repo.due(6000, 7000).size() == 2);
}

TEMPLATE_TEST_CASE("persistence: a batch remembers which images its SCU acknowledged",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  forwarding_repo repo(scratch.db());
  auto to_scu = repo.insert(rule("user", 1, "scu", 2));
  for (std::int64_t image = 10; image < 14; ++image) repo.add_image({to_scu.id}, image, 1000);
  auto batch = repo.batches_of_rule(to_scu.id).front();
  CHECK(repo.unsent_images(batch.id) == std::vector<std::int64_t>{10, 11, 12, 13});

  // Two acknowledged, then the send was cut: sent again, only the other two go.
  repo.move(batch.id, batch_state::fresh, batch_state::enroute, 2000);
  CHECK(repo.mark_sent(batch.id, 11));
  CHECK(repo.mark_sent(batch.id, 10));
  CHECK_FALSE(repo.mark_sent(batch.id, 99));  // not in the batch
  CHECK(repo.reset_unlinked_enroute() == 1);
  CHECK(repo.unsent_images(batch.id) == std::vector<std::int64_t>{12, 13});
  CHECK(repo.batch(batch.id)->image_ids.size() == 4);  // all of them, for keepImages=false

  // An image stored again (replaced) goes out again.
  repo.add_image({to_scu.id}, 10, 3000);
  CHECK(repo.unsent_images(batch.id) == std::vector<std::int64_t>{10, 12, 13});
  for (std::int64_t image : {10, 12, 13}) CHECK(repo.mark_sent(batch.id, image));
  CHECK(repo.unsent_images(batch.id).empty());
}

TEMPLATE_TEST_CASE("persistence: a box batch whose transaction exists but was not linked is linked",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  forwarding_repo repo(scratch.db());
  box_repo boxes(scratch.db());
  sbx::proto::box b;
  b.name = "remote";
  b.token = "t";
  b.base_url = "http://remote/api/transactions/t";
  b.send_method = "PUSH";
  b = boxes.insert(b);
  auto to_box = repo.insert(rule("user", 1, "box", b.id));
  auto other = repo.insert(rule("scp", 2, "box", b.id));
  repo.add_image({to_box.id}, 5, 1000);
  repo.add_image({to_box.id}, 6, 1000);
  repo.add_image({other.id}, 5, 1000);
  auto batch = repo.batches_of_rule(to_box.id).front();
  auto lost = repo.batches_of_rule(other.id).front();
  repo.move(batch.id, batch_state::fresh, batch_state::enroute, 2000);
  repo.move(lost.id, batch_state::fresh, batch_state::enroute, 2000);
  // The leader created the transaction of `batch` (images 5 and 6), and died before linking it;
  // an older transaction of image 5 alone does not match `lost`, which went out later.
  boxes.insert_outgoing(b, {}, {{5, {}}}, 1500);
  auto sent = boxes.insert_outgoing(b, {}, {{6, {}}, {5, {}}}, 2100);

  CHECK(repo.reset_unlinked_enroute() == 1);  // `lost` only
  CHECK(repo.batch(batch.id)->state == batch_state::enroute);
  CHECK(repo.batch(batch.id)->box_transaction == sent.id);
  CHECK(repo.batch(lost.id)->state == batch_state::fresh);
}
