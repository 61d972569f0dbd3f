// SPDX-License-Identifier: Apache-2.0
// /api/scps and the SCPs in GET /api/sources over HTTP, and what a created SCP does: C-ECHO,
// C-STORE into the node with an `scp` source, port release on delete, SCPs back after a restart.
#include <catch2/catch.hpp>
#include <set>

#include "dicom/dimse_scp.hpp"
#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

const std::string fixtures = SBX_FIXTURES_DIR;

std::string scp_body(const std::string& name, const std::string& ae, std::int64_t port) {
  return R"({"id":-1,"name":")" + name + R"(","aeTitle":")" + ae + R"(","port":)" +
         std::to_string(port) + "}";
}

/// Creates an SCP through the API and returns its record.
rapidjson::Document create_scp(const running_node& n, const std::string& name,
                               const std::string& ae, std::uint16_t port) {
  auto r = n.admin("POST", "/api/scps", scp_body(name, ae, port));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return parse_json(r.body);
}

/// Every image the node holds, in id order.
rapidjson::Document all_images(const running_node& n) {
  auto r = n.admin("POST", "/api/metadata/images/query",
                   R"({"startIndex":0,"count":100000,"queryProperties":[]})");
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

}  // namespace

TEMPLATE_TEST_CASE("SCPs are created, listed and deleted", "[http][scp]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  const auto port = free_port();
  auto created = create_scp(n, "PACS in", "SLICEBOX", port);
  CHECK(created["id"].GetInt64() > 0);
  CHECK(std::string(created["name"].GetString()) == "PACS in");
  CHECK(std::string(created["aeTitle"].GetString()) == "SLICEBOX");
  CHECK(created["port"].GetInt64() == port);
  CHECK(created["queryRetrieve"].GetBool());  // on unless the request says otherwise
  const auto id = std::to_string(created["id"].GetInt64());

  auto list = parse_json(n.admin("GET", "/api/scps").body);
  REQUIRE(list.Size() == 1);
  CHECK(list[0]["id"].GetInt64() == created["id"].GetInt64());
  CHECK(parse_json(n.admin("GET", "/api/scps?startindex=1").body).Size() == 0);
  CHECK(n.admin("GET", "/api/scps?count=-1").status == 400);

  CHECK(n.admin("DELETE", "/api/scps/" + id).status == 204);
  CHECK(n.admin("GET", "/api/scps").body == "[]");
  CHECK(n.admin("DELETE", "/api/scps/" + id).status == 204);  // always 204
}

TEMPLATE_TEST_CASE("SCP creation is validated with Slicebox's messages", "[http][scp]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto refused = [&](const std::string& body, const std::string& message) {
    auto r = n.admin("POST", "/api/scps", body);
    CHECK(r.status == 400);
    CHECK(r.body == message);
  };
  const auto port = free_port();
  refused(scp_body("a", "SLICEBOX", -1), "Port must be a value between 0 and 65535");
  refused(scp_body("a", "SLICEBOX", 66000), "Port must be a value between 0 and 65535");
  refused(scp_body("a", "   ", port), "Ae title must not be empty");
  refused(scp_body("a", "ABCDEFGHIJKLMNOPQ", port),
          "Ae title must not exceed 16 characters, excluding leading and trailing epaces.");
  CHECK(n.admin("GET", "/api/scps").body == "[]");
  CHECK(n.admin("POST", "/api/scps", R"({"name":"a","aeTitle":"X","port":1})").status == 400);
  CHECK(n.admin("POST", "/api/scps", "{").status == 400);
  CHECK(n.admin("POST", "/api/scps",
                R"({"id":-1,"name":"a","aeTitle":"X","port":1,"queryRetrieve":"no"})")
            .status == 400);

  // 16 characters once trimmed; stored as given.
  auto trimmed = create_scp(n, "sixteen", " ABCDEFGHIJKLMNOP ", port);
  CHECK(std::string(trimmed["aeTitle"].GetString()) == " ABCDEFGHIJKLMNOP ");
  CHECK(eventually([&] { return echo_succeeds(port, "ABCDEFGHIJKLMNOP"); }));

  // The same name returns the existing record, without validation.
  auto again = n.admin("POST", "/api/scps", scp_body("sixteen", "", -5));
  CHECK(again.status == 201);
  CHECK(id_of(again) == trimmed["id"].GetInt64());

  // A port another SCP has, or another program holds.
  refused(scp_body("other", "OTHER", port), "Port " + std::to_string(port) + " is already in use");
  const auto taken = free_port();
  sbx::dicom::scp_settings foreign;
  foreign.ae_title = "FOREIGN";
  foreign.port = taken;
  sbx::dicom::dimse_scp holder{foreign};
  refused(scp_body("other", "OTHER", taken),
          "Port " + std::to_string(taken) + " is already in use");
  CHECK(parse_json(n.admin("GET", "/api/scps").body).Size() == 1);
}

TEMPLATE_TEST_CASE("SCPs are administered by administrators and listed for users", "[http][scp]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  REQUIRE(n.admin("POST", "/api/users", R"({"user":"bob","role":"USER","password":"p"})").status ==
          201);
  auto created = create_scp(n, "PACS in", "SLICEBOX", free_port());
  const auto id = std::to_string(created["id"].GetInt64());
  CHECK(n.as("bob", "p", "GET", "/api/scps").status == 200);
  CHECK(n.as("bob", "p", "POST", "/api/scps", scp_body("b", "B", free_port())).status == 403);
  CHECK(n.as("bob", "p", "DELETE", "/api/scps/" + id).status == 403);
  CHECK(n.client().request("GET", "/api/scps").status == 401);
}

