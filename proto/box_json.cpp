// SPDX-License-Identifier: Apache-2.0
#include "proto/box_json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sbx::proto::json {
namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

void text(writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void number(writer& w, std::string_view k, std::int64_t v) {
  key(w, k);
  w.Int64(v);
}

void flag(writer& w, std::string_view k, bool v) {
  key(w, k);
  w.Bool(v);
}

template <class F>
std::string written(F&& f) {
  rapidjson::StringBuffer buffer;
  writer w{buffer};
  f(w);
  return {buffer.GetString(), buffer.GetSize()};
}

template <class T, class F>
std::string written_array(const std::vector<T>& items, F&& item) {
  return written([&](writer& w) {
    w.StartArray();
    for (const auto& x : items) item(w, x);
    w.EndArray();
  });
}

/// `AnonymizationProfile` {"options":[ConfidentialityOption...]}.
void write_profile(writer& w, std::string_view k,
                   const std::vector<confidentiality_option_info>& options) {
  key(w, k);
  w.StartObject();
  key(w, "options");
  w.StartArray();
  for (const auto& o : options) {
    w.StartObject();
    text(w, "name", o.name);
    text(w, "title", o.title);
    text(w, "description", o.description);
    number(w, "rank", o.rank);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void write_box(writer& w, const box& b) {
  w.StartObject();
  number(w, "id", b.id);
  text(w, "name", b.name);
  text(w, "token", b.token);
  text(w, "baseUrl", b.base_url);
  const bool known = b.send_method == push_method || b.send_method == poll_method;
  text(w, "sendMethod", known ? b.send_method : std::string("UNKNOWN"));
  write_profile(w, "defaultProfile", b.default_profile);
  flag(w, "online", b.online);
  w.EndObject();
}

void write_outgoing(writer& w, const outgoing_transaction& t) {
  w.StartObject();
  number(w, "id", t.id);
  number(w, "boxId", t.box_id);
  text(w, "boxName", t.box_name);
  write_profile(w, "profile", t.profile);
  number(w, "sentImageCount", t.sent_image_count);
  number(w, "totalImageCount", t.total_image_count);
  number(w, "created", t.created);
  number(w, "updated", t.updated);
  text(w, "status", t.status);
  number(w, "skippedImageCount", t.skipped_image_count);
  text(w, "lastError", t.last_error);
  number(w, "lastContact", t.last_contact);
  w.EndObject();
}

void write_incoming(writer& w, const incoming_transaction& t) {
  w.StartObject();
  number(w, "id", t.id);
  number(w, "boxId", t.box_id);
  text(w, "boxName", t.box_name);
  number(w, "outgoingTransactionId", t.outgoing_transaction_id);
  number(w, "receivedImageCount", t.received_image_count);
  number(w, "addedImageCount", t.added_image_count);
  number(w, "totalImageCount", t.total_image_count);
  number(w, "created", t.created);
  number(w, "updated", t.updated);
  text(w, "status", t.status);
  text(w, "lastError", t.last_error);
  w.EndObject();
}

void write_transaction_image(writer& w, const outgoing_transaction_image& ti) {
  w.StartObject();
  key(w, "transaction");
  write_outgoing(w, ti.transaction);
  key(w, "image");
  w.StartObject();
  number(w, "id", ti.image.id);
  number(w, "outgoingTransactionId", ti.image.outgoing_transaction_id);
  number(w, "imageId", ti.image.image_id);
  number(w, "sequenceNumber", ti.image.sequence_number);
  flag(w, "sent", ti.image.sent);
  w.EndObject();
  w.EndObject();
}

rapidjson::Document parsed(std::string_view body) {
  rapidjson::Document doc;
  check_nesting(body);
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError())
    throw malformed(std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " (at offset " +
                    std::to_string(doc.GetErrorOffset()) + ")");
  return doc;
}

const rapidjson::Value& member(const rapidjson::Value& object, const char* k) {
  if (!object.IsObject()) throw malformed("Expected a JSON object");
  auto it = object.FindMember(k);
  if (it == object.MemberEnd())
    throw malformed(std::string("Object is missing required member '") + k + "'");
  return it->value;
}

std::string string_member(const rapidjson::Value& object, const char* k) {
  const auto& v = member(object, k);
  if (!v.IsString()) throw malformed(std::string("Member '") + k + "' must be a string");
  std::string s{v.GetString(), v.GetStringLength()};
  if (s.find('\0') != std::string::npos)
    throw malformed(std::string("Member '") + k + "' must not contain NUL characters");
  return s;
}

std::int64_t int_member(const rapidjson::Value& object, const char* k) {
  const auto& v = member(object, k);
  if (!v.IsInt64()) throw malformed(std::string("Member '") + k + "' must be an integer");
  return v.GetInt64();
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
  const auto& options = member(profile, "options");
  if (!options.IsArray()) throw malformed("Member 'options' must be an array");
  std::vector<std::string> names;
  for (const auto& o : options.GetArray()) {
    if (o.IsString())
      names.emplace_back(o.GetString(), o.GetStringLength());
    else if (o.IsObject())
      names.push_back(string_member(o, "name"));
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
  const auto& t = member(v, "transaction");
  const auto& i = member(v, "image");
  outgoing_transaction_image ti;
  ti.transaction.id = int_member(t, "id");
  ti.transaction.box_id = int_or(t, "boxId", -1);
  ti.transaction.box_name = string_or(t, "boxName");
  ti.transaction.profile = profile_infos(t, "profile");
  ti.transaction.sent_image_count = int_or(t, "sentImageCount", 0);
  ti.transaction.total_image_count = int_or(t, "totalImageCount", 0);
  ti.transaction.created = int_or(t, "created", 0);
  ti.transaction.updated = int_or(t, "updated", 0);
  ti.transaction.status = string_or(t, "status");
  ti.image.id = int_member(i, "id");
  ti.image.outgoing_transaction_id = int_or(i, "outgoingTransactionId", ti.transaction.id);
  ti.image.image_id = int_or(i, "imageId", -1);
  ti.image.sequence_number = int_or(i, "sequenceNumber", 0);
  auto sent = i.FindMember("sent");
  ti.image.sent = sent != i.MemberEnd() && sent->value.IsBool() && sent->value.GetBool();
  return ti;
}

}  // namespace

std::string encode(const box& b) {
  return written([&](writer& w) { write_box(w, b); });
}
std::string encode(const std::vector<box>& list) { return written_array(list, write_box); }
std::string encode(const outgoing_transaction& t) {
  return written([&](writer& w) { write_outgoing(w, t); });
}
std::string encode(const std::vector<outgoing_transaction>& list) {
  return written_array(list, write_outgoing);
}
std::string encode(const incoming_transaction& t) {
  return written([&](writer& w) { write_incoming(w, t); });
}
std::string encode(const std::vector<incoming_transaction>& list) {
  return written_array(list, write_incoming);
}
std::string encode(const outgoing_transaction_image& ti) {
  return written([&](writer& w) { write_transaction_image(w, ti); });
}
std::string encode(const std::vector<outgoing_transaction_image>& list) {
  return written_array(list, write_transaction_image);
}

std::string encode(const failed_outgoing_image& f) {
  return written([&](writer& w) {
    w.StartObject();
    key(w, "transactionImage");
    write_transaction_image(w, f.transaction_image);
    text(w, "message", f.message);
    w.EndObject();
  });
}

std::string transaction_status(std::string_view status) {
  return written([&](writer& w) {
    w.StartObject();
    text(w, "status", status);
    w.EndObject();
  });
}

remote_box decode_remote_box_connection(std::string_view body) {
  auto doc = parsed(body);
  remote_box r;
  r.name = string_member(doc, "name");
  r.default_profile = profile_names(member(doc, "defaultProfile"));
  return r;
}

remote_box decode_remote_box(std::string_view body) {
  auto doc = parsed(body);
  remote_box r;
  r.name = string_member(doc, "name");
  r.base_url = string_member(doc, "baseUrl");
  r.default_profile = profile_names(member(doc, "defaultProfile"));
  return r;
}

box_send_request decode_box_send(std::string_view body) {
  auto [profile, images] = decode_bulk_anonymization(body);
  return {std::move(profile), std::move(images)};
}

std::string decode_transaction_status(std::string_view body) {
  return string_member(parsed(body), "status");
}

outgoing_transaction_image decode_outgoing_transaction_image(std::string_view body) {
  return read_transaction_image(parsed(body));
}

std::vector<outgoing_transaction_image> decode_outgoing_transaction_images(std::string_view body) {
  auto doc = parsed(body);
  if (!doc.IsArray()) throw malformed("Expected a JSON array");
  std::vector<outgoing_transaction_image> out;
  for (const auto& v : doc.GetArray()) out.push_back(read_transaction_image(v));
  return out;
}

failed_outgoing_image decode_failed_outgoing_image(std::string_view body) {
  auto doc = parsed(body);
  return {read_transaction_image(member(doc, "transactionImage")), string_member(doc, "message")};
}

}  // namespace sbx::proto::json
