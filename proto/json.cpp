// SPDX-License-Identifier: Apache-2.0
#include "proto/json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sbx::proto::json {
namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put(writer& w, std::string_view key, std::int64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Int64(value);
}

template <class F>
std::string write(F&& f) {
  rapidjson::StringBuffer buffer;
  writer w{buffer};
  f(w);
  return {buffer.GetString(), buffer.GetSize()};
}

template <class T, class F>
std::string write_array(const std::vector<T>& items, F&& item) {
  return write([&](writer& w) {
    w.StartArray();
    for (const auto& x : items) item(w, x);
    w.EndArray();
  });
}

void write_user(writer& w, const api_user& u) {
  w.StartObject();
  put(w, "id", u.id);
  put(w, "user", u.user);
  put(w, "role", to_string(u.user_role));
  w.EndObject();
}

rapidjson::Document parse_object(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    throw malformed(std::string(rapidjson::GetParseError_En(doc.GetParseError())) +
                    " (at offset " + std::to_string(doc.GetErrorOffset()) + ")");
  if (!doc.IsObject()) throw malformed("Expected a JSON object");
  return doc;
}

std::string required_string(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd())
    throw malformed(std::string("Object is missing required member '") + key + "'");
  if (!it->value.IsString())
    throw malformed(std::string("Member '") + key + "' must be a string");
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

std::string encode(const api_user& u) {
  return write([&](writer& w) { write_user(w, u); });
}

std::string encode(const std::vector<api_user>& users) { return write_array(users, write_user); }

std::string encode(const std::vector<log_entry>& entries) {
  return write_array(entries, [](writer& w, const log_entry& e) {
    w.StartObject();
    put(w, "id", e.id);
    put(w, "created", e.created);
    put(w, "entryType", to_string(e.type));
    put(w, "subject", e.subject);
    put(w, "message", e.message);
    w.EndObject();
  });
}

std::string encode(const std::vector<source>& sources) {
  return write_array(sources, [](writer& w, const source& s) {
    w.StartObject();
    put(w, "sourceType", s.type);
    put(w, "sourceName", s.name);
    put(w, "sourceId", s.id);
    w.EndObject();
  });
}

std::string encode(const std::vector<destination>& destinations) {
  return write_array(destinations, [](writer& w, const destination& d) {
    w.StartObject();
    put(w, "destinationType", d.type);
    put(w, "destinationName", d.name);
    put(w, "destinationId", d.id);
    w.EndObject();
  });
}

std::string encode(const dictionary_vr& vr) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "name", vr.name);
    put(w, "code", vr.code);
    w.EndObject();
  });
}

std::string encode(const dictionary_vm& vm) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "min", vm.min);
    if (vm.max >= 0) put(w, "max", vm.max);
    w.EndObject();
  });
}

std::string system_information(std::string_view version) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "version", version);
    w.EndObject();
  });
}

std::string dictionary_keywords(const std::vector<std::string>& keywords) {
  return write([&](writer& w) {
    w.StartObject();
    w.Key("keywords");
    w.StartArray();
    for (const auto& k : keywords) w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.EndArray();
    w.EndObject();
  });
}

std::string dictionary_keyword(std::string_view keyword) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "keyword", keyword);
    w.EndObject();
  });
}

std::string dictionary_tag(std::uint32_t tag) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "tag", static_cast<std::int64_t>(tag));
    w.EndObject();
  });
}

credentials decode_user_pass(std::string_view body) {
  auto doc = parse_object(body);
  return {required_string(doc, "user"), required_string(doc, "pass")};
}

new_user decode_clear_text_user(std::string_view body) {
  auto doc = parse_object(body);
  new_user u;
  u.user = required_string(doc, "user");
  auto role_name = required_string(doc, "role");
  auto r = parse_role(role_name);
  if (!r) throw malformed("Unknown role '" + role_name + "'");
  u.user_role = *r;
  u.password = required_string(doc, "password");
  return u;
}

}  // namespace sbx::proto::json
