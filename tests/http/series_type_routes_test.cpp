// SPDX-License-Identifier: Apache-2.0
// Series types (docs/api.md#series-types), and a series' own types under /api/metadata/series.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/background.hpp"
#include "support/dicom_files.hpp"
#include "support/eventually.hpp"

using namespace sbx::test;

namespace {

constexpr std::int64_t patient_name_tag = 0x00100010;

std::int64_t create_type(const running_node& n, const std::string& name) {
  auto r = n.admin("POST", "/api/seriestypes", R"({"id":-1,"name":")" + name + R"("})");
  REQUIRE(r.status == 201);
  return id_of(r);
}

std::int64_t create_rule(const running_node& n, std::int64_t type) {
  auto r = n.admin("POST", "/api/seriestypes/rules",
                   R"({"id":-1,"seriesTypeId":)" + std::to_string(type) + "}");
  REQUIRE(r.status == 201);
  return id_of(r);
}

std::int64_t create_attribute(const running_node& n, std::int64_t rule, std::int64_t tag,
                              const std::string& values, const std::string& extra = "") {
  auto r =
      n.admin("POST", "/api/seriestypes/rules/" + std::to_string(rule) + "/attributes",
              R"({"id":-1,"seriesTypeRuleId":)" + std::to_string(rule) + R"(,"tag":)" +
                  std::to_string(tag) + R"(,"name":"","values":")" + values + "\"" + extra + "}");
  REQUIRE(r.status == 201);
  return id_of(r);
}

/// Waits until the background re-labelling is idle (fails after `limit`).
void await_idle(const running_node& n, std::chrono::seconds limit = std::chrono::seconds{60}) {
  REQUIRE(eventually(limit, [&] {
    return !parse_json(n.admin("GET", "/api/seriestypes/rules/updatestatus").body)["running"]
                .GetBool();
  }));
}

std::set<std::string> type_names_of(const running_node& n, std::int64_t series) {
  auto r = n.admin("GET", "/api/metadata/series/" + std::to_string(series) + "/seriestypes");
  REQUIRE(r.status == 200);
  std::set<std::string> out;
  for (const auto& t : parse_json(r.body).GetArray()) out.insert(t["name"].GetString());
  return out;
}

std::int64_t upload_series(const running_node& n, const std::string& bytes) {
  auto r = upload(n, bytes);
  REQUIRE((r.status == 201 || r.status == 200));
  return parse_json(r.body)["seriesId"].GetInt64();
}

}  // namespace

TEMPLATE_TEST_CASE("series types: list, create, rename, delete, roles (74, 75)",
                   "[http][seriestypes]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  REQUIRE(n.admin("POST", "/api/users", R"({"user":"u","password":"p","role":"USER"})").status ==
          201);
  CHECK(n.admin("GET", "/api/seriestypes").body == "[]");
  auto id = create_type(n, "st1");
  CHECK(id > 0);
  CHECK(n.as("u", "p", "POST", "/api/seriestypes", R"({"id":-1,"name":"x"})").status == 403);
  auto dup = n.admin("POST", "/api/seriestypes", R"({"id":-1,"name":"st1"})");
  CHECK(dup.status == 400);
  CHECK(dup.body == "A series type with name st1 already exists");

  // As in Slicebox (docs/api.md#quirks-kept): the body's id is renamed, whatever the path says.
  auto ids = std::to_string(id);
  CHECK(n.admin("PUT", "/api/seriestypes/999", R"({"id":)" + ids + R"(,"name":"st2"})").status ==
        204);
  auto list = parse_json(n.as("u", "p", "GET", "/api/seriestypes").body);
  REQUIRE(list.Size() == 1);
  CHECK(std::string(list[0]["name"].GetString()) == "st2");
  CHECK(n.admin("PUT", "/api/seriestypes/" + ids, R"({"id":12345,"name":"x"})").status == 204);
  create_type(n, "other");
  CHECK(
      n.admin("PUT", "/api/seriestypes/" + ids, R"({"id":)" + ids + R"(,"name":"other"})").status ==
      400);  // a taken name is the client's error, not a 500
  CHECK(n.admin("POST", "/api/seriestypes", R"({"id":-1})").status == 400);
  CHECK(n.admin("POST", "/api/seriestypes", R"({"id":-1,"name":"a\u0000b"})").status == 400);

  CHECK(n.as("u", "p", "DELETE", "/api/seriestypes/" + ids).status == 403);
  CHECK(parse_json(n.admin("GET", "/api/seriestypes").body).Size() == 2);
  CHECK(n.admin("DELETE", "/api/seriestypes/" + ids).status == 204);
  CHECK(n.admin("DELETE", "/api/seriestypes/" + ids).status == 204);
  CHECK(parse_json(n.admin("GET", "/api/seriestypes").body).Size() == 1);
  CHECK(parse_json(n.admin("GET", "/api/seriestypes?startindex=1").body).Size() == 0);
}

