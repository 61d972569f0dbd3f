// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "persistence/database.hpp"
#include "proto/box.hpp"

namespace sbx::persistence {

/// One image of a send request, its tag values as (tag path text, value).
struct outgoing_request_image {
  std::int64_t image_id = -1;
  std::vector<std::pair<std::string, std::string>> tag_values;
};

/// One delivery recorded on the receiving side: the image stored (none if rejected) and whether
/// it is a new image rather than an overwrite.
struct incoming_delivery {
  std::int64_t box_id = -1;
  std::string box_name;
  std::int64_t transaction_id = -1;  ///< the sender's outgoing transaction id
  std::int64_t sequence_number = 0;
  std::int64_t total_image_count = 0;
  std::optional<std::int64_t> image_id;
  bool added = false;
  std::string error;  ///< why the image was rejected, if it was
};

/// What happened to an image that could not be sent.
struct send_failure {
  bool skipped = false;  ///< it will not be tried again
  std::int64_t attempts = 0;
};

/// Boxes, outgoing and incoming transactions (tables boxes, outgoing_*, incoming_*). Profiles
/// come back as option names only. Status changes are guarded updates: FAILED is final, and
/// FINISHED is reached once.
class box_repo {
 public:
  explicit box_repo(database& db) : db_(db) {}

  /// A page of boxes in id order.
  std::vector<proto::box> list(std::int64_t start, std::int64_t count);
  /// The box with this id, if any.
  std::optional<proto::box> by_id(std::int64_t id);
  /// The box with this name, if any.
  std::optional<proto::box> by_name(const std::string& name);
  /// The POLL box with this token, if any (PUSH boxes are never looked up by token).
  std::optional<proto::box> poll_box_by_token(const std::string& token);
  /// Inserts a box (id ignored); a taken name throws database_error(unique_violation).
  proto::box insert(const proto::box& b);
  /// Deletes a box; false if there was none.
  bool remove(std::int64_t id);
  /// Records whether the box's remote is reachable.
  void set_online(std::int64_t id, bool online);
  /// A POLL box's remote polled or acknowledged at `now` (epoch ms): it is online.
  void touch(std::int64_t id, std::int64_t now);
  /// POLL boxes not heard from since `before` (epoch ms) are offline.
  void mark_offline(std::int64_t before);

