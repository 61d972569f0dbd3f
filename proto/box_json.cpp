// SPDX-License-Identifier: Apache-2.0
#include "proto/box_json.hpp"

#include "proto/json_support.hpp"

namespace sbx::proto::json {

using namespace support;

namespace {

/// `AnonymizationProfile` {"options":[ConfidentialityOption...]}.
void write_profile(writer& w, std::string_view k,
                   const std::vector<confidentiality_option_info>& options) {
  key(w, k);
  w.StartObject();
  key(w, "options");
  w.StartArray();
  for (const auto& o : options) {
    w.StartObject();
    put(w, "name", o.name);
    put(w, "title", o.title);
    put(w, "description", o.description);
    put(w, "rank", o.rank);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void write_box(writer& w, const box& b) {
  w.StartObject();
  put(w, "id", b.id);
  put(w, "name", b.name);
  put(w, "token", b.token);
  put(w, "baseUrl", b.base_url);
  const bool known = b.send_method == push_method || b.send_method == poll_method;
  put(w, "sendMethod", known ? b.send_method : std::string("UNKNOWN"));
  write_profile(w, "defaultProfile", b.default_profile);
  put_flag(w, "online", b.online);
  w.EndObject();
}

void write_outgoing(writer& w, const outgoing_transaction& t) {
  w.StartObject();
  put(w, "id", t.id);
  put(w, "boxId", t.box_id);
  put(w, "boxName", t.box_name);
  write_profile(w, "profile", t.profile);
  put(w, "sentImageCount", t.sent_image_count);
  put(w, "totalImageCount", t.total_image_count);
  put(w, "created", t.created);
  put(w, "updated", t.updated);
  put(w, "status", t.status);
  put(w, "skippedImageCount", t.skipped_image_count);
  put(w, "lastError", t.last_error);
  put(w, "lastContact", t.last_contact);
  w.EndObject();
}

void write_incoming(writer& w, const incoming_transaction& t) {
  w.StartObject();
  put(w, "id", t.id);
  put(w, "boxId", t.box_id);
  put(w, "boxName", t.box_name);
  put(w, "outgoingTransactionId", t.outgoing_transaction_id);
  put(w, "receivedImageCount", t.received_image_count);
  put(w, "addedImageCount", t.added_image_count);
  put(w, "totalImageCount", t.total_image_count);
  put(w, "created", t.created);
  put(w, "updated", t.updated);
  put(w, "status", t.status);
  put(w, "lastError", t.last_error);
  w.EndObject();
}

void write_transaction_image(writer& w, const outgoing_transaction_image& ti) {
  w.StartObject();
  key(w, "transaction");
  write_outgoing(w, ti.transaction);
  key(w, "image");
  w.StartObject();
  put(w, "id", ti.image.id);
  put(w, "outgoingTransactionId", ti.image.outgoing_transaction_id);
  put(w, "imageId", ti.image.image_id);
  put(w, "sequenceNumber", ti.image.sequence_number);
  put_flag(w, "sent", ti.image.sent);
  w.EndObject();
  w.EndObject();
}

/// Optional members of objects another box wrote: absent or of another type reads as `fallback`.
std::int64_t int_or(const rapidjson::Value& object, const char* k, std::int64_t fallback) {
  auto it = object.FindMember(k);
  return it != object.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : fallback;
}

std::string string_or(const rapidjson::Value& object, const char* k) {
  auto it = object.FindMember(k);
  return it != object.MemberEnd() && it->value.IsString()
             ? std::string{it->value.GetString(), it->value.GetStringLength()}
             : std::string{};
}

/// The option names of an `AnonymizationProfile` (options as objects with a name, or names).
std::vector<std::string> profile_names(const rapidjson::Value& profile) {
  const auto& options = required_member(profile, "options");
  if (!options.IsArray()) throw malformed("Member 'options' must be an array");
  std::vector<std::string> names;
  for (const auto& o : options.GetArray()) {
    if (o.IsString())
      names.emplace_back(o.GetString(), o.GetStringLength());
    else if (o.IsObject())
      names.push_back(required_string(o, "name"));
    else
      throw malformed("options must hold option names");
  }
  return names;
}

std::vector<confidentiality_option_info> profile_infos(const rapidjson::Value& object,
                                                       const char* k) {
  std::vector<confidentiality_option_info> out;
  auto it = object.FindMember(k);
  if (it == object.MemberEnd() || !it->value.IsObject()) return out;
  for (auto& name : profile_names(it->value)) out.push_back({std::move(name), {}, {}, 0});
  return out;
}

outgoing_transaction_image read_transaction_image(const rapidjson::Value& v) {
  const auto& t = required_member(v, "transaction");
  const auto& i = required_member(v, "image");
  outgoing_transaction_image ti;
  ti.transaction.id = required_int64(t, "id");
  ti.transaction.box_id = int_or(t, "boxId", -1);
  ti.transaction.box_name = string_or(t, "boxName");
  ti.transaction.profile = profile_infos(t, "profile");
  ti.transaction.sent_image_count = int_or(t, "sentImageCount", 0);
  ti.transaction.total_image_count = int_or(t, "totalImageCount", 0);
  ti.transaction.created = int_or(t, "created", 0);
  ti.transaction.updated = int_or(t, "updated", 0);
  ti.transaction.status = string_or(t, "status");
  ti.image.id = required_int64(i, "id");
  ti.image.outgoing_transaction_id = int_or(i, "outgoingTransactionId", ti.transaction.id);
  ti.image.image_id = int_or(i, "imageId", -1);
  ti.image.sequence_number = int_or(i, "sequenceNumber", 0);
  auto sent = i.FindMember("sent");
  ti.image.sent = sent != i.MemberEnd() && sent->value.IsBool() && sent->value.GetBool();
  return ti;
}

}  // namespace

std::string encode(const box& b) {
  return write([&](writer& w) { write_box(w, b); });
}
std::string encode(const std::vector<box>& list) { return write_array(list, write_box); }
std::string encode(const outgoing_transaction& t) {
  return write([&](writer& w) { write_outgoing(w, t); });
}
std::string encode(const std::vector<outgoing_transaction>& list) {
  return write_array(list, write_outgoing);
}
std::string encode(const incoming_transaction& t) {
  return write([&](writer& w) { write_incoming(w, t); });
}
std::string encode(const std::vector<incoming_transaction>& list) {
  return write_array(list, write_incoming);
}
std::string encode(const outgoing_transaction_image& ti) {
  return write([&](writer& w) { write_transaction_image(w, ti); });
}
std::string encode(const std::vector<outgoing_transaction_image>& list) {
  return write_array(list, write_transaction_image);
}

std::string encode(const failed_outgoing_image& f) {
  return write([&](writer& w) {
    w.StartObject();
    key(w, "transactionImage");
    write_transaction_image(w, f.transaction_image);
    put(w, "message", f.message);
    w.EndObject();
  });
}

std::string transaction_status(std::string_view status) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "status", status);
    w.EndObject();
  });
}

