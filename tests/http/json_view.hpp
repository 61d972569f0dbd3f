// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>

namespace sbx::test {

/// Parses a response body that must be JSON.
inline rapidjson::Document parse_json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError()) throw std::runtime_error("not JSON: " + body);
  return doc;
}

}  // namespace sbx::test