  /// Inserts an outgoing transaction (WAITING) with its images numbered 1..n and their tag
  /// values, in one database transaction.
  proto::outgoing_transaction insert_outgoing(const proto::box& b,
                                              const std::vector<std::string>& profile,
                                              const std::vector<outgoing_request_image>& images,
                                              std::int64_t now);
  /// Outgoing transactions, most recently updated first.
  std::vector<proto::outgoing_transaction> list_outgoing(std::int64_t start, std::int64_t count);
  /// The outgoing transaction with this id, if any.
  std::optional<proto::outgoing_transaction> outgoing_by_id(std::int64_t id);
  /// Deletes an outgoing transaction with its images and tag values.
  bool remove_outgoing(std::int64_t id);
  /// The image rows of an outgoing transaction in sequence order.
  std::vector<proto::outgoing_image> outgoing_images(std::int64_t transaction_id);
  /// The stored image ids of the images sent in a transaction.
  std::vector<std::int64_t> sent_image_ids(std::int64_t transaction_id);
  /// The next up to n images to send to a box: neither sent nor skipped, due (`next_attempt <=
  /// now`), of a transaction that is not FAILED or FINISHED; oldest transaction first, then by
  /// sequence number.
  std::vector<proto::outgoing_transaction_image> pending(std::int64_t box_id, std::int64_t n,
                                                         std::int64_t now);
  /// One image of a box's transaction (by outgoing image row id), whatever its state.
  std::optional<proto::outgoing_transaction_image> outgoing_image(std::int64_t box_id,
                                                                  std::int64_t transaction_id,
                                                                  std::int64_t image_row_id);
  /// The tag values of an outgoing image as (tag path text, value).
  std::vector<std::pair<std::string, std::string>> tag_values(std::int64_t image_row_id);
  /// Marks an image sent (once: false if it already was, or is not of that transaction) and
  /// recounts its transaction, which becomes PROCESSING unless FAILED or FINISHED.
  bool mark_sent(std::int64_t transaction_id, std::int64_t image_row_id, std::int64_t now);
  /// The same for several (transaction id, image row id) pairs in one database transaction;
  /// answers, in order and each once, the transactions in which an image changed.
  std::vector<std::int64_t> mark_sent(
      const std::vector<std::pair<std::int64_t, std::int64_t>>& images, std::int64_t now);
  /// Records a failed attempt: the image is due again after a back-off that doubles from
  /// `backoff` with each failure up to `max_backoff` (ms), or is skipped for good once it failed
  /// `max_attempts` times (at once if `max_attempts` <= 1).
  send_failure record_failure(std::int64_t transaction_id, std::int64_t image_row_id,
                              const std::string& error, std::int64_t backoff,
                              std::int64_t max_backoff, std::int64_t max_attempts,
                              std::int64_t now);
  /// FINISHED if every image is sent or skipped and the transaction is WAITING or PROCESSING;
  /// true only for the call that finished it.
  bool finish_if_complete(std::int64_t transaction_id, std::int64_t now);
  /// FAILED (final) unless FINISHED; only a transaction of that box. True if it changed.
  bool fail_outgoing(std::int64_t box_id, std::int64_t transaction_id, const std::string& message,
                     std::int64_t now);
  /// Notes why the last attempt for a box's unfinished transactions failed (the link).
  void note_outgoing_error(std::int64_t box_id, const std::string& error, std::int64_t now);

  /// Records one delivery to us in one database transaction: the incoming transaction (created
  /// WAITING on first contact), its image row per sequence number, counters recomputed (a
  /// re-delivery is not counted twice), PROCESSING or FINISHED once all arrived; a FAILED
  /// transaction stays FAILED.
  proto::incoming_transaction record_incoming(const incoming_delivery& d, std::int64_t now);
  /// The same for several deliveries in one database transaction (a group commit of the images
  /// received meanwhile); answers each one's transaction after it, in order.
  std::vector<proto::incoming_transaction> record_incoming(
      const std::vector<incoming_delivery>& deliveries, std::int64_t now);
  /// Incoming transactions, most recently updated first.
  std::vector<proto::incoming_transaction> list_incoming(std::int64_t start, std::int64_t count);
  /// Transactions by direction and status, with the images each group has left to transfer.
  std::vector<proto::box_queue> queues();
  /// The incoming transaction of a box for the sender's transaction id, if any.
  std::optional<proto::incoming_transaction> incoming_of(std::int64_t box_id,
                                                         std::int64_t transaction_id);
  /// Sets an incoming transaction's status (FINISHED also completes its received count); false
  /// if there is no such transaction.
  bool set_incoming_status(std::int64_t box_id, std::int64_t transaction_id,
                           const std::string& status, std::int64_t now);
  /// Deletes an incoming transaction and its image rows.
  bool remove_incoming(std::int64_t id);
  /// The stored image ids of an incoming transaction in row order (rejected ones left out).
  std::vector<std::int64_t> incoming_image_ids(std::int64_t transaction_id);

  /// PROCESSING transactions (both sides) not updated since `before` become WAITING.
  std::int64_t reset_stale(std::int64_t before);
  /// Forgets deleted images: their incoming rows go; their outgoing rows not yet sent are
  /// skipped (so that their transactions can still finish), sent ones go. Answers the outgoing
  /// transactions that had images skipped.
  std::vector<std::int64_t> remove_images(const std::vector<std::int64_t>& image_ids,
                                          std::int64_t now);

 private:
  proto::incoming_transaction record_one(const incoming_delivery& d, std::int64_t now);

  database& db_;
};

}  // namespace sbx::persistence
