// SPDX-License-Identifier: Apache-2.0
#pragma once

// Writing and reading helpers shared by the JSON codecs of proto/ (json.cpp, box_json.cpp). Not
// part of any interface: include it only from a codec's .cpp.

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/json.hpp"

namespace sbx::proto::json::support {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

inline void put(writer& w, std::string_view k, std::string_view value) {
  key(w, k);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

inline void put(writer& w, std::string_view k, std::int64_t value) {
  key(w, k);
  w.Int64(value);
}

/// A boolean member (not an overload of put: an int argument would match both).
inline void put_flag(writer& w, std::string_view k, bool value) {
  key(w, k);
  w.Bool(value);
}

/// The text `f(writer)` writes.
template <class F>
std::string write(F&& f) {
  rapidjson::StringBuffer buffer;
  writer w{buffer};
  f(w);
  return {buffer.GetString(), buffer.GetSize()};
}

/// A JSON array of `items`, each written by `item(writer, x)`.
template <class T, class F>
std::string write_array(const std::vector<T>& items, F&& item) {
  return write([&](writer& w) {
    w.StartArray();
    for (const auto& x : items) item(w, x);
    w.EndArray();
  });
}

/// Parses a request body (UTF-8 validated, nesting bounded); throws malformed with RapidJSON's
/// reason and offset.
inline rapidjson::Document parse(std::string_view body) {
  rapidjson::Document doc;
  check_nesting(body);
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError())
    throw malformed(std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " (at offset " +
                    std::to_string(doc.GetErrorOffset()) + ")");
  return doc;
}

/// parse(), and the body must be an object.
inline rapidjson::Document parse_object(std::string_view body) {
  auto doc = parse(body);
  if (!doc.IsObject()) throw malformed("Expected a JSON object");
  return doc;
}

/// Member `k` of `object`; throws malformed when `object` is not an object or lacks it.
inline const rapidjson::Value& required_member(const rapidjson::Value& object, const char* k) {
  if (!object.IsObject()) throw malformed("Expected a JSON object");
  auto it = object.FindMember(k);
  if (it == object.MemberEnd())
    throw malformed(std::string("Object is missing required member '") + k + "'");
  return it->value;
}

inline std::string required_string(const rapidjson::Value& object, const char* k) {
  const auto& v = required_member(object, k);
  if (!v.IsString()) throw malformed(std::string("Member '") + k + "' must be a string");
  std::string text{v.GetString(), v.GetStringLength()};
  // No stored text can hold a NUL (PostgreSQL refuses it), so no request text may carry one.
  if (text.find('\0') != std::string::npos)
    throw malformed(std::string("Member '") + k + "' must not contain NUL characters");
  return text;
}

inline std::int64_t required_int64(const rapidjson::Value& object, const char* k) {
  const auto& v = required_member(object, k);
  if (!v.IsInt64()) throw malformed(std::string("Member '") + k + "' must be an integer");
  return v.GetInt64();
}

inline const rapidjson::Value& required_array(const rapidjson::Value& object, const char* k) {
  const auto& v = required_member(object, k);
  if (!v.IsArray()) throw malformed(std::string("Member '") + k + "' must be an array");
  return v;
}

}  // namespace sbx::proto::json::support
