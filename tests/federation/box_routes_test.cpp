// SPDX-License-Identifier: Apache-2.0
// One node: the box management operations (`/api/boxes...`), the transaction protocol a public
// box serves (`/api/transactions/{token}/...`) driven by hand as a remote box would, and the
// image payload format (docs/federation.md).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <iterator>

#include "actors/box_payload.hpp"
#include "federation/boxes.hpp"
#include "support/dicom_files.hpp"
#include "support/scratch_files.hpp"

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

namespace {

std::string image_target(const std::string& token, int transaction, int sequence, int total) {
  return "/api/transactions/" + token + "/image?transactionid=" + std::to_string(transaction) +
         "&sequencenumber=" + std::to_string(sequence) +
         "&totalimagecount=" + std::to_string(total);
}

const header_list octets = {{"Content-Type", "application/octet-stream"}};
const header_list json_type = {{"Content-Type", "application/json"}};

}  // namespace

TEMPLATE_TEST_CASE("pushed images are stored, rejected or refused by what arrives",
                   "[federation][http]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  const auto box = create_connection(n, "hospital");
  const std::string token = box["token"].GetString();
  auto c = n.client();

  // A whole DICOM file: stored (no user needed), counted, listed.
  auto r =
      c.request("POST", image_target(token, 17, 1, 3), zlib_compress(fixture("test.dcm")), octets);
  INFO(r.body);
  CHECK(r.status == 204);
  auto t = first_of(n, "/api/boxes/incoming");
  REQUIRE(t.IsObject());
  CHECK(t["outgoingTransactionId"].GetInt64() == 17);
  CHECK(t["receivedImageCount"].GetInt64() == 1);
  CHECK(t["addedImageCount"].GetInt64() == 1);
  CHECK(std::string(t["status"].GetString()) == "PROCESSING");
  const auto incoming = std::to_string(t["id"].GetInt64());
  CHECK(count_of(n, "/api/boxes/incoming/" + incoming + "/images") == 1);
  CHECK(n.admin("GET", "/api/sources").body.find("hospital") != std::string::npos);

  // The same image again: not counted twice, and not a second image.
  CHECK(c.request("POST", image_target(token, 17, 1, 3), zlib_compress(fixture("test.dcm")), octets)
            .status == 204);
  CHECK(first_of(n, "/api/boxes/incoming")["receivedImageCount"].GetInt64() == 1);
  CHECK(image_count(n) == 1);

  // A complete payload that is not DICOM: rejected (204, counted, no image, reason kept).
  CHECK(
      c.request("POST", image_target(token, 17, 2, 3), zlib_compress("not dicom"), octets).status ==
      204);
  t = first_of(n, "/api/boxes/incoming");
  CHECK(t["receivedImageCount"].GetInt64() == 2);
  CHECK(t["addedImageCount"].GetInt64() == 1);
  CHECK(std::string(t["lastError"].GetString()).size() > 0);

  // A payload that stops early, or is not zlib at all: the sender must try again (5xx).
  auto whole = zlib_compress(fixture("test.dcm"));
  CHECK(c.request("POST", image_target(token, 17, 3, 3), whole.substr(0, whole.size() / 2), octets)
            .status == 503);
  CHECK(c.request("POST", image_target(token, 17, 3, 3), "plain text", octets).status == 503);
  CHECK(first_of(n, "/api/boxes/incoming")["receivedImageCount"].GetInt64() == 2);
  CHECK(n.temp_files() == 0);

  // Missing or bad parameters.
  r = c.request("POST", "/api/transactions/" + token + "/image?transactionid=1", whole, octets);
  CHECK(r.status == 404);
  CHECK(r.body == "Request is missing required query parameter 'sequencenumber'");
  CHECK(c.request("POST", image_target(token, 17, 3, 3) + "&x=1", whole, octets).status == 204);
  t = first_of(n, "/api/boxes/incoming");
  CHECK(std::string(t["status"].GetString()) == "FINISHED");

  // The sender's status calls.
  CHECK(c.request("GET", "/api/transactions/" + token + "/status?transactionid=17").body ==
        R"({"status":"FINISHED"})");
  CHECK(c.request("GET", "/api/transactions/" + token + "/status?transactionid=18").status == 404);
  CHECK(c.request("PUT", "/api/transactions/" + token + "/status?transactionid=17",
                  R"({"status":"FAILED"})", json_type)
            .status == 204);
  CHECK(c.request("GET", "/api/transactions/" + token + "/status?transactionid=17").body ==
        R"({"status":"FAILED"})");
  CHECK(c.request("PUT", "/api/transactions/" + token + "/status?transactionid=18",
                  R"({"status":"FAILED"})", json_type)
            .status == 404);
  r = c.request("PUT", "/api/transactions/" + token + "/status?transactionid=17",
                R"({"status":"DONE"})", json_type);
  CHECK(r.status == 400);
  CHECK(r.body == "Invalid status format: UNKNOWN");
  // A late image does not revive a FAILED transaction.
  c.request("POST", image_target(token, 17, 3, 3), whole, octets);
  CHECK(std::string(first_of(n, "/api/boxes/incoming")["status"].GetString()) == "FAILED");
}