remote_box decode_remote_box_connection(std::string_view body) {
  auto doc = parse(body);
  remote_box r;
  r.name = required_string(doc, "name");
  r.default_profile = profile_names(required_member(doc, "defaultProfile"));
  return r;
}

remote_box decode_remote_box(std::string_view body) {
  auto doc = parse(body);
  remote_box r;
  r.name = required_string(doc, "name");
  r.base_url = required_string(doc, "baseUrl");
  r.default_profile = profile_names(required_member(doc, "defaultProfile"));
  return r;
}

box_send_request decode_box_send(std::string_view body) {
  auto [profile, images] = decode_bulk_anonymization(body);
  return {std::move(profile), std::move(images)};
}

std::string decode_transaction_status(std::string_view body) {
  return required_string(parse(body), "status");
}

outgoing_transaction_image decode_outgoing_transaction_image(std::string_view body) {
  return read_transaction_image(parse(body));
}

std::vector<outgoing_transaction_image> decode_outgoing_transaction_images(std::string_view body) {
  auto doc = parse(body);
  if (!doc.IsArray()) throw malformed("Expected a JSON array");
  std::vector<outgoing_transaction_image> out;
  for (const auto& v : doc.GetArray()) out.push_back(read_transaction_image(v));
  return out;
}

failed_outgoing_image decode_failed_outgoing_image(std::string_view body) {
  auto doc = parse(body);
  return {read_transaction_image(required_member(doc, "transactionImage")),
          required_string(doc, "message")};
}

}  // namespace sbx::proto::json