TEMPLATE_TEST_CASE("GET /sources lists users, then SCPs, then import sessions", "[http][scp]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto first = create_scp(n, "first", "FIRST", free_port());
  create_scp(n, "second", "SECOND", free_port());
  REQUIRE(n.admin("POST", "/api/import/sessions", R"({"id":-1,"name":"batch"})").status == 201);
  auto sources = parse_json(n.admin("GET", "/api/sources").body);
  REQUIRE(sources.Size() == 4);
  auto type = [&](int i) { return std::string(sources[i]["sourceType"].GetString()); };
  auto name = [&](int i) { return std::string(sources[i]["sourceName"].GetString()); };
  CHECK(type(0) == "user");
  CHECK((type(1) == "scp" && name(1) == "first"));
  CHECK(sources[1]["sourceId"].GetInt64() == first["id"].GetInt64());
  CHECK((type(2) == "scp" && name(2) == "second"));
  CHECK((type(3) == "import" && name(3) == "batch"));
}

TEMPLATE_TEST_CASE("a C-STORE to an SCP is stored with the SCP as its source", "[http][scp]",
                   sqlite_backend, postgres_backend) {
  require_tool("storescu");
  running_node n{TestType::value};
  const auto port = free_port();
  auto created = create_scp(n, "PACS in", "SLICEBOX", port);
  CHECK(eventually([&] { return echo_succeeds(port, "SLICEBOX"); }));
  CHECK_FALSE(echo_succeeds(port, "OTHER"));

  auto [rc, out] = run_command("TCP_NODELAY=1 storescu -aec SLICEBOX 127.0.0.1 " +
                               std::to_string(port) + " " + fixtures + "/test.dcm 2>&1");
  INFO(out);
  REQUIRE(rc == 0);
  // The response came after the image was stored: it is there at once.
  auto images = all_images(n);
  REQUIRE(images.Size() == 1);
  auto series = std::to_string(images[0]["seriesId"].GetInt64());
  auto source = parse_json(n.admin("GET", "/api/metadata/series/" + series + "/source").body);
  CHECK(std::string(source["sourceType"].GetString()) == "scp");
  CHECK(std::string(source["sourceName"].GetString()) == "PACS in");
  CHECK(source["sourceId"].GetInt64() == created["id"].GetInt64());
  CHECK(n.admin("GET",
                "/api/metadata/patients?sources=scp:" + std::to_string(created["id"].GetInt64()))
            .body.find("patientName") != std::string::npos);

  // Secondary Capture is not image data: refused at negotiation (docs/api.md#scps).
  CHECK(run_command("TCP_NODELAY=1 storescu -R -aec SLICEBOX 127.0.0.1 " + std::to_string(port) +
                    " " + fixtures + "/sc.dcm 2>&1")
            .first != 0);
  CHECK(all_images(n).Size() == 1);

  // Deleting the SCP closes its port.
  CHECK(n.admin("DELETE", "/api/scps/" + std::to_string(created["id"].GetInt64())).status == 204);
  CHECK_FALSE(echo_succeeds(port, "SLICEBOX"));
  CHECK_NOTHROW(sbx::dicom::probe_port(port));
}

TEMPLATE_TEST_CASE("SCPs listen again after a restart", "[http][scp]", sqlite_backend,
                   postgres_backend) {
  scratch_database db{TestType::value};
  scratch_dir data;
  auto start = [&] {
    sbx::app::config c;
    c.data_dir = data.path();
    c.http_host = "127.0.0.1";
    c.http_port = 0;
    c.log_level = "warn";
    c.database_url = db.config().postgres_url;
    c.sqlite_path = db.config().sqlite_path;
    return std::make_unique<sbx::app::node>(c);
  };
  const auto port = free_port();
  {
    auto node = start();
    auto r = http_client{node->port()}.request("POST", "/api/scps", scp_body("kept", "KEPT", port),
                                               {basic_auth("admin", "admin")});
    REQUIRE(r.status == 201);
    CHECK(eventually([&] { return echo_succeeds(port, "KEPT"); }));
  }
  CHECK_FALSE(echo_succeeds(port, "KEPT"));  // the node's shutdown closed the port
  {
    auto node = start();
    // (Retried: a loaded machine may take a moment to schedule the listener's first accept.)
    CHECK(eventually([&] { return echo_succeeds(port, "KEPT"); }));
    auto list =
        http_client{node->port()}.request("GET", "/api/scps", "", {basic_auth("admin", "admin")});
    CHECK(parse_json(list.body).Size() == 1);
  }
}

TEMPLATE_TEST_CASE("an SCP's start and stop are logged as Slicebox words them", "[http][scp]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  const auto port = free_port();
  const auto id = std::to_string(create_scp(n, "PACS in", "SLICEBOX", port)["id"].GetInt64());
  auto messages = [&] {
    std::multiset<std::string> out;
    auto entries = parse_json(n.admin("GET", "/api/log?subject=SCP&type=INFO").body);
    for (const auto& e : entries.GetArray()) out.emplace(e["message"].GetString());
    return out;
  };
  const auto started = "Started SCP PACS in with AE title SLICEBOX on port " + std::to_string(port);
  CHECK(messages() == std::multiset<std::string>{started});
  CHECK(n.admin("DELETE", "/api/scps/" + id).status == 204);
  CHECK(messages() == std::multiset<std::string>{started, "Stopped SCP PACS in"});
}
