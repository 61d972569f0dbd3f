// SPDX-License-Identifier: Apache-2.0
// /api/scus over HTTP: SCU records, their validation, and sends that cannot reach a peer.
#include <catch2/catch.hpp>

#include "http/scu_requests.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"

using namespace sbx::test;

TEMPLATE_TEST_CASE("SCUs are created, listed, offered as destinations and deleted", "[http][scu]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto r = n.admin("POST", "/api/scus", scu_body("PACS out", "PACS", "10.0.0.5", 104));
  REQUIRE(r.status == 201);
  auto created = parse_json(r.body);
  const auto id = created["id"].GetInt64();
  CHECK(id > 0);
  CHECK(std::string(created["name"].GetString()) == "PACS out");
  CHECK(std::string(created["aeTitle"].GetString()) == "PACS");
  CHECK(std::string(created["host"].GetString()) == "10.0.0.5");
  CHECK(created["port"].GetInt() == 104);

  // The same name again: the existing record, unchanged and unvalidated.
  auto again = n.admin("POST", "/api/scus", scu_body("PACS out", "", "other", 99999));
  CHECK(again.status == 201);
  CHECK(again.body == r.body);

  create_scu(n, "second", "B", 104, "10.0.0.6");
  auto list = parse_json(n.admin("GET", "/api/scus").body);
  REQUIRE(list.Size() == 2);
  CHECK(std::string(list[0]["name"].GetString()) == "PACS out");
  CHECK(parse_json(n.admin("GET", "/api/scus?startindex=1&count=5").body).Size() == 1);
  CHECK(n.admin("GET", "/api/scus?count=-1").status == 400);

  CHECK(n.admin("GET", "/api/destinations").body ==
        R"([{"destinationType":"scu","destinationName":"PACS out","destinationId":)" +
            std::to_string(id) +
            R"(},{"destinationType":"scu","destinationName":"second","destinationId":)" +
            std::to_string(id + 1) + "}]");

  CHECK(n.admin("DELETE", "/api/scus/" + std::to_string(id)).status == 204);
  CHECK(parse_json(n.admin("GET", "/api/scus").body).Size() == 1);
  CHECK(n.admin("DELETE", "/api/scus/123456").status == 204);
}

TEMPLATE_TEST_CASE("SCU data is validated as Slicebox does", "[http][scu]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto post = [&](const std::string& body) { return n.admin("POST", "/api/scus", body); };
  auto refused = [&](const std::string& body, const std::string& message) {
    auto r = post(body);
    CHECK(r.status == 400);
    CHECK(r.body == message);
  };
  const std::string bad_port = "Port must be a value between 0 and 65535";
  refused(scu_body("a", "AE", "h", -1), bad_port);
  refused(scu_body("b", "AE", "h", 66000), bad_port);
  refused(scu_body("c", "   ", "h", 104), "Ae title must not be empty");
  refused(scu_body("d", "ABCDEFGHIJKLMNOPQ", "h", 104),
          "Ae title must not exceed 16 characters, excluding leading and trailing epaces.");
  // 16 characters once trimmed; stored as given.
  auto ok = post(scu_body("e", " ABCDEFGHIJKLMNOP ", "h", 104));
  REQUIRE(ok.status == 201);
  CHECK(std::string(parse_json(ok.body)["aeTitle"].GetString()) == " ABCDEFGHIJKLMNOP ");
  CHECK(post(scu_body("f", "AE", "h", 0)).status == 201);
  CHECK(post(scu_body("g", "AE", "h", 65535)).status == 201);
  refused(scu_body("h", "AE", "h", 104), "Host h and port 104 is already in use");
  CHECK(post(scu_body("i", "AE", "other", 104)).status == 201);

  // Every member is required; a port must be an integer.
  CHECK(post(R"({"name":"x","aeTitle":"AE","host":"h","port":1})").status == 400);
  CHECK(post(R"({"id":-1,"aeTitle":"AE","host":"h","port":1})").status == 400);
  CHECK(post(R"({"id":-1,"name":"x","aeTitle":"AE","host":"h","port":"1"})").status == 400);
  CHECK(post("[1]").status == 400);
  CHECK(parse_json(n.admin("GET", "/api/scus").body).Size() == 4);
}

TEMPLATE_TEST_CASE("SCUs are created and deleted by administrators, used by every user",
                   "[http][scu]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  n.admin("POST", "/api/users", R"({"user":"bob","role":"USER","password":"p"})");
  CHECK(n.as("bob", "p", "POST", "/api/scus", scu_body("x", "AE", "h", 1)).status == 403);
  auto id = create_scu(n, "x", "AE", 1, "h");
  CHECK(n.as("bob", "p", "GET", "/api/scus").status == 200);
  CHECK(n.as("bob", "p", "DELETE", "/api/scus/" + id).status == 403);
  CHECK(n.client().request("GET", "/api/scus").status == 401);
  // A user may send (here to an SCU that does not exist).
  auto r = n.as("bob", "p", "POST", "/api/scus/666/send", "[1]");
  CHECK(r.status == 404);
  CHECK(r.body == "SCU with id 666 not found");
}

TEMPLATE_TEST_CASE("sends that cannot reach their peer answer 502 and delete nothing",
                   "[http][scu]", sqlite_backend, postgres_backend) {
  require_private_network();
  running_node n{TestType::value};
  auto image = upload_image(n, fixture("test.dcm"));
  const auto port = free_port();  // nothing listens there
  auto closed = create_scu(n, "closed", "PEER", port);
  auto r = n.admin("POST", "/api/scus/" + closed + "/send", "[" + image + "]");
  CHECK(r.status == 502);
  CHECK(r.body == "Connection refused on host PEER@127.0.0.1:" + std::to_string(port));

  auto unknown = create_scu(n, "unknown", "PEER", 104, "no-such-host.invalid");
  r = n.admin("POST", "/api/scus/" + unknown + "/send", "[" + image + "]");
  CHECK(r.status == 502);
  CHECK(r.body == "Unknown host PEER@no-such-host.invalid:104");

  auto unroutable = create_scu(n, "unroutable", "PEER", 104, "192.0.2.1");
  r = n.admin("POST", "/api/scus/" + unroutable + "/send", "[" + image + "]");
  CHECK(r.status == 502);
  CHECK(r.body == "No route found to host PEER@192.0.2.1:104");

  CHECK(n.admin("GET", "/api/images/" + image).body == fixture("test.dcm"));
  auto log = n.admin("GET", "/api/log?subject=SCU").body;
  CHECK(log.find("Connection refused on host PEER@127.0.0.1") != std::string::npos);
}

TEMPLATE_TEST_CASE("a send of unknown images is 404 and contacts no peer", "[http][scu]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto image = upload_image(n, fixture("test.dcm"));
  // A peer that would answer 502 if it were contacted.
  auto scu = create_scu(n, "closed", "PEER", free_port());
  CHECK(n.admin("POST", "/api/scus/" + scu + "/send", "[" + image + ",424242]").status == 404);
  CHECK(n.admin("POST", "/api/scus/" + scu + "/send", "[1,2,").status == 400);
  CHECK(n.admin("POST", "/api/scus/" + scu + "/send", R"({"ids":[1]})").status == 400);
}
