// SPDX-License-Identifier: Apache-2.0
// GET /metrics (docs/operations.md#metrics), read by a strict parser of the Prometheus text
// exposition format 0.0.4.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"
#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

/// A sample: metric name, labels rendered in order (`a="x",b="y"`), value.
struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

double parse_value(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  std::size_t used = 0;
  double v = std::stod(text, &used);
  if (used != text.size()) throw std::runtime_error("bad sample value '" + text + "'");
  return v;
}

/// Parses an exposition strictly: every line is a HELP, a TYPE or a sample; a family is declared
/// (once) before its samples, which are contiguous; names and labels are well formed; histogram
/// buckets are cumulative and end in +Inf equal to _count. Throws with the offending line.
std::vector<sample> parse_exposition(const std::string& text) {
  if (text.empty() || text.back() != '\n') throw std::runtime_error("must end with a line feed");
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex type(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample_line(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+))");
  static const std::regex label(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)")re");
  std::map<std::string, std::string> types;
  std::set<std::string> finished;
  std::string current;
  std::vector<sample> out;
  std::istringstream in(text);
  std::string line;
  auto family_of = [&](const std::string& name) {
    for (const auto* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.ends_with(s)) {
        auto base = name.substr(0, name.size() - s.size());
        if (types.count(base) && types[base] == "histogram") return base;
      }
    }
    return name;
  };
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) continue;
    if (std::regex_match(line, m, type)) {
      if (types.count(m[1])) throw std::runtime_error("TYPE twice: " + line);
      types[m[1]] = m[2];
      continue;
    }
    if (!std::regex_match(line, m, sample_line)) throw std::runtime_error("bad line: " + line);
    sample s{m[1], {}, parse_value(m[4])};
    const std::string labels = m[3];
    for (std::sregex_iterator it(labels.begin(), labels.end(), label), end; it != end; ++it)
      if (!s.labels.emplace((*it)[1], (*it)[2]).second)
        throw std::runtime_error("label twice: " + line);
    const auto family = family_of(s.name);
    if (!types.count(family)) throw std::runtime_error("sample before its TYPE: " + line);
    if (family != current) {
      if (finished.count(family)) throw std::runtime_error("family split: " + line);
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    out.push_back(std::move(s));
  }
  // Histograms: cumulative buckets ending in +Inf == _count, per label set.
  for (const auto& [family, t] : types) {
    if (t != "histogram") continue;
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;
    std::map<std::string, double> counts;
    for (const auto& s : out) {
      auto rest = s.labels;
      rest.erase("le");
      std::string key;
      for (const auto& [k, v] : rest) key += k + "=" + v + ",";
      if (s.name == family + "_bucket") {
        if (!s.labels.count("le")) throw std::runtime_error("bucket without le");
        buckets[key].emplace_back(parse_value(s.labels.at("le")), s.value);
      } else if (s.name == family + "_count") {
        counts[key] = s.value;
      }
    }
    for (const auto& [key, b] : buckets) {
      for (std::size_t i = 1; i < b.size(); ++i)
        if (b[i].first <= b[i - 1].first || b[i].second < b[i - 1].second)
          throw std::runtime_error("buckets of " + family + " not cumulative");
      if (b.empty() || !std::isinf(b.back().first) || b.back().second != counts[key])
        throw std::runtime_error("+Inf bucket of " + family + " is not _count");
    }
  }
  return out;
}

double value_of(const std::vector<sample>& samples, const std::string& name,
                const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : samples)
    if (s.name == name && s.labels == labels) return s.value;
  return -1;
}

}  // namespace

TEST_CASE("the strict parser refuses malformed expositions", "[http][metrics]") {
  CHECK_THROWS(parse_exposition("a 1\n"));  // no TYPE
  CHECK_THROWS(parse_exposition("# TYPE a counter\na{b=\"x} 1\n"));
  CHECK_THROWS(parse_exposition("# TYPE a counter\na 1"));
  CHECK_THROWS(parse_exposition("# TYPE a counter\na one\n"));
  CHECK_THROWS(parse_exposition("# TYPE a counter\n# TYPE b gauge\nb 1\na 1\n# TYPE a gauge\n"));
  CHECK_THROWS(
      parse_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                       "h_count 1\n"));
  CHECK(parse_exposition("# HELP a x\n# TYPE a counter\na{b=\"q\\\"\"} 1\n").size() == 1);
}