TEMPLATE_TEST_CASE("series types: rules and rule attributes (76, 77)", "[http][seriestypes]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  REQUIRE(n.admin("POST", "/api/users", R"({"user":"u","password":"p","role":"USER"})").status ==
          201);
  auto type = create_type(n, "st");
  auto rules_url = "/api/seriestypes/rules?seriestypeid=" + std::to_string(type);
  CHECK(n.admin("GET", rules_url).body == "[]");
  auto created = n.admin("POST", "/api/seriestypes/rules",
                         R"({"id":-1,"seriesTypeId":)" + std::to_string(type) + "}");
  REQUIRE(created.status == 201);
  auto rule = parse_json(created.body);
  CHECK(rule["id"].GetInt64() > 0);
  CHECK(rule["seriesTypeId"].GetInt64() == type);
  auto rule_id = std::to_string(rule["id"].GetInt64());
  CHECK(parse_json(n.as("u", "p", "GET", rules_url).body).Size() == 1);
  CHECK(n.as("u", "p", "POST", "/api/seriestypes/rules",
             R"({"id":-1,"seriesTypeId":)" + std::to_string(type) + "}")
            .status == 403);
  CHECK(n.admin("GET", "/api/seriestypes/rules").status == 404);  // seriestypeid is required
  // An unknown type is the client's error (the original answered 500).
  CHECK(n.admin("POST", "/api/seriestypes/rules", R"({"id":-1,"seriesTypeId":666})").status == 400);

  // Attributes: empty name → the tag's keyword; the swagger's extra fields are ignored.
  auto attrs_url = "/api/seriestypes/rules/" + rule_id + "/attributes";
  CHECK(n.admin("GET", attrs_url).body == "[]");
  auto a =
      n.admin("POST", "/api/seriestypes/rules/999/attributes",  // the body's rule id wins
              R"({"id":-1,"seriesTypeRuleId":)" + rule_id +
                  R"(,"tag":1,"name":"Name","values":"test","group":0,"element":1,"value":"x"})");
  REQUIRE(a.status == 201);
  auto attribute = parse_json(a.body);
  CHECK(attribute["tag"].GetInt64() == 1);
  CHECK(std::string(attribute["name"].GetString()) == "Name");
  CHECK(std::string(attribute["values"].GetString()) == "test");
  CHECK(attribute["seriesTypeRuleId"].GetInt64() == rule["id"].GetInt64());
  auto keyword = parse_json(
      n.admin(
           "POST", attrs_url,
           R"({"id":-1,"seriesTypeRuleId":)" + rule_id +
               R"(,"tag":1048592,"name":"","values":"x","tagPath":"528704","namePath":"ReferencedImageSequence"})")
          .body);
  CHECK(std::string(keyword["name"].GetString()) == "PatientName");
  CHECK(std::string(keyword["tagPath"].GetString()) == "528704");
  CHECK(parse_json(n.as("u", "p", "GET", attrs_url).body).Size() == 2);
  CHECK(n.as("u", "p", "POST", attrs_url,
             R"({"id":-1,"seriesTypeRuleId":)" + rule_id + R"(,"tag":1,"name":"","values":""})")
            .status == 403);
  CHECK(n.admin("POST", attrs_url, R"({"id":-1,"seriesTypeRuleId":666,"tag":1,"values":""})")
            .status == 400);
  CHECK(n.admin("POST", attrs_url, R"({"id":-1,"seriesTypeRuleId":1,"values":""})").status == 400);
  auto attribute_id = std::to_string(attribute["id"].GetInt64());
  CHECK(n.as("u", "p", "DELETE", attrs_url + "/" + attribute_id).status == 403);
  CHECK(n.admin("DELETE", "/api/seriestypes/rules/777/attributes/" + attribute_id).status == 204);
  CHECK(parse_json(n.admin("GET", attrs_url).body).Size() == 1);

  // Deleting a rule cascades to its attributes; deleting as USER is refused.
  CHECK(n.as("u", "p", "DELETE", "/api/seriestypes/rules/" + rule_id).status == 403);
  CHECK(n.admin("DELETE", "/api/seriestypes/rules/" + rule_id).status == 204);
  CHECK(n.admin("GET", rules_url).body == "[]");
  CHECK(n.admin("GET", attrs_url).body == "[]");
}

