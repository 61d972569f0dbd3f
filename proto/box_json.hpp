// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/box.hpp"
#include "proto/json.hpp"

/// JSON codecs of the box API (`Box`, `OutgoingTransaction`, ...), with the wire names of
/// Slicebox 2.1.1, whose boxes read and write them.
namespace sbx::proto::json {

/// `Box` and a list of them; the profile as `{"options":[ConfidentialityOption...]}`.
std::string encode(const box& b);
std::string encode(const std::vector<box>& list);
/// `OutgoingTransaction` and a list of them.
std::string encode(const outgoing_transaction& t);
std::string encode(const std::vector<outgoing_transaction>& list);
/// `IncomingTransaction` and a list of them.
std::string encode(const incoming_transaction& t);
std::string encode(const std::vector<incoming_transaction>& list);
/// `OutgoingTransactionImage` and a list of them (the poll answer).
std::string encode(const outgoing_transaction_image& ti);
std::string encode(const std::vector<outgoing_transaction_image>& list);
/// `FailedOutgoingTransactionImage`.
std::string encode(const failed_outgoing_image& f);
/// `BoxTransactionStatus` {"status"}.
std::string transaction_status(std::string_view status);

/// Reads `RemoteBoxConnectionData` {"name","defaultProfile"} (base_url stays empty).
remote_box decode_remote_box_connection(std::string_view body);
/// Reads `RemoteBox` {"name","baseUrl","defaultProfile"}.
remote_box decode_remote_box(std::string_view body);
/// Reads `BulkAnonymizationData` as a send request.
box_send_request decode_box_send(std::string_view body);
/// Reads `BoxTransactionStatus` {"status"}; the status is returned as given.
std::string decode_transaction_status(std::string_view body);
/// Reads `OutgoingTransactionImage`: `transaction.id` and `image.id` are required, the other
/// members are read when present.
outgoing_transaction_image decode_outgoing_transaction_image(std::string_view body);
/// Reads a JSON array of `OutgoingTransactionImage` (a poll answer).
std::vector<outgoing_transaction_image> decode_outgoing_transaction_images(std::string_view body);
/// Reads `FailedOutgoingTransactionImage` {"transactionImage","message"}.
failed_outgoing_image decode_failed_outgoing_image(std::string_view body);

}  // namespace sbx::proto::json
