// SPDX-License-Identifier: Apache-2.0
// Spec part A §11.5 over HTTP: test cases 52-59.
#include <catch2/catch.hpp>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/dicom_files.hpp"

using namespace sbx::test;

namespace {

const std::string session_body =
    R"({"id":-1,"name":"importSessionName","userId":-1,"user":"","filesImported":0,"filesAdded":0,"filesRejected":0,"created":0,"lastUpdated":0})";

std::string create_session(const running_node& n) {
  auto r = n.admin("POST", "/api/import/sessions", session_body);
  REQUIRE(r.status == 201);
  auto doc = parse_json(r.body);
  CHECK(doc["id"].GetInt64() != -1);
  CHECK(std::string(doc["user"].GetString()) == "admin");
  return std::to_string(doc["id"].GetInt64());
}

client_response upload_to(const running_node& n, const std::string& session,
                          const std::string& bytes, const std::string& filename = "test.dcm") {
  std::string boundary = "xYzZY";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                     "\"\r\n\r\n" + bytes + "\r\n--" + boundary + "--\r\n";
  return n.client().request("POST", "/api/import/sessions/" + session + "/images", body,
                            {basic_auth("admin", "admin"),
                             {"Content-Type", "multipart/form-data; boundary=" + boundary}});
}

void check_counters(const running_node& n, const std::string& session, int imported, int added,
                    int rejected) {
  auto s = parse_json(n.admin("GET", "/api/import/sessions/" + session).body);
  CHECK(s["filesImported"].GetInt() == imported);
  CHECK(s["filesAdded"].GetInt() == added);
  CHECK(s["filesRejected"].GetInt() == rejected);
}

}  // namespace

TEMPLATE_TEST_CASE("import sessions are created, listed, fetched and deleted", "[http][import]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = create_session(n);
  auto list = parse_json(n.admin("GET", "/api/import/sessions").body);
  REQUIRE(list.Size() == 1);
  CHECK(std::string(list[0]["name"].GetString()) == "importSessionName");
  CHECK(n.admin("GET", "/api/import/sessions/" + id).status == 200);
  CHECK(n.admin("GET", "/api/import/sessions/666").status == 404);
  auto sources = n.admin("GET", "/api/sources").body;
  CHECK(sources.find(R"("sourceType":"import","sourceName":"importSessionName")") !=
        std::string::npos);
  CHECK(n.admin("DELETE", "/api/import/sessions/" + id).status == 204);
  CHECK(n.admin("GET", "/api/import/sessions").body == "[]");
  CHECK(n.admin("DELETE", "/api/import/sessions/123456789").status == 204);
}

TEMPLATE_TEST_CASE("an import session name belongs to one user", "[http][import]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto id = create_session(n);
  CHECK(create_session(n) == id);
  n.admin("POST", "/api/users", R"({"user":"bob","role":"USER","password":"p"})");
  auto other = n.as("bob", "p", "POST", "/api/import/sessions", session_body);
  CHECK(other.status == 400);
  CHECK(other.body ==
        "An import session with name importSessionName and user admin already exists");
}

TEMPLATE_TEST_CASE("uploads into a session count added, existing and rejected files",
                   "[http][import]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = create_session(n);
  auto first = upload_to(n, id, fixture("test.dcm"));
  REQUIRE(first.status == 201);
  check_counters(n, id, 1, 1, 0);
  CHECK(upload_to(n, id, fixture("test.dcm")).status == 200);
  check_counters(n, id, 2, 1, 0);
  auto images = parse_json(n.admin("GET", "/api/import/sessions/" + id + "/images").body);
  REQUIRE(images.Size() == 1);
  CHECK(images[0]["id"].GetInt64() == parse_json(first.body)["id"].GetInt64());
  auto source =
      parse_json(n.admin("GET", "/api/metadata/series/" +
                                    std::to_string(images[0]["seriesId"].GetInt64()) + "/source")
                     .body);
  CHECK(std::string(source["sourceType"].GetString()) == "import");
  CHECK(std::string(source["sourceName"].GetString()) == "importSessionName");
  CHECK(n.admin("GET", "/api/import/sessions/666/images").body == "[]");
}

TEMPLATE_TEST_CASE("a rejected import is counted and logged", "[http][import]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto id = create_session(n);
  auto jpeg = upload_to(n, id, fixture("cat.jpg"), "cat.jpg");
  CHECK(jpeg.status == 400);
  CHECK(jpeg.body.rfind("cat.jpg: ", 0) == 0);
  check_counters(n, id, 0, 0, 1);
  // Secondary capture is outside the image-data contexts of import sessions.
  CHECK(upload_to(n, id, fixture("sc.dcm"), "sc.dcm").status == 400);
  check_counters(n, id, 0, 0, 2);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string log;
  while (std::chrono::steady_clock::now() < deadline) {
    log = n.admin("GET", "/api/log?subject=Import&type=ERROR").body;
    if (log.find("during import of sc.dcm") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(log.find("during import of cat.jpg") != std::string::npos);
  CHECK(log.find("during import of sc.dcm") != std::string::npos);
  CHECK(upload_to(n, "666", fixture("test.dcm")).status == 404);
}
