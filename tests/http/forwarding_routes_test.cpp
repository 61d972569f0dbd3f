// SPDX-License-Identifier: Apache-2.0
// /api/forwarding/rules: list, create (the same source and destination answer the existing
// rule), delete; bodies that are not a ForwardingRule are 400.
#include <catch2/catch.hpp>

#include "http/forwarding_requests.hpp"

using namespace sbx::test;

TEMPLATE_TEST_CASE("forwarding rules are created once per source and destination, listed, deleted",
                   "[http][forwarding]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  CHECK(n.admin("GET", "/api/forwarding/rules").body == "[]");

  auto r =
      n.admin("POST", "/api/forwarding/rules", rule_body("scp", 4, "scu", 9, true, "in", "out"));
  REQUIRE(r.status == 201);
  auto rule = parse_json(r.body);
  const auto id = rule["id"].GetInt64();
  CHECK(id > 0);
  CHECK(std::string(rule["source"]["sourceType"].GetString()) == "scp");
  CHECK(std::string(rule["source"]["sourceName"].GetString()) == "in");
  CHECK(rule["source"]["sourceId"].GetInt64() == 4);
  CHECK(std::string(rule["destination"]["destinationType"].GetString()) == "scu");
  CHECK(std::string(rule["destination"]["destinationName"].GetString()) == "out");
  CHECK(rule["destination"]["destinationId"].GetInt64() == 9);
  CHECK(rule["keepImages"].GetBool());

  // The same source and destination: the existing rule, unchanged (names and keepImages too).
  auto again = n.admin("POST", "/api/forwarding/rules",
                       rule_body("scp", 4, "scu", 9, false, "other", "names"));
  CHECK(again.status == 201);
  CHECK(again.body == r.body);

  auto second = create_rule(n, rule_body("scp", 4, "box", 9, false));
  auto list = parse_json(n.admin("GET", "/api/forwarding/rules").body);
  REQUIRE(list.Size() == 2);
  CHECK(list[0]["id"].GetInt64() == id);
  auto page = parse_json(n.admin("GET", "/api/forwarding/rules?startindex=1&count=1").body);
  REQUIRE(page.Size() == 1);
  CHECK(page[0]["id"].GetInt64() == second);
  CHECK(n.admin("GET", "/api/forwarding/rules?count=-1").status == 400);

  CHECK(n.admin("DELETE", "/api/forwarding/rules/" + std::to_string(id)).status == 204);
  CHECK(n.admin("DELETE", "/api/forwarding/rules/" + std::to_string(id)).status == 204);
  CHECK(n.admin("DELETE", "/api/forwarding/rules/987654").status == 204);
  list = parse_json(n.admin("GET", "/api/forwarding/rules").body);
  REQUIRE(list.Size() == 1);
  CHECK(list[0]["id"].GetInt64() == second);

  // Rules survive a restart.
  n.restart();
  CHECK(parse_json(n.admin("GET", "/api/forwarding/rules").body).Size() == 1);
}

TEMPLATE_TEST_CASE("forwarding rules: users read, administrators write", "[http][forwarding]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  REQUIRE(n.admin("POST", "/api/users", R"({"user":"u","role":"USER","password":"p"})").status ==
          201);
  auto id = create_rule(n, rule_body("user", 1, "scu", 1, true));
  CHECK(n.as("u", "p", "GET", "/api/forwarding/rules").status == 200);
  CHECK(n.as("u", "p", "POST", "/api/forwarding/rules", rule_body("user", 2, "scu", 1, true))
            .status == 403);
  CHECK(n.as("u", "p", "DELETE", "/api/forwarding/rules/" + std::to_string(id)).status == 403);
  CHECK(n.client().request("GET", "/api/forwarding/rules").status == 401);
  CHECK(parse_json(n.admin("GET", "/api/forwarding/rules").body).Size() == 1);
}

TEMPLATE_TEST_CASE("forwarding rules: a body that is not a ForwardingRule is 400",
                   "[http][forwarding]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto post = [&](const std::string& body) {
    return n.admin("POST", "/api/forwarding/rules", body);
  };
  const std::string good = rule_body("user", 1, "scu", 2, true);
  for (const std::string& bad : {
           std::string("not json"), std::string("[]"),
           std::string(R"({"id":-1,"source":{"sourceType":"user","sourceName":"a","sourceId":1},)"
                       R"("destination":{"destinationType":"scu","destinationName":"b",)"
                       R"("destinationId":2}})"),  // no keepImages
           std::string(R"({"id":-1,"source":{"sourceType":"user","sourceName":"a","sourceId":1},)"
                       R"("destination":{"destinationType":"scu","destinationName":"b",)"
                       R"("destinationId":2},"keepImages":"yes"})"),
           std::string(R"({"id":-1,"source":"user","destination":{"destinationType":"scu",)"
                       R"("destinationName":"b","destinationId":2},"keepImages":true})"),
           std::string(R"({"id":-1,"source":{"sourceType":"user","sourceName":"a",)"
                       R"("sourceId":"1"},"destination":{"destinationType":"scu",)"
                       R"("destinationName":"b","destinationId":2},"keepImages":true})"),
           std::string(R"({"id":-1,"source":{"sourceType":"user","sourceName":"a","sourceId":1},)"
                       R"("keepImages":true})"),  // no destination
       }) {
    INFO(bad);
    auto r = post(bad);
    CHECK(r.status == 400);
    CHECK_FALSE(r.body.empty());
  }
  // Members are named in the message.
  CHECK_THAT(post(R"({"id":-1,"source":{"sourceType":"user","sourceName":"a","sourceId":1},)"
                  R"("destination":{"destinationType":"scu","destinationName":"b",)"
                  R"("destinationId":2}})")
                 .body,
             Catch::Contains("keepImages"));
  CHECK(n.admin("POST", "/api/forwarding/rules", good).status == 201);
  CHECK(parse_json(n.admin("GET", "/api/forwarding/rules").body).Size() == 1);
}

TEMPLATE_TEST_CASE(
    "forwarding rules: ids are not checked, odd types read as unknown, a box sent "
    "its own images is warned about",
    "[http][forwarding]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  // A source and a destination that do not exist (yet).
  create_rule(n, rule_body("scp", 4242, "scu", 4343, true));
  auto odd = parse_json(
      n.admin("POST", "/api/forwarding/rules", rule_body("ftp", 1, "printer", 2, true)).body);
  CHECK(std::string(odd["source"]["sourceType"].GetString()) == "unknown");
  CHECK(std::string(odd["destination"]["destinationType"].GetString()) == "unknown");
  CHECK(logged(n, "Forwarding", "has an unknown destination type"));

  auto loop = create_rule(n, rule_body("box", 3, "box", 3, true, "uni", "uni"));
  auto entries = parse_json(n.admin("GET", "/api/log?subject=Forwarding&type=WARN").body);
  bool warned = false;
  for (const auto& e : entries.GetArray())
    warned |= std::string(e["message"].GetString()) ==
              "Forwarding rule " + std::to_string(loop) +
                  " sends the images received from box uni back to box uni";
  CHECK(warned);
  CHECK(parse_json(n.admin("GET", "/api/forwarding/rules").body).Size() == 3);
}
