// SPDX-License-Identifier: Apache-2.0
#include "persistence/forwarding_repo.hpp"

#include <algorithm>
#include <set>

namespace sbx::persistence {

namespace {

using proto::batch_state;

constexpr const char* rule_columns =
    "SELECT id, source_type, source_name, source_id, destination_type, destination_name, "
    "destination_id, keep_images FROM forwarding_rules ";

proto::forwarding_rule to_rule(const row& r) {
  return {r.int64(0),
          {r.text(1), r.text(2), r.int64(3)},
          {r.text(4), r.text(5), r.int64(6)},
          r.int64(7) != 0};
}

std::vector<proto::forwarding_rule> to_rules(const result& res) {
  std::vector<proto::forwarding_rule> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_rule(r));
  return out;
}

std::string to_text(batch_state s) {
  switch (s) {
    case batch_state::fresh:
      return "fresh";
    case batch_state::enroute:
      return "enroute";
    case batch_state::delivered:
      break;
  }
  return "delivered";
}

batch_state to_state(const std::string& s) {
  if (s == "fresh") return batch_state::fresh;
  if (s == "enroute") return batch_state::enroute;
  return batch_state::delivered;
}

}  // namespace

std::vector<proto::forwarding_rule> forwarding_repo::list(std::int64_t start, std::int64_t count) {
  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  return to_rules(db_.exec(std::string(rule_columns) + "ORDER BY id LIMIT $1 OFFSET $2",
                           {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)}));
}

std::optional<proto::forwarding_rule> forwarding_repo::by_id(std::int64_t id) {
  auto rules = to_rules(db_.exec(std::string(rule_columns) + "WHERE id = $1", {id}));
  if (rules.empty()) return std::nullopt;
  return rules.front();
}

std::optional<proto::forwarding_rule> forwarding_repo::find(const proto::forwarding_rule& r) {
  auto rules =
      to_rules(db_.exec(std::string(rule_columns) + "WHERE source_type = $1 AND source_id = $2 AND "
                                                    "destination_type = $3 AND destination_id = $4",
                        {r.src.type, r.src.id, r.dest.type, r.dest.id}));
  if (rules.empty()) return std::nullopt;
  return rules.front();
}

std::vector<proto::forwarding_rule> forwarding_repo::of_source(const std::string& type,
                                                               std::int64_t id) {
  return to_rules(
      db_.exec(std::string(rule_columns) + "WHERE source_type = $1 AND source_id = $2 ORDER BY id",
               {type, id}));
}

proto::forwarding_rule forwarding_repo::insert(const proto::forwarding_rule& r) {
  const auto res = db_.exec(
      "INSERT INTO forwarding_rules (source_type, source_name, source_id, destination_type, "
      "destination_name, destination_id, keep_images) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "RETURNING id",
      {r.src.type, r.src.name, r.src.id, r.dest.type, r.dest.name, r.dest.id,
       std::int64_t{r.keep_images ? 1 : 0}});
  auto out = r;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool forwarding_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM forwarding_rules WHERE id = $1", {id}).affected > 0;
}

void forwarding_repo::add_image(const std::vector<std::int64_t>& rule_ids, std::int64_t image_id,
                                std::int64_t now) {
  std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> arrivals;
  for (const auto rule_id : rule_ids) arrivals.push_back({rule_id, {image_id}});
  add_images(arrivals, now);
}

void forwarding_repo::add_images(
    const std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>>& arrivals,
    std::int64_t now) {
  transaction tx(db_);
  for (const auto& [rule_id, image_ids] : arrivals) {
    auto fresh = db_.exec(
        "SELECT id FROM forwarding_transactions WHERE rule_id = $1 AND state = 'fresh' "
        "ORDER BY id LIMIT 1",
        {rule_id});
    std::int64_t batch_id = 0;
    if (fresh.rows.empty()) {
      batch_id = db_.exec(
                        "INSERT INTO forwarding_transactions (rule_id, created, updated, state, "
                        "attempts, next_attempt, box_transaction_id) "
                        "VALUES ($1, $2, $2, 'fresh', 0, 0, -1) RETURNING id",
                        {rule_id, now})
                     .rows.at(0)
                     .int64(0);
    } else {
      batch_id = fresh.rows.front().int64(0);
      db_.exec("UPDATE forwarding_transactions SET updated = $2 WHERE id = $1", {batch_id, now});
    }
    // An image stored again (replaced) is sent again, even if this batch had sent it already.
    for (const auto image_id : image_ids)
      db_.exec(
          "INSERT INTO forwarding_transaction_images (transaction_id, image_id, sent) "
          "VALUES ($1, $2, 0) ON CONFLICT (transaction_id, image_id) DO UPDATE SET sent = 0",
          {batch_id, image_id});
  }
  tx.commit();
}

