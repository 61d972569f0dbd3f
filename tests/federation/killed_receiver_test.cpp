// SPDX-License-Identifier: Apache-2.0
// A receiving node killed with SIGKILL in the middle of a transfer, then started again: the
// transfer resumes from the database and every image arrives exactly once.

#include "federation/boxes.hpp"
#include "support/dicom_files.hpp"
#include "support/node_process.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

std::int64_t received(const http_client& c) {
  client_response r;
  try {
    r = c.request("GET", "/api/boxes/incoming", {}, {basic_auth("admin", "admin")});
  } catch (const std::exception&) {
    return -1;  // restarting
  }
  if (r.status != 200) return -1;
  auto doc = parse_json(r.body);
  return doc.Empty() ? 0 : doc[0]["receivedImageCount"].GetInt64();
}

}  // namespace

TEMPLATE_TEST_CASE("a receiver killed mid-transfer and restarted gets every image once",
                   "[federation][integration]", sqlite_backend, postgres_backend) {
  const int count = 150;
  scratch_dir data;
  scratch_database database{TestType::value};
  const auto port = free_port();
  const std::vector<std::string> settings = {
      "SBX_DATA_DIR=" + data.path().string(), "SBX_HTTP_HOST=127.0.0.1",
      "SBX_HTTP_PORT=" + std::to_string(port), "SBX_LOG_LEVEL=warn",
      "SBX_DATABASE_URL=" + database.config().postgres_url};
  http_client c{port};
  auto up = [&] {
    try {
      return c.request("GET", "/api/system/health").status == 200;
    } catch (const std::exception&) {
      return false;  // not listening yet
    }
  };

  scratch_dir logs;  // the receiver's output, outside its data folder
  auto receiver = std::make_unique<node_process>(SBX_BINARY, settings, logs / "receiver.log");
  REQUIRE(eventually(std::chrono::seconds{20}, up));
  auto r = c.request("POST", "/api/boxes/createconnection",
                     R"({"name":"sender","defaultProfile":{"options":[]}})",
                     {basic_auth("admin", "admin"), {"Content-Type", "application/json"}});
  REQUIRE(r.status == 201);
  const std::string url = parse_json(r.body)["baseUrl"].GetString();

  running_node sender{TestType::value, [](sbx::app::config& c) {
                        fast_boxes(c);
                        c.box_parallelism = 2;  // a slower transfer, to be cut in the middle
                        c.box_max_attempts = 1000;
                      }};
  auto box = connect_box(sender, "receiver", url)["id"].GetInt64();
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i)
    ids.push_back(
        upload_image(sender, f1_in("P" + std::to_string(i % 5), "st" + std::to_string(i % 9),
                                   "se" + std::to_string(i), "so" + std::to_string(i))));
  send_images(sender, box, ids);

  REQUIRE(eventually(std::chrono::seconds{60}, [&] { return received(c) >= 10; }));
  receiver->kill();
  const auto at_kill = first_of(sender, "/api/boxes/outgoing")["sentImageCount"].GetInt64();
  CHECK(at_kill < count);
  receiver = std::make_unique<node_process>(SBX_BINARY, settings, logs / "receiver.log");
  REQUIRE(eventually(std::chrono::seconds{20}, up));

  REQUIRE(eventually(std::chrono::seconds{120}, [&] { return outgoing_is(sender, "FINISHED"); }));
  REQUIRE(eventually(std::chrono::seconds{10}, [&] { return received(c) == count; }));
  auto images = c.request("POST", "/api/metadata/images/query",
                          R"({"startIndex":0,"count":1000000,"queryProperties":[]})",
                          {basic_auth("admin", "admin"), {"Content-Type", "application/json"}});
  CHECK(parse_json(images.body).Size() == static_cast<unsigned>(count));
  auto t = first_of(sender, "/api/boxes/outgoing");
  CHECK(t["sentImageCount"].GetInt64() == count);
  CHECK(t["skippedImageCount"].GetInt64() == 0);
}
