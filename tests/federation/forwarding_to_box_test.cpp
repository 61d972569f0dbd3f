// SPDX-License-Identifier: Apache-2.0
// A forwarding rule whose destination is a box (docs/forwarding.md): what arrives from a source
// goes on to another node by itself, and with keepImages=false leaves this node once delivered.
#include "federation/boxes.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

namespace {

void fast_forwarding(sbx::app::config& c) {
  fast_boxes(c);
  c.forwarding_batch_idle = std::chrono::milliseconds{500};
  c.forwarding_retry_initial = std::chrono::milliseconds{200};
  c.forwarding_retry_max = std::chrono::milliseconds{1000};
}

std::int64_t admin_id(const running_node& n) {
  auto users = parse_json(n.admin("GET", "/api/users").body);
  for (const auto& u : users.GetArray())
    if (std::string(u["user"].GetString()) == "admin") return u["id"].GetInt64();
  FAIL("no admin user");
  return -1;
}

}  // namespace

TEMPLATE_TEST_CASE("a forwarding rule sends what a user uploads on to a box, then deletes it",
                   "[federation][integration]", sqlite_backend, postgres_backend) {
  running_node pub{TestType::value, fast_boxes};
  running_node hidden{TestType::value, fast_forwarding};
  auto pair = connect_pair(pub, hidden);
  auto rule = hidden.admin(
      "POST", "/api/forwarding/rules",
      R"({"id":-1,"source":{"sourceType":"user","sourceName":"admin","sourceId":)" +
          std::to_string(admin_id(hidden)) +
          R"(},"destination":{"destinationType":"box","destinationName":"public","destinationId":)" +
          std::to_string(pair.push_box) + R"(},"keepImages":false})");
  INFO(rule.body);
  REQUIRE(rule.status == 201);

  upload_image(hidden, f1_in("Bob", "st1", "se1", "so1"));
  upload_image(hidden, f1_in("Bob", "st1", "se1", "so2"));
  upload_image(hidden, f1_in("Eve", "st2", "se2", "so3"));

  // Delivered once, anonymized with the box's default profile, then gone from the sender.
  REQUIRE(eventually(std::chrono::seconds{60}, [&] { return image_count(pub) == 3; }));
  REQUIRE(eventually(std::chrono::seconds{60}, [&] { return image_count(hidden) == 0; }));
  // One batch, or more if the machine paused between uploads longer than the idle time.
  auto outgoing = parse_json(hidden.admin("GET", "/api/boxes/outgoing").body);
  std::int64_t total = 0;
  for (const auto& t : outgoing.GetArray()) {
    total += t["totalImageCount"].GetInt64();
    CHECK(std::string(t["status"].GetString()) == "FINISHED");
  }
  CHECK(total == 3);
  auto names = parse_json(pub.admin("GET", "/api/metadata/patients?count=100").body);
  for (const auto& p : names.GetArray())
    CHECK(std::string(p["patientName"]["value"].GetString()) != "Bob");
  CHECK(hidden.admin("GET", "/api/log").body.find("Forwarding ") != std::string::npos);
}