std::vector<proto::forwarding_batch> forwarding_repo::batches(const std::string& where,
                                                              const std::vector<value>& params) {
  const auto res = db_.exec(
      "SELECT id, rule_id, created, updated, state, attempts, next_attempt, box_transaction_id "
      "FROM forwarding_transactions " +
          where,
      params);
  std::vector<proto::forwarding_batch> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) {
    proto::forwarding_batch b{r.int64(0), r.int64(1), r.int64(2), r.int64(3), to_state(r.text(4)),
                              r.int64(5), r.int64(6), r.int64(7), {}};
    for (const auto& i : db_.exec("SELECT image_id FROM forwarding_transaction_images WHERE "
                                  "transaction_id = $1 ORDER BY id",
                                  {b.id})
                             .rows)
      b.image_ids.push_back(i.int64(0));
    out.push_back(std::move(b));
  }
  return out;
}

std::optional<proto::forwarding_batch> forwarding_repo::batch(std::int64_t id) {
  auto found = batches("WHERE id = $1", {id});
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<proto::forwarding_batch> forwarding_repo::batches_of_rule(std::int64_t rule_id) {
  return batches("WHERE rule_id = $1 ORDER BY id", {rule_id});
}

std::vector<proto::forwarding_batch> forwarding_repo::due(std::int64_t idle_before,
                                                          std::int64_t now) {
  return batches(
      "WHERE state = 'fresh' AND updated <= $1 AND next_attempt <= $2 AND EXISTS (SELECT 1 FROM "
      "forwarding_transaction_images i WHERE i.transaction_id = forwarding_transactions.id) "
      "ORDER BY id",
      {idle_before, now});
}

std::vector<std::int64_t> forwarding_repo::unsent_images(std::int64_t id) {
  return db_
      .exec(
          "SELECT image_id FROM forwarding_transaction_images WHERE transaction_id = $1 AND "
          "sent = 0 ORDER BY id",
          {id})
      .first_int64s();
}

bool forwarding_repo::mark_sent(std::int64_t id, std::int64_t image_id) {
  return db_.exec(
                "UPDATE forwarding_transaction_images SET sent = 1 WHERE transaction_id = $1 AND "
                "image_id = $2",
                {id, image_id})
             .affected > 0;
}

bool forwarding_repo::move(std::int64_t id, batch_state from, batch_state to, std::int64_t now) {
  return db_.exec(
                "UPDATE forwarding_transactions SET state = $3, updated = $4 WHERE id = $1 AND "
                "state = $2",
                {id, to_text(from), to_text(to), now})
             .affected > 0;
}

bool forwarding_repo::fail(std::int64_t id, std::int64_t next_attempt, std::int64_t now) {
  return db_.exec(
                "UPDATE forwarding_transactions SET state = 'fresh', attempts = attempts + 1, "
                "next_attempt = $2, box_transaction_id = -1, updated = $3 "
                "WHERE id = $1 AND state = 'enroute'",
                {id, next_attempt, now})
             .affected > 0;
}

void forwarding_repo::link_box_transaction(std::int64_t id, std::int64_t box_transaction_id) {
  db_.exec("UPDATE forwarding_transactions SET box_transaction_id = $2 WHERE id = $1",
           {id, box_transaction_id});
}

std::vector<proto::forwarding_batch> forwarding_repo::enroute_to_boxes() {
  return batches("WHERE state = 'enroute' AND box_transaction_id >= 0 ORDER BY id", {});
}

std::int64_t forwarding_repo::deliver_box_transaction(std::int64_t box_transaction_id,
                                                      std::int64_t now) {
  return db_
      .exec(
          "UPDATE forwarding_transactions SET state = 'delivered', updated = $2 "
          "WHERE box_transaction_id = $1 AND state = 'enroute'",
          {box_transaction_id, now})
      .affected;
}

std::int64_t forwarding_repo::deliver_images(const proto::destination& dest,
                                             const std::vector<std::int64_t>& image_ids,
                                             std::int64_t now) {
  if (image_ids.empty()) return 0;
  const std::set<std::int64_t> sent(image_ids.begin(), image_ids.end());
  // Candidates hold the first image sent, as in Slicebox; all their images must have been sent.
  const auto candidates = batches(
      "WHERE state IN ('fresh', 'enroute') AND rule_id IN (SELECT id FROM forwarding_rules WHERE "
      "destination_type = $1 AND destination_id = $2) AND id IN (SELECT transaction_id FROM "
      "forwarding_transaction_images WHERE image_id = $3) ORDER BY id",
      {dest.type, dest.id, image_ids.front()});
  std::int64_t delivered = 0;
  for (const auto& b : candidates) {
    if (!std::all_of(b.image_ids.begin(), b.image_ids.end(),
                     [&](std::int64_t i) { return sent.count(i) > 0; }))
      continue;
    delivered += db_.exec(
                        "UPDATE forwarding_transactions SET state = 'delivered', updated = $2 "
                        "WHERE id = $1 AND state IN ('fresh', 'enroute')",
                        {b.id, now})
                     .affected;
  }
  return delivered;
}

std::vector<proto::forwarding_batch> forwarding_repo::delivered() {
  return batches("WHERE state = 'delivered' ORDER BY id", {});
}

bool forwarding_repo::images_still_forwarded(std::int64_t id) {
  return !db_.exec(
                 "SELECT 1 FROM forwarding_transaction_images a "
                 "JOIN forwarding_transaction_images b ON b.image_id = a.image_id "
                 "JOIN forwarding_transactions t ON t.id = b.transaction_id "
                 "WHERE a.transaction_id = $1 AND t.state <> 'delivered' LIMIT 1",
                 {id})
              .rows.empty();
}

void forwarding_repo::remove_batch(std::int64_t id) {
  db_.exec("DELETE FROM forwarding_transactions WHERE id = $1", {id});
}

void forwarding_repo::remove_images(const std::vector<std::int64_t>& image_ids) {
  if (image_ids.empty()) return;
  transaction tx(db_);
  for (const auto id : image_ids)
    db_.exec("DELETE FROM forwarding_transaction_images WHERE image_id = $1", {id});
  db_.exec(
      "DELETE FROM forwarding_transactions WHERE state = 'fresh' AND NOT EXISTS (SELECT 1 "
      "FROM forwarding_transaction_images i WHERE i.transaction_id = "
      "forwarding_transactions.id)");
  tx.commit();
}

std::int64_t forwarding_repo::reset_unlinked_enroute() {
  // A box batch whose outgoing transaction was created but not yet linked when the leader died:
  // the transaction to its box, created since the batch went out, holding exactly its images
  // and linked to no other batch, is that send (as a send of the same images by hand would count
  // as its delivery, docs/forwarding.md). Linked, it is not sent a second time.
  const std::string match =
      "SELECT t.id FROM outgoing_transactions t, forwarding_rules r "
      "WHERE r.id = forwarding_transactions.rule_id AND r.destination_type = 'box' "
      "AND t.box_id = r.destination_id AND t.created >= forwarding_transactions.updated "
      "AND t.total_image_count = (SELECT COUNT(*) FROM forwarding_transaction_images i "
      "WHERE i.transaction_id = forwarding_transactions.id) "
      "AND NOT EXISTS (SELECT 1 FROM forwarding_transaction_images i "
      "WHERE i.transaction_id = forwarding_transactions.id AND NOT EXISTS (SELECT 1 FROM "
      "outgoing_images o WHERE o.outgoing_transaction_id = t.id AND o.image_id = i.image_id)) "
      "AND NOT EXISTS (SELECT 1 FROM forwarding_transactions f "
      "WHERE f.box_transaction_id = t.id) "
      "ORDER BY t.id LIMIT 1";
  db_.exec("UPDATE forwarding_transactions SET box_transaction_id = (" + match +
           ") WHERE state = 'enroute' AND box_transaction_id < 0 AND EXISTS (" + match + ")");
  return db_
      .exec(
          "UPDATE forwarding_transactions SET state = 'fresh', updated = 0, next_attempt = 0 "
          "WHERE state = 'enroute' AND box_transaction_id < 0")
      .affected;
}

void forwarding_repo::expire_fresh_of_source(const std::string& type, std::int64_t id) {
  db_.exec(
      "UPDATE forwarding_transactions SET updated = 0 WHERE state = 'fresh' AND rule_id IN "
      "(SELECT id FROM forwarding_rules WHERE source_type = $1 AND source_id = $2)",
      {type, id});
}

void forwarding_repo::retry_now_to(const std::string& type, std::int64_t id) {
  db_.exec(
      "UPDATE forwarding_transactions SET next_attempt = 0 WHERE state = 'fresh' AND "
      "rule_id IN (SELECT id FROM forwarding_rules WHERE destination_type = $1 AND "
      "destination_id = $2)",
      {type, id});
}

}  // namespace sbx::persistence
