// SPDX-License-Identifier: Apache-2.0
// The box management operations on one node: GET/POST/DELETE /api/boxes... (docs/federation.md).
#include "federation/boxes.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

namespace {

const std::string uuid = "5c0e9a4e-8a0b-4a55-9a43-1c1a7b3c2f10";

std::string remote_box(const std::string& name, const std::string& url) {
  return R"({"name":")" + name + R"(","baseUrl":")" + url + R"(","defaultProfile":)" +
         basic_profile + "}";
}

}  // namespace

TEMPLATE_TEST_CASE("boxes are created, connected, listed and deleted", "[federation][http]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};

  // createconnection: a POLL box whose URL ends in a fresh token.
  auto poll = create_connection(n, "hospital");
  CHECK(std::string(poll["sendMethod"].GetString()) == "POLL");
  const std::string token = poll["token"].GetString();
  CHECK(token.size() == 36);
  CHECK(std::string(poll["baseUrl"].GetString()) ==
        "http://127.0.0.1:" + std::to_string(n.port()) + "/api/transactions/" + token);
  CHECK(poll["defaultProfile"]["options"][0]["title"].GetString() == std::string("Basic Profile"));
  CHECK_FALSE(poll["online"].GetBool());
  CHECK(create_connection(n, "hospital")["id"].GetInt64() == poll["id"].GetInt64());
  CHECK(n.admin("POST", "/api/boxes/createconnection", "[]").status == 400);
  CHECK(n.admin("POST", "/api/boxes/createconnection",
                R"({"name":"x","defaultProfile":{"options":[{"name":"NO_SUCH"}]}})")
            .status == 400);
  CHECK(count_of(n, "/api/boxes") == 1);

  // connect: a PUSH box; the path before the token is not checked.
  auto push = connect_box(n, "mybox", "http://some.url/api/box/" + uuid);
  CHECK(std::string(push["sendMethod"].GetString()) == "PUSH");
  CHECK(std::string(push["name"].GetString()) == "mybox");
  CHECK(std::string(push["token"].GetString()) == uuid);
  CHECK(connect_box(n, "mybox", "http://some.url/api/box/" + uuid)["id"].GetInt64() ==
        push["id"].GetInt64());
  CHECK(n.admin("POST", "/api/boxes/connect", remote_box("mybox", "http://other/api/box/" + uuid))
            .status == 400);
  CHECK(n.admin("POST", "/api/boxes/createconnection",
                R"({"name":"mybox","defaultProfile":{"options":[]}})")
            .status == 400);
  CHECK(n.admin("POST", "/api/boxes/connect", remote_box("hospital", "http://a/" + uuid)).status ==
        400);
  connect_box(n, "second", "http://some.url/api/box/" + uuid);  // same URL, other name
  CHECK(n.admin("POST", "/api/boxes/connect", remote_box("bad", "")).status == 400);
  CHECK(n.admin("POST", "/api/boxes/connect", remote_box("bad", "malformed/url")).status == 400);
  // Boxes with an empty default profile exist too.
  create_connection(n, "empty", R"({"options":[]})");
  CHECK(count_of(n, "/api/boxes") == 4);
  CHECK(count_of(n, "/api/boxes?startindex=0&count=1") == 1);
  CHECK(n.admin("GET", "/api/boxes?count=-1").status == 400);

  // Only admins create and delete; users list.
  n.admin("POST", "/api/users", R"({"user":"u","role":"USER","password":"p"})");
  CHECK(n.as("u", "p", "POST", "/api/boxes/createconnection",
             R"({"name":"y","defaultProfile":{"options":[]}})")
            .status == 403);
  CHECK(n.as("u", "p", "GET", "/api/boxes").status == 200);
  CHECK(n.client().request("GET", "/api/boxes").status == 401);

  // Boxes are sources and destinations.
  auto sources = n.admin("GET", "/api/sources").body;
  CHECK(sources.find(R"({"sourceType":"box","sourceName":"hospital")") != std::string::npos);
  auto destinations = n.admin("GET", "/api/destinations").body;
  CHECK(destinations.find(R"({"destinationType":"box","destinationName":"mybox")") !=
        std::string::npos);

  CHECK(n.admin("DELETE", "/api/boxes/" + std::to_string(poll["id"].GetInt64())).status == 204);
  CHECK(n.admin("DELETE", "/api/boxes/999").status == 204);
  CHECK(count_of(n, "/api/boxes") == 3);
  // Its token no longer opens the transaction routes.
  CHECK(n.client().request("GET", "/api/transactions/" + token + "/outgoing/poll").status == 401);
}

TEMPLATE_TEST_CASE("sends queue outgoing transactions; their images follow deletions",
                   "[federation][http]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto box = create_connection(n, "hospital")["id"].GetInt64();
  auto image = upload_image(n, fixture("test.dcm"));
  REQUIRE_FALSE(image.empty());

  send_images(n, box, {image});
  send_images(n, box, {});  // accepted; never progresses (as in Slicebox 2.1.1)
  CHECK(n.admin("POST", "/api/boxes/999/send", send_body({image})).status == 404);
  CHECK(n.admin("POST", "/api/boxes/" + std::to_string(box) + "/send",
                send_body({image}, R"([{"tagPath":{"name":"NoSuchKeyword"},"value":"x"}])"))
            .status == 400);
  CHECK(count_of(n, "/api/boxes/outgoing") == 2);
  auto t = first_of(n, "/api/boxes/outgoing?startindex=1");
  CHECK(std::string(t["status"].GetString()) == "WAITING");
  CHECK(t["totalImageCount"].GetInt64() == 1);
  CHECK(t["profile"]["options"][0]["name"].GetString() == std::string("BASIC_PROFILE"));
  const auto id = std::to_string(t["id"].GetInt64());
  CHECK(count_of(n, "/api/boxes/outgoing/" + id + "/images") == 1);
  CHECK(count_of(n, "/api/boxes/outgoing/666/images") == 0);

  // A deleted image leaves its transaction.
  CHECK(n.admin("DELETE", "/api/images/" + image).status == 204);
  REQUIRE(eventually([&] { return count_of(n, "/api/boxes/outgoing/" + id + "/images") == 0; }));

  n.admin("POST", "/api/users", R"({"user":"u","role":"USER","password":"p"})");
  CHECK(n.as("u", "p", "DELETE", "/api/boxes/outgoing/" + id).status == 204);
  CHECK(n.as("u", "p", "DELETE", "/api/boxes/outgoing/" + id).status == 204);
  CHECK(count_of(n, "/api/boxes/outgoing") == 1);
  CHECK(count_of(n, "/api/boxes/incoming") == 0);
  CHECK(n.as("u", "p", "DELETE", "/api/boxes/incoming/5").status == 204);
  CHECK(count_of(n, "/api/boxes/incoming/5/images") == 0);
}