TEMPLATE_TEST_CASE("GET /metrics counts requests, ingest and the store", "[http][metrics]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  const auto bytes = fixture("test.dcm");
  const auto stored = upload(n, bytes);
  REQUIRE(stored.status == 201);
  REQUIRE(upload(n, "not dicom").status == 400);
  REQUIRE(n.admin("GET", "/dicom-web/studies").status == 200);
  REQUIRE(n.admin("GET", "/api/metadata/patients").status == 200);

  auto r = n.client().request("GET", "/metrics");  // public by default
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type").value_or("") == "text/plain; version=0.0.4; charset=utf-8");
  auto samples = parse_exposition(r.body);
  CHECK(value_of(samples, "sbx_http_requests_total", {{"group", "images"}, {"status", "201"}}) ==
        1);
  CHECK(value_of(samples, "sbx_http_requests_total", {{"group", "images"}, {"status", "400"}}) ==
        1);
  CHECK(value_of(samples, "sbx_http_requests_total", {{"group", "dicom-web"}, {"status", "200"}}) ==
        1);
  CHECK(value_of(samples, "sbx_http_requests_total", {{"group", "metadata"}, {"status", "200"}}) ==
        1);
  CHECK(value_of(samples, "sbx_http_request_duration_seconds_count", {{"group", "images"}}) == 2);
  CHECK(value_of(samples, "sbx_ingested_images_total", {{"source", "user"}}) == 1);
  CHECK(value_of(samples, "sbx_ingested_bytes_total", {{"source", "user"}}) ==
        static_cast<double>(bytes.size()));
  CHECK(value_of(samples, "sbx_ingest_failures_total", {{"source", "user"}}) == 1);
  CHECK(value_of(samples, "sbx_stored_images") == 1);
  CHECK(value_of(samples, "sbx_stored_bytes") == static_cast<double>(bytes.size()));
  CHECK(value_of(samples, "sbx_scp_associations_total") == 0);
  // Every file handed to ingest was answered; the stored one was committed in a batch of one.
  CHECK(value_of(samples, "sbx_ingest_queue_depth") == 0);
  CHECK(value_of(samples, "sbx_ingest_commit_batch_images_count") == 1);
  CHECK(value_of(samples, "sbx_ingest_commit_batch_images_bucket", {{"le", "1"}}) == 1);
  CHECK(eventually([&] {
    return value_of(parse_exposition(n.client().request("GET", "/metrics").body),
                    "sbx_series_type_backlog") == 0;
  }));

  // An image sent to a box nobody polls: one outgoing transaction WAITING, one image left.
  auto box = parse_json(n.admin("POST", "/api/boxes/createconnection",
                                R"({"name":"far","defaultProfile":{"options":[]}})")
                            .body);
  const auto image = std::to_string(parse_json(stored.body)["id"].GetInt64());
  REQUIRE(n.admin("POST", "/api/boxes/" + std::to_string(box["id"].GetInt64()) + "/send",
                  R"({"profile":{"options":[]},"imageTagValuesSet":[{"imageId":)" + image +
                      R"(,"tagValues":[]}]})")
              .status == 204);
  samples = parse_exposition(n.client().request("GET", "/metrics").body);
  CHECK(value_of(samples, "sbx_box_transactions",
                 {{"direction", "outgoing"}, {"status", "WAITING"}}) == 1);
  CHECK(value_of(samples, "sbx_box_images_left",
                 {{"direction", "outgoing"}, {"status", "WAITING"}}) == 1);

  // Unknown paths share one group: the label set stays bounded.
  n.admin("GET", "/api/nonsense-" + std::to_string(42));
  samples = parse_exposition(n.client().request("GET", "/metrics").body);
  CHECK(value_of(samples, "sbx_http_requests_total", {{"group", "other"}, {"status", "404"}}) == 1);
  // The scrapes before this one: the first, the labeller polls (one or more), the box check.
  CHECK(value_of(samples, "sbx_http_requests_total", {{"group", "metrics"}, {"status", "200"}}) >=
        3);
}

TEST_CASE("GET /metrics counts SCP associations", "[http][metrics]") {
  require_tool("echoscu");
  require_private_network();  // the SCP listens on every interface
  running_node n{sbx::persistence::backend::sqlite};
  const auto port = free_port();
  REQUIRE(
      n.admin("POST", "/api/scps",
              R"({"id":-1,"name":"m","aeTitle":"SLICEBOX","port":)" + std::to_string(port) + "}")
          .status == 201);
  auto [rc, output] =
      run_command("echoscu -aec SLICEBOX 127.0.0.1 " + std::to_string(port) + " 2>&1");
  REQUIRE(rc == 0);
  auto samples = parse_exposition(n.client().request("GET", "/metrics").body);
  CHECK(value_of(samples, "sbx_scp_associations_total") == 1);
}

TEST_CASE("GET /metrics behind metrics.token", "[http][metrics]") {
  running_node n{sbx::persistence::backend::sqlite,
                 [](sbx::app::config& c) { c.metrics_token = "s3cret"; }};
  CHECK(n.client().request("GET", "/metrics").status == 401);
  CHECK(n.client().request("GET", "/metrics", "", {{"Authorization", "Bearer wrong"}}).status ==
        401);
  CHECK(n.admin("GET", "/metrics").status == 401);  // node credentials are not the token
  auto r = n.client().request("GET", "/metrics", "", {{"Authorization", "Bearer s3cret"}});
  REQUIRE(r.status == 200);
  CHECK_NOTHROW(parse_exposition(r.body));
}
