// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/forwarding.hpp"

namespace sbx::persistence {

/// The forwarding rules and their batches (tables forwarding_rules, forwarding_transactions,
/// forwarding_transaction_images). Every change of a batch is one statement or one transaction,
/// so the engine can stop anywhere and resume from what is stored.
class forwarding_repo {
 public:
  explicit forwarding_repo(database& db) : db_(db) {}

  // Rules.

  /// A page of rules in id order.
  std::vector<proto::forwarding_rule> list(std::int64_t start, std::int64_t count);
  /// The rule with this id, if any.
  std::optional<proto::forwarding_rule> by_id(std::int64_t id);
  /// The rule with this source (type, id) and destination (type, id), if any.
  std::optional<proto::forwarding_rule> find(const proto::forwarding_rule& r);
  /// The rules of a source, in id order.
  std::vector<proto::forwarding_rule> of_source(const std::string& type, std::int64_t id);
  /// Inserts a rule (id ignored) and returns it with its id; a rule with the same source and
  /// destination throws database_error(unique_violation).
  proto::forwarding_rule insert(const proto::forwarding_rule& r);
  /// Deletes a rule and its batches; false if there was none.
  bool remove(std::int64_t id);

  // Batches.

  /// Adds images to the fresh batch of rules (creating it if there is none), in one
  /// transaction, and marks those batches updated at `now`; an image already in a batch is not
  /// added twice. `arrivals` holds rule ids with their images in the order they came.
  void add_images(const std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>>& arrivals,
                  std::int64_t now);
  /// add_images for one image and the rules of its source.
  void add_image(const std::vector<std::int64_t>& rule_ids, std::int64_t image_id,
                 std::int64_t now);
  /// One batch with its images, if it exists.
  std::optional<proto::forwarding_batch> batch(std::int64_t id);
  /// The batches of a rule in id order, with their images.
  std::vector<proto::forwarding_batch> batches_of_rule(std::int64_t rule_id);
  /// Fresh batches with images, no new image since `idle_before` and no back-off after `now`.
  std::vector<proto::forwarding_batch> due(std::int64_t idle_before, std::int64_t now);
  /// The images of a batch its destination has not acknowledged yet, in arrival order (an SCU
  /// send acknowledges them one by one; a box batch never marks any).
  std::vector<std::int64_t> unsent_images(std::int64_t id);
  /// Records that the destination acknowledged one image of a batch; false if it is not in it.
  bool mark_sent(std::int64_t id, std::int64_t image_id);
  /// Moves a batch from one state to another (stamping `updated`); false if it was not in
  /// `from` (or is gone).
  bool move(std::int64_t id, proto::batch_state from, proto::batch_state to, std::int64_t now);
  /// An enroute batch whose dispatch failed: fresh again, attempts + 1, not retried before
  /// `next_attempt`; false if it was not enroute.
  bool fail(std::int64_t id, std::int64_t next_attempt, std::int64_t now);
  /// Links an enroute batch to the outgoing box transaction it became.
  void link_box_transaction(std::int64_t id, std::int64_t box_transaction_id);
  /// Enroute batches linked to a box transaction.
  std::vector<proto::forwarding_batch> enroute_to_boxes();
  /// Marks delivered the enroute batches linked to this box transaction; how many.
  std::int64_t deliver_box_transaction(std::int64_t box_transaction_id, std::int64_t now);
  /// Marks delivered the fresh or enroute batches of rules with this destination all of whose
  /// images are among `image_ids` (spec: a send of the same images counts as delivery); how many.
  std::int64_t deliver_images(const proto::destination& dest,
                              const std::vector<std::int64_t>& image_ids, std::int64_t now);
  /// Delivered batches, oldest first.
  std::vector<proto::forwarding_batch> delivered();
  /// True if an image of this batch is also in a batch not yet delivered.
  bool images_still_forwarded(std::int64_t id);
  /// Removes a batch (finalized).
  void remove_batch(std::int64_t id);
  /// Takes deleted images out of every batch; fresh batches left empty are removed.
  void remove_images(const std::vector<std::int64_t>& image_ids);
  /// After a restart: enroute batches not linked to a box transaction lost their send; they are
  /// fresh again (due at once), except box batches whose outgoing transaction was created but not
  /// linked yet (one to their box since they went out, with exactly their images, linked to no
  /// other batch): those are linked to it. How many were made fresh.
  std::int64_t reset_unlinked_enroute();
  /// Makes the fresh batches of a source's rules due at once (the source is gone).
  void expire_fresh_of_source(const std::string& type, std::int64_t id);
  /// Lifts the back-off of the fresh batches of a destination's rules (it came back).
  void retry_now_to(const std::string& type, std::int64_t id);

 private:
  std::vector<proto::forwarding_batch> batches(const std::string& where,
                                               const std::vector<value>& params);
  database& db_;
};

}  // namespace sbx::persistence