TEMPLATE_TEST_CASE("an unknown token is refused before the body is read", "[federation][http]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  create_connection(n, "hospital");
  auto c = n.client();
  const std::string unknown = "5c0e9a4e-8a0b-4a55-9a43-1c1a7b3c2f10";
  auto r = c.request("GET", "/api/transactions/abc/outgoing/poll");
  CHECK(r.status == 401);
  CHECK(r.body == "No box found for token abc");
  CHECK(c.request("GET", "/api/transactions/" + unknown + "/no/such/path").status == 401);
  // A large upload announced with Expect: 100-continue gets its answer without sending a byte
  // of its body, and nothing reaches the disk.
  auto raw = c.raw("POST /api/transactions/" + unknown +
                   "/image?transactionid=1&sequencenumber=1&totalimagecount=1 HTTP/1.1\r\n"
                   "Host: x\r\nContent-Type: application/octet-stream\r\n"
                   "Content-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n");
  CHECK(raw.rfind("HTTP/1.1 401", 0) == 0);
  CHECK(raw.find("100 Continue") == std::string::npos);
  CHECK(n.temp_files() == 0);
  // A box token of a PUSH box opens nothing.
  connect_box(n, "public", "http://x/api/transactions/" + unknown);
  CHECK(c.request("GET", "/api/transactions/" + unknown + "/outgoing/poll").status == 401);
}

TEMPLATE_TEST_CASE("queued images are polled, fetched anonymized, acknowledged or failed",
                   "[federation][http]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  const auto box = create_connection(n, "hospital");
  const std::string token = box["token"].GetString();
  const std::string base = "/api/transactions/" + token;
  auto c = n.client();
  CHECK(c.request("GET", base + "/outgoing/poll").status == 404);

  auto image = upload_image(n, fixture("test.dcm"));
  send_images(n, box["id"].GetInt64(), {image},
              R"([{"tagPath":{"tag":1048592},"value":"TEST NAME"},)"
              R"({"tagPath":{"name":"PatientID"},"value":"TEST ID"},)"
              R"({"tagPath":{"tag":1048624},"value":"19601010"}])");
  auto r = c.request("GET", base + "/outgoing/poll?n=200");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto items = parse_json(r.body);
  REQUIRE(items.Size() == 1);
  const auto& item = items[0];
  CHECK(item["transaction"]["boxId"].GetInt64() == box["id"].GetInt64());
  CHECK(item["transaction"]["id"].GetInt64() != 0);
  CHECK(item["transaction"]["sentImageCount"].GetInt64() == 0);
  CHECK(item["transaction"]["totalImageCount"].GetInt64() == 1);
  CHECK(std::string(item["transaction"]["status"].GetString()) == "WAITING");
  CHECK(item["image"]["sequenceNumber"].GetInt64() == 1);
  const auto tid = std::to_string(item["transaction"]["id"].GetInt64());
  const auto iid = std::to_string(item["image"]["id"].GetInt64());

  // The fetch: zlib-compressed DICOM carrying the tag values.
  r = c.request("GET", base + "/outgoing?transactionid=" + tid + "&imageid=" + iid);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/octet-stream");
  auto dicom = zlib_inflate(r.body);
  CHECK(dicom.substr(128, 4) == "DICM");
  CHECK(dicom.find("TEST NAME") != std::string::npos);
  CHECK(dicom.find("TEST ID") != std::string::npos);
  CHECK(dicom.find("19601010") != std::string::npos);
  r = c.request("GET", base + "/outgoing?transactionid=" + tid + "&imageid=999");
  CHECK(r.status == 404);
  CHECK(r.body ==
        "No outgoing image found for transaction id " + tid + " and outgoing image id 999");

  // Acknowledged: sent, finished, not offered again.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  item.Accept(writer);
  const std::string done = buffer.GetString();
  CHECK(c.request("POST", base + "/outgoing/done", done, json_type).status == 204);
  CHECK(c.request("POST", base + "/outgoing/done", done, json_type).status == 204);  // repeated
  CHECK(c.request("GET", base + "/outgoing/poll").status == 404);
  auto t = first_of(n, "/api/boxes/outgoing");
  CHECK(std::string(t["status"].GetString()) == "FINISHED");
  CHECK(t["sentImageCount"].GetInt64() == 1);
  CHECK(count_of(n, "/api/boxes/outgoing/" + tid + "/images") == 1);
  CHECK(c.request("POST", base + "/outgoing/done", "{}", json_type).status == 400);

  // Failed by the remote: FAILED, never offered again; a late done changes nothing.
  send_images(n, box["id"].GetInt64(), {image});
  auto second = parse_json(c.request("GET", base + "/outgoing/poll").body);
  REQUIRE(second.Size() == 1);
  rapidjson::StringBuffer b2;
  rapidjson::Writer<rapidjson::StringBuffer> w2(b2);
  second[0].Accept(w2);
  CHECK(c.request("POST", base + "/outgoing/failed",
                  std::string(R"({"transactionImage":)") + b2.GetString() +
                      R"(,"message":"could not store"})",
                  json_type)
            .status == 204);
  CHECK(c.request("GET", base + "/outgoing/poll").status == 404);
  CHECK(outgoing_is(n, "FAILED"));
  c.request("POST", base + "/outgoing/done", b2.GetString(), json_type);
  CHECK(outgoing_is(n, "FAILED"));
  CHECK(n.admin("GET", "/api/log").body.find("could not store") != std::string::npos);
}

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("payloads compress a head and a file tail into one zlib stream", "[unit][federation]") {
  sbx::test::scratch_dir dir;
  std::string body;
  for (int i = 0; i < 200000; ++i) body += static_cast<char>('a' + i % 7);
  write(dir / "file", "SKIP" + body);
  sbx::actors::compress_payload("HEAD", dir / "file", 4, dir / "z");
  const auto z = read(dir / "z");
  CHECK(z.size() < body.size() / 10);  // compressible input comes out shorter
  CHECK(sbx::test::zlib_inflate(z) == "HEAD" + body);

  std::string why;
  CHECK(sbx::actors::inflate_payload(dir / "z", dir / "out", why) ==
        sbx::actors::payload_state::complete);
  CHECK(read(dir / "out") == "HEAD" + body);

  // Streams from other writers (level 9, as Slicebox 2.1.1) are read too.
  write(dir / "z9", sbx::test::zlib_compress("DICM data"));
  CHECK(sbx::actors::inflate_payload(dir / "z9", dir / "out", why) ==
        sbx::actors::payload_state::complete);
  CHECK(read(dir / "out") == "DICM data");
}

