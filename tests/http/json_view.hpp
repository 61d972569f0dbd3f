// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "support/http_client.hpp"

namespace sbx::test {

/// Parses a response body that must be JSON.
inline rapidjson::Document parse_json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError()) throw std::runtime_error("not JSON: " + body);
  return doc;
}

/// The `id` of the object an answer carries (what a POST created); throws, quoting the answer,
/// when there is none. Throws rather than fails a Catch2 assertion: it is safe on any thread.
inline std::int64_t id_of(const client_response& r) {
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("id") || !doc["id"].IsInt64())
    throw std::runtime_error("no id in the answer (status " + std::to_string(r.status) +
                             "): " + r.body.substr(0, 300));
  return doc["id"].GetInt64();
}

}  // namespace sbx::test
