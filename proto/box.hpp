// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/anonymization_messages.hpp"

// Box-to-box federation (docs/federation.md): the boxes, and the transactions that move images
// between them. Wire names are those of the Slicebox API v2 (`Box`, `OutgoingTransaction`, ...).
namespace sbx::proto {

/// How a box sends to its remote: PUSH (we POST images to a public remote) or POLL (we queue
/// them and the remote fetches them).
inline constexpr const char* push_method = "PUSH";
inline constexpr const char* poll_method = "POLL";

/// The statuses of a transaction (`TransactionStatus`).
inline constexpr const char* waiting_status = "WAITING";
inline constexpr const char* processing_status = "PROCESSING";
inline constexpr const char* finished_status = "FINISHED";
inline constexpr const char* failed_status = "FAILED";

/// A connection to another node (`Box`).
struct box {
  std::int64_t id = -1;
  std::string name;
  std::string token;        ///< canonical UUID; selects the box on `/transactions/{token}/...`
  std::string base_url;     ///< `.../api/transactions/{token}` of the public side
  std::string send_method;  ///< PUSH or POLL (anything else reads as UNKNOWN)
  std::vector<confidentiality_option_info> default_profile;  ///< only names until resolved
  bool online = false;
};

/// A send request, on the sending side (`OutgoingTransaction`). The last three members are ours
/// (the original has none): images skipped after failing too often, the last error, and when
/// the remote last answered for this transaction.
struct outgoing_transaction {
  std::int64_t id = -1;
  std::int64_t box_id = -1;
  std::string box_name;
  std::vector<confidentiality_option_info> profile;
  std::int64_t sent_image_count = 0;
  std::int64_t total_image_count = 0;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::string status = waiting_status;
  std::int64_t skipped_image_count = 0;
  std::string last_error;
  std::int64_t last_contact = 0;
};

/// One image of an outgoing transaction (`OutgoingImage`); `id` is the row id the remote fetches
/// by, `image_id` the stored image.
struct outgoing_image {
  std::int64_t id = -1;
  std::int64_t outgoing_transaction_id = -1;
  std::int64_t image_id = -1;
  std::int64_t sequence_number = 0;
  bool sent = false;
};

/// `OutgoingTransactionImage`: what a poll lists and what done/failed acknowledge.
struct outgoing_transaction_image {
  outgoing_transaction transaction;
  outgoing_image image;
};

/// `FailedOutgoingTransactionImage`.
struct failed_outgoing_image {
  outgoing_transaction_image transaction_image;
  std::string message;
};

/// A transfer on the receiving side (`IncomingTransaction`), keyed by (box, the sender's
/// outgoing transaction id). `last_error` is ours: why the last image was rejected, if it was.
struct incoming_transaction {
  std::int64_t id = -1;
  std::int64_t box_id = -1;
  std::string box_name;
  std::int64_t outgoing_transaction_id = -1;
  std::int64_t received_image_count = 0;
  std::int64_t added_image_count = 0;
  std::int64_t total_image_count = 0;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::string status = waiting_status;
  std::string last_error;
};

/// `RemoteBoxConnectionData` (createconnection) and `RemoteBox` (connect; `base_url` set).
struct remote_box {
  std::string name;
  std::string base_url;
  std::vector<std::string> default_profile;  ///< option names
};

/// `POST /boxes/{id}/send`: the profile's option names and the images with their tag values.
struct box_send_request {
  std::vector<std::string> profile;
  std::vector<image_tag_values> images;
};

/// One image delivered to us (`POST /transactions/{token}/image`): the payload file as received
/// (zlib-compressed DICOM) and where it belongs.
struct box_delivery {
  std::string token;
  std::int64_t transaction_id = -1;
  std::int64_t sequence_number = 0;
  std::int64_t total_image_count = 0;
  std::string file;
};

/// Box transactions of one direction ("incoming" or "outgoing") and status, and the images they
/// still have to transfer (GET /metrics).
struct box_queue {
  std::string direction;
  std::string status;
  std::int64_t transactions = 0;
  std::int64_t images_left = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, box_queue& x) {
  return f(x.direction, x.status, x.transactions, x.images_left);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, box& x) {
  return f(x.id, x.name, x.token, x.base_url, x.send_method, x.default_profile, x.online);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outgoing_transaction& x) {
  return f(x.id, x.box_id, x.box_name, x.profile, x.sent_image_count, x.total_image_count,
           x.created, x.updated, x.status, x.skipped_image_count, x.last_error, x.last_contact);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outgoing_image& x) {
  return f(x.id, x.outgoing_transaction_id, x.image_id, x.sequence_number, x.sent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outgoing_transaction_image& x) {
  return f(x.transaction, x.image);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, failed_outgoing_image& x) {
  return f(x.transaction_image, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, incoming_transaction& x) {
  return f(x.id, x.box_id, x.box_name, x.outgoing_transaction_id, x.received_image_count,
           x.added_image_count, x.total_image_count, x.created, x.updated, x.status, x.last_error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_box& x) {
  return f(x.name, x.base_url, x.default_profile);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, box_send_request& x) {
  return f(x.profile, x.images);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, box_delivery& x) {
  return f(x.token, x.transaction_id, x.sequence_number, x.total_image_count, x.file);
}

}  // namespace sbx::proto
