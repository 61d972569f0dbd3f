// SPDX-License-Identifier: Apache-2.0
// Every JSON request decoder: bad input may only be `malformed` (400), never a crash or another
// exception (which the front end would answer 500).
#include "fuzz_input.hpp"
#include "proto/box_json.hpp"
#include "proto/json.hpp"
#include "proto/json_tag_path.hpp"

namespace {

template <class F>
void decode(F&& f) {
  try {
    f();
  } catch (const sbx::proto::json::malformed&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sbx::proto::json;
  const auto body = sbx::fuzz::text_of(data, size);
  decode([&] { decode_user_pass(body); });
  decode([&] { decode_query(body); });
  decode([&] { decode_series_tag(body); });
  decode([&] { decode_series_type(body); });
  decode([&] { decode_series_type_rule(body); });
  decode([&] { decode_series_type_rule_attribute(body); });
  decode([&] { decode_watched_directory(body); });
  decode([&] { decode_ids_query(body); });
  decode([&] { decode_tag_mappings(body); });
  decode([&] { decode_ids(body); });
  decode([&] { decode_import_session_name(body); });
  decode([&] { decode_scp(body); });
  decode([&] { decode_tag_filter(body); });
  decode([&] { decode_tag_filter_tag_path(body); });
  decode([&] { decode_source_tag_filter(body); });
  decode([&] { decode_scu(body); });
  decode([&] { decode_forwarding_rule(body); });
  decode([&] { decode_clear_text_user(body); });
  decode([&] { decode_anonymization_data(body); });
  decode([&] { decode_bulk_anonymization(body); });
  decode([&] { decode_tag_path(body, false); });
  decode([&] { decode_tag_path(body, true); });
  decode([&] { decode_remote_box_connection(body); });
  decode([&] { decode_remote_box(body); });
  decode([&] { decode_box_send(body); });
  decode([&] { decode_transaction_status(body); });
  decode([&] { decode_outgoing_transaction_image(body); });
  decode([&] { decode_outgoing_transaction_images(body); });
  decode([&] { decode_failed_outgoing_image(body); });
  return 0;
}