TEMPLATE_TEST_CASE("series types label uploaded series; a series' own links (36-39, 78)",
                   "[http][seriestypes]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto st1 = create_type(n, "st1");
  create_type(n, "st0");  // no rules: never applies
  create_attribute(n, create_rule(n, st1), patient_name_tag, "anon270");
  await_idle(n);

  auto series = upload_series(n, fixture("test.dcm"));
  await_idle(n);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st1"});

  // Manual links (37-39).
  auto st2 = create_type(n, "st2");
  auto link = "/api/metadata/series/" + std::to_string(series) + "/seriestypes/";
  CHECK(n.admin("PUT", link + std::to_string(st2)).status == 204);
  CHECK(n.admin("PUT", link + std::to_string(st2)).status == 204);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st1", "st2"});
  CHECK(n.admin("PUT", "/api/metadata/series/666/seriestypes/" + std::to_string(st2)).status ==
        404);
  CHECK(n.admin("PUT", link + "666").status == 404);

  // 78: status and the links among some series.
  CHECK(n.admin("GET", "/api/seriestypes/rules/updatestatus").body == R"({"running":false})");
  CHECK(n.admin("POST", "/api/seriestypes/rules/updatestatus").status == 200);  // any method
  CHECK(n.admin("POST", "/api/seriestypes/series/query", R"({"ids":[666,667,668]})").body ==
        R"({"seriesIdSeriesTypes":[]})");
  auto query = parse_json(n.admin("POST", "/api/seriestypes/series/query",
                                  R"({"ids":[666,)" + std::to_string(series) + ",667]}")
                              .body);
  const auto& links = query["seriesIdSeriesTypes"];
  REQUIRE(links.Size() == 2);
  CHECK(links[0]["seriesId"].GetInt64() == series);
  CHECK(links[0]["seriesType"]["name"].IsString());
  CHECK(n.admin("POST", "/api/seriestypes/series/query", R"({"id":[1]})").status == 400);

  CHECK(n.admin("DELETE", link + std::to_string(st2)).status == 204);
  CHECK(n.admin("DELETE", link + "666").status == 204);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st1"});
  CHECK(
      n.admin("DELETE", "/api/metadata/series/" + std::to_string(series) + "/seriestypes").status ==
      204);
  CHECK(type_names_of(n, series).empty());
  CHECK(n.admin("DELETE", "/api/metadata/series/666/seriestypes").status == 204);
  CHECK(n.admin("GET", "/api/metadata/series/666/seriestypes").body == "[]");

  // A rule change re-labels every series (manual links are wiped too, as in
  // Slicebox).
  CHECK(n.admin("PUT", link + std::to_string(st2)).status == 204);
  auto rule = create_rule(n, st2);
  create_attribute(n, rule, patient_name_tag, "someone else");
  await_idle(n);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st1"});
  CHECK(n.admin("DELETE", "/api/seriestypes/rules/" + std::to_string(rule)).status == 204);
  auto match_all = create_rule(n, st2);
  auto attribute = create_attribute(n, match_all, patient_name_tag, "anon270");
  await_idle(n);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st1", "st2"});
  // Deleting a type removes its links.
  CHECK(n.admin("DELETE", "/api/seriestypes/" + std::to_string(st1)).status == 204);
  await_idle(n);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st2"});
  // A rule whose last attribute is removed matches every series.
  CHECK(n.admin("DELETE", "/api/seriestypes/rules/" + std::to_string(match_all) + "/attributes/" +
                              std::to_string(attribute))
            .status == 204);
  await_idle(n);
  CHECK(type_names_of(n, series) == std::set<std::string>{"st2"});
  // Deleting the series' image removes the series and its links.
  CHECK(n.admin("DELETE", "/api/images/1").status == 204);
  CHECK(type_names_of(n, series).empty());
}

