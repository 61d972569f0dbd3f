// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <zlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/scu_requests.hpp"
#include "support/dicom_tools.hpp"
#include "support/eventually.hpp"

// What the federation tests do over and over: nodes with fast box engines, connected pairs,
// sends and the answers to wait for.
namespace sbx::test {

/// Box engines paced for tests (the defaults are 15 s intervals).
inline void fast_boxes(app::config& c) {
  c.box_interval = std::chrono::milliseconds{100};
  c.box_housekeeping = std::chrono::milliseconds{100};
  c.box_offline_after = std::chrono::milliseconds{3000};
  c.box_max_attempts = 3;
  c.box_max_backoff = std::chrono::seconds{1};
  c.box_connect_timeout = std::chrono::seconds{2};
  c.box_stall_timeout = std::chrono::seconds{2};
  c.box_request_timeout = std::chrono::seconds{30};
}

inline const std::string basic_profile =
    R"({"options":[{"name":"BASIC_PROFILE","title":"Basic Profile","description":"Basic Profile","rank":10}]})";

/// Creates the POLL box `name` on `n` (201 required); the Box JSON.
inline rapidjson::Document create_connection(const running_node& n, const std::string& name,
                                             const std::string& profile = basic_profile) {
  auto r = n.admin("POST", "/api/boxes/createconnection",
                   R"({"name":")" + name + R"(","defaultProfile":)" + profile + "}");
  INFO(r.body);
  REQUIRE(r.status == 201);
  return parse_json(r.body);
}

/// Creates the PUSH box `name` on `n` for a public box's URL (201 required); the Box JSON.
inline rapidjson::Document connect_box(const running_node& n, const std::string& name,
                                       const std::string& url,
                                       const std::string& profile = basic_profile) {
  auto r = n.admin(
      "POST", "/api/boxes/connect",
      R"({"name":")" + name + R"(","baseUrl":")" + url + R"(","defaultProfile":)" + profile + "}");
  INFO(r.body);
  REQUIRE(r.status == 201);
  return parse_json(r.body);
}

/// A connected pair: `pub` (public) knows `hidden` as POLL box "hidden", `hidden` knows `pub`
/// as PUSH box "public".
struct box_pair {
  std::int64_t poll_box = -1;  ///< on the public node
  std::int64_t push_box = -1;  ///< on the hidden node
  std::string token;
};

inline box_pair connect_pair(const running_node& pub, const running_node& hidden) {
  auto poll = create_connection(pub, "hidden");
  auto push = connect_box(hidden, "public", poll["baseUrl"].GetString());
  return {poll["id"].GetInt64(), push["id"].GetInt64(), poll["token"].GetString()};
}

/// `BulkAnonymizationData` for some images, each with the same tag values (JSON array text).
inline std::string send_body(const std::vector<std::string>& image_ids,
                             const std::string& tag_values = "[]",
                             const std::string& profile = R"({"options":[]})") {
  std::string set;
  for (const auto& id : image_ids)
    set += (set.empty() ? "" : ",") + std::string(R"({"imageId":)") + id + R"(,"tagValues":)" +
           tag_values + "}";
  return R"({"profile":)" + profile + R"(,"imageTagValuesSet":[)" + set + "]}";
}

/// `POST /boxes/{id}/send` (204 required).
inline void send_images(const running_node& n, std::int64_t box,
                        const std::vector<std::string>& ids, const std::string& tag_values = "[]") {
  auto r =
      n.admin("POST", "/api/boxes/" + std::to_string(box) + "/send", send_body(ids, tag_values));
  INFO(r.body);
  REQUIRE(r.status == 204);
}

/// The first element of a JSON list answer, as a document (null if the list is empty).
inline rapidjson::Document first_of(const running_node& n, const std::string& target) {
  auto doc = parse_json(n.admin("GET", target).body);
  rapidjson::Document out;
  if (doc.IsArray() && !doc.Empty()) out.CopyFrom(doc[0], out.GetAllocator());
  return out;
}

/// The number of elements of a JSON list answer.
inline std::size_t count_of(const running_node& n, const std::string& target) {
  auto doc = parse_json(n.admin("GET", target).body);
  return doc.IsArray() ? doc.Size() : 0;
}

/// Every image of the node (`POST /metadata/images/query`).
inline rapidjson::Document all_images(const running_node& n) {
  auto r = n.client().request("POST", "/api/metadata/images/query",
                              R"({"startIndex":0,"count":1000000,"queryProperties":[]})",
                              {basic_auth("admin", "admin"), {"Content-Type", "application/json"}});
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

/// How many images the node has.
inline std::size_t image_count(const running_node& n) { return all_images(n).Size(); }

/// True once `n`'s newest outgoing transaction has this status.
inline bool outgoing_is(const running_node& n, const std::string& status) {
  auto t = first_of(n, "/api/boxes/outgoing");
  return t.IsObject() && t["status"].GetString() == status;
}

/// A zlib stream of `bytes` (the box payload format).
inline std::string zlib_compress(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(size, '\0');
  REQUIRE(compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                    reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()),
                    9) == Z_OK);
  out.resize(size);
  return out;
}

/// The bytes of a zlib stream.
inline std::string zlib_inflate(const std::string& bytes) {
  z_stream z{};
  REQUIRE(inflateInit(&z) == Z_OK);
  std::string out;
  char buffer[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
    if (rc == Z_BUF_ERROR) break;
  }
  inflateEnd(&z);
  CHECK(rc == Z_STREAM_END);
  return out;
}

}  // namespace sbx::test