TEST_CASE("a cut or foreign payload is told apart from a whole one", "[unit][federation]") {
  sbx::test::scratch_dir dir;
  const auto whole = sbx::test::zlib_compress(std::string(100000, 'x') + "end");
  std::string why;
  write(dir / "cut", whole.substr(0, whole.size() - 5));
  CHECK(sbx::actors::inflate_payload(dir / "cut", dir / "out", why) ==
        sbx::actors::payload_state::truncated);
  CHECK_FALSE(why.empty());
  write(dir / "empty", "");
  CHECK(sbx::actors::inflate_payload(dir / "empty", dir / "out", why) ==
        sbx::actors::payload_state::truncated);
  write(dir / "plain", "DICM, but not compressed at all");
  CHECK(sbx::actors::inflate_payload(dir / "plain", dir / "out", why) ==
        sbx::actors::payload_state::corrupt);
  write(dir / "gzip", std::string("\x1f\x8b\x08\x00", 4) + whole);
  CHECK(sbx::actors::inflate_payload(dir / "gzip", dir / "out", why) ==
        sbx::actors::payload_state::corrupt);
}

TEST_CASE("payloads compressed into memory and inflated from memory are zlib streams",
          "[unit][federation]") {
  sbx::test::scratch_dir dir;
  std::string body;
  for (int i = 0; i < 300000; ++i) body += static_cast<char>((i * 7919) % 251);
  write(dir / "file", "SKIP" + body);
  for (int level : {0, 1, 6}) {
    const auto z = sbx::actors::compress_payload("HEAD", dir / "file", 4, level);
    CHECK(sbx::test::zlib_inflate(z) == "HEAD" + body);
    std::string why;
    CHECK(sbx::actors::inflate_payload(std::string_view(z), dir / "out", why) ==
          sbx::actors::payload_state::complete);
    CHECK(read(dir / "out") == "HEAD" + body);
    // The streamed answer (`GET /transactions/{token}/outgoing`) is the same stream.
    std::string streamed;
    sbx::actors::payload_deflater d("HEAD", dir / "file", 4, false, level);
    for (auto piece = d.next(); !piece.empty(); piece = d.next()) streamed.append(piece);
    CHECK(streamed == z);
  }
  // What compresses far better than pixel data still inflates whole.
  const auto zeros = sbx::test::zlib_compress(std::string(2000000, '\0'));
  std::string why;
  CHECK(sbx::actors::inflate_payload(std::string_view(zeros), dir / "out", why) ==
        sbx::actors::payload_state::complete);
  CHECK(std::filesystem::file_size(dir / "out") == 2000000);
  // Cut or foreign in memory as on disk.
  CHECK(sbx::actors::inflate_payload(std::string_view(zeros).substr(0, zeros.size() - 3),
                                     dir / "out", why) == sbx::actors::payload_state::truncated);
  CHECK(sbx::actors::inflate_payload(std::string_view("DICM, not compressed"), dir / "out", why) ==
        sbx::actors::payload_state::corrupt);
}

TEST_CASE("the streamed deflater removes a temporary file once done", "[unit][federation]") {
  sbx::test::scratch_dir dir;
  write(dir / "tmp", "0123456789");
  std::string z;
  {
    sbx::actors::payload_deflater d("", dir / "tmp", 2, true);
    for (auto piece = d.next(); !piece.empty(); piece = d.next()) z.append(piece);
  }
  CHECK(sbx::test::zlib_inflate(z) == "23456789");
  CHECK_FALSE(std::filesystem::exists(dir / "tmp"));
}