TEMPLATE_TEST_CASE("series types: values, multi-valued elements and nested paths",
                   "[http][seriestypes]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  // test.dcm: Modality NM, ImageType ORIGINAL\PRIMARY..., EnergyWindowInformationSequence
  // (0054,0012) item 1 holds EnergyWindowRangeSequence (0054,0013).
  auto series = upload_series(n, fixture("test.dcm"));
  auto attributes = parse_json(n.admin("GET", "/api/images/1/attributes").body);
  std::string image_type;
  for (const auto& a : attributes.GetArray())
    if (a["tagPath"]["tag"].GetInt64() == 0x00080008 && !a["tagPath"].HasMember("previous"))
      for (const auto& v : a["values"].GetArray())
        image_type += (image_type.empty() ? "" : ",") + std::string(v.GetString());
  REQUIRE(!image_type.empty());

  auto exact = create_type(n, "exact");
  auto r1 = create_rule(n, exact);
  create_attribute(n, r1, 0x00080060, "NM");
  create_attribute(n, r1, 0x00080008, image_type);  // all values joined by ','
  auto partial = create_type(n, "partial");
  create_attribute(n, create_rule(n, partial), 0x00080060, "N");  // equality, not substring
  auto nested = create_type(n, "nested");
  // (0054,0013) EnergyWindowRangeSequence does not exist at the root: the path leads to it.
  auto lower = std::string();
  for (const auto& a : attributes.GetArray())
    if (a["tagPath"]["tag"].GetInt64() == 0x00540014 && a["namePath"].Size() == 3 &&
        std::string(a["tagPath"]["previous"]["item"].GetString()) == "1" &&
        std::string(a["tagPath"]["previous"]["previous"]["item"].GetString()) == "1")
      lower = a["values"][0].GetString();
  REQUIRE(!lower.empty());
  create_attribute(
      n, create_rule(n, nested), 0x00540014, lower,
      R"(,"tagPath":")" + std::to_string(0x00540012) + "," + std::to_string(0x00540013) + "\"");
  auto bad_path = create_type(n, "bad path");  // a path that leads nowhere falls back to the root
  create_attribute(n, create_rule(n, bad_path), 0x00080060, "NM", R"(,"tagPath":"1234")");
  auto two_rules = create_type(n, "either");  // one of several rules suffices
  create_attribute(n, create_rule(n, two_rules), 0x00080060, "CT");
  create_attribute(n, create_rule(n, two_rules), 0x00080060, "NM");
  await_idle(n);
  CHECK(type_names_of(n, series) == std::set<std::string>{"exact", "nested", "bad path", "either"});
}

