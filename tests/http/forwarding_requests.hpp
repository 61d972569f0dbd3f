// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "http/json_view.hpp"
#include "http/running_node.hpp"

// The requests the forwarding tests make over and over.
namespace sbx::test {

/// A `ForwardingRule` body.
inline std::string rule_body(const std::string& source_type, std::int64_t source_id,
                             const std::string& destination_type, std::int64_t destination_id,
                             bool keep_images, const std::string& source_name = "a source",
                             const std::string& destination_name = "a destination") {
  return R"({"id":-1,"source":{"sourceType":")" + source_type + R"(","sourceName":")" +
         source_name + R"(","sourceId":)" + std::to_string(source_id) +
         R"(},"destination":{"destinationType":")" + destination_type + R"(","destinationName":")" +
         destination_name + R"(","destinationId":)" + std::to_string(destination_id) +
         R"(},"keepImages":)" + (keep_images ? "true" : "false") + "}";
}

/// Creates a rule (201 required); its id.
inline std::int64_t create_rule(const running_node& n, const std::string& body) {
  auto r = n.admin("POST", "/api/forwarding/rules", body);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return parse_json(r.body)["id"].GetInt64();
}

/// The id of the superuser admin: the source of what the tests upload.
inline std::int64_t admin_id(const running_node& n) {
  auto users = parse_json(n.admin("GET", "/api/users").body);
  for (const auto& u : users.GetArray())
    if (std::string(u["user"].GetString()) == "admin") return u["id"].GetInt64();
  FAIL("no user admin");
  return -1;
}

/// The messages of the log entries of a subject, oldest first.
inline std::vector<std::string> log_messages(const running_node& n, const std::string& subject) {
  auto entries = parse_json(n.admin("GET", "/api/log?count=100000&subject=" + subject).body);
  std::vector<std::string> out;
  for (const auto& e : entries.GetArray()) out.insert(out.begin(), e["message"].GetString());
  return out;
}

/// True if a log entry of the subject contains `text`.
inline bool logged(const running_node& n, const std::string& subject, const std::string& text) {
  for (const auto& m : log_messages(n, subject))
    if (m.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace sbx::test