TEMPLATE_TEST_CASE("series types: 10 000 series are re-labelled after a rule change",
                   "[http][seriestypes][slow]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  constexpr int count = 10000;
  {
    // Eight uploaders, ~3 KB images, one series each, half of them named A.
    std::deque<background_task<int>> uploaders;
    std::atomic<int> next{0};
    for (int t = 0; t < 8; ++t)
      uploaders.emplace_back([&] {
        int failures = 0;
        for (int i = next++; i < count; i = next++) {
          auto s = std::to_string(i);
          failures +=
              upload(n, small_f1_in(i % 2 ? "A" : "B", "st" + s, "se" + s, "so" + s)).status != 201;
        }
        return failures;
      });
    int failures = 0;
    for (auto& u : uploaders) failures += u.get();
    REQUIRE(failures == 0);
  }
  auto type = create_type(n, "named A");
  auto rule = create_rule(n, type);
  await_idle(n, std::chrono::seconds{300});

  auto started = std::chrono::steady_clock::now();
  create_attribute(n, rule, patient_name_tag, "A");
  // The change is acknowledged at once; the labelling runs in the background.
  CHECK(
      parse_json(n.admin("GET", "/api/seriestypes/rules/updatestatus").body)["running"].GetBool());
  await_idle(n, std::chrono::seconds{300});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  WARN("re-labelled " << count << " series in " << ms << " ms ("
                      << (TestType::value == sbx::persistence::backend::sqlite ? "SQLite"
                                                                               : "PostgreSQL")
                      << ")");
  std::string ids;
  for (int i = 1; i <= count; ++i) ids += (i > 1 ? "," : "") + std::to_string(i);
  auto query =
      parse_json(n.admin("POST", "/api/seriestypes/series/query", R"({"ids":[)" + ids + "]}").body);
  CHECK(query["seriesIdSeriesTypes"].Size() == count / 2);
}

TEMPLATE_TEST_CASE("series types: ingest while rules change; every series ends right",
                   "[http][seriestypes]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  constexpr int count = 300;
  std::map<std::int64_t, std::string> name_of_series;
  std::mutex mutex;
  auto a = create_type(n, "A");
  auto b = create_type(n, "B");
  // Joined when the test leaves this scope, even by a failed REQUIRE below.
  std::deque<background_task<void>> uploaders;
  std::atomic<int> next{0};
  for (int t = 0; t < 4; ++t)
    uploaders.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        auto s = std::to_string(i);
        auto name = i % 3 ? "A" : "B";
        auto r = upload(n, small_f1_in(name, "st" + s, "se" + s, "so" + s));
        if (r.status != 201) continue;
        std::lock_guard lock(mutex);
        name_of_series[parse_json(r.body)["seriesId"].GetInt64()] = name;
      }
    });
  // Meanwhile the rules change several times; the last state: A ← PatientName A, B ← B.
  std::int64_t rule_a = create_rule(n, a), rule_b = create_rule(n, b);
  for (int round = 0; round < 5; ++round) {
    auto wrong = create_attribute(n, rule_a, patient_name_tag, "B");
    auto wrong_b = create_attribute(n, rule_b, patient_name_tag, "A");
    // One round trip lets the labeller start on the wrong rules before they are taken back.
    n.admin("GET", "/api/seriestypes/rules/updatestatus");
    n.admin("DELETE", "/api/seriestypes/rules/" + std::to_string(rule_a) + "/attributes/" +
                          std::to_string(wrong));
    n.admin("DELETE", "/api/seriestypes/rules/" + std::to_string(rule_b) + "/attributes/" +
                          std::to_string(wrong_b));
  }
  create_attribute(n, rule_a, patient_name_tag, "A");
  create_attribute(n, rule_b, patient_name_tag, "B");
  for (auto& u : uploaders) u.get();
  REQUIRE(name_of_series.size() == count);
  await_idle(n);
  for (const auto& [series, name] : name_of_series) {
    INFO("series " << series);
    CHECK(type_names_of(n, series) == std::set<std::string>{name});
  }
}
