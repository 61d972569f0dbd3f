// SPDX-License-Identifier: Apache-2.0
#include "support/node_site.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>

#include "http/json_view.hpp"
#include "support/dicom_peers.hpp"  // free_port
#include "support/eventually.hpp"

namespace sbx::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

node_site::node_site(const std::string& binary, std::string postgres_url,
                     const std::vector<std::string>& settings)
    : binary_(binary), port_(free_port()), client_(port_, 30s) {
  settings_ = {"SBX_DATA_DIR=" + data_.path().string(), "SBX_HTTP_HOST=127.0.0.1",
               "SBX_HTTP_PORT=" + std::to_string(port_), "SBX_LOG_LEVEL=info",
               "SBX_DATABASE_URL=" + postgres_url};
  for (const auto& s : settings) {  // one of the site's own is replaced, not repeated
    const auto key = s.substr(0, s.find('=') + 1);
    auto same = std::find_if(settings_.begin(), settings_.end(),
                             [&](const std::string& o) { return o.starts_with(key); });
    if (same != settings_.end())
      *same = s;
    else
      settings_.push_back(s);
  }
}

node_site::~node_site() = default;

void node_site::start() {
  process_ = std::make_unique<node_process>(binary_, settings_, logs_.path() / "node.log");
  const bool up = eventually(30s, [this] { return this->up(); });
  INFO(log());
  REQUIRE(up);
}

int node_site::start_and_fail() {
  process_ = std::make_unique<node_process>(binary_, settings_, logs_.path() / "node.log");
  std::optional<int> status;
  const bool ended = eventually(30s, [&] { return (status = process_->exited()).has_value(); });
  INFO(log());
  REQUIRE(ended);
  return *status;
}

void node_site::kill() {
  if (process_) process_->kill();
}

bool node_site::up() const { return healthy(client_); }

client_response node_site::admin(const std::string& method, const std::string& target,
                                 const std::string& body, const std::string& type) const {
  return as_admin(client_, method, target, body, type);
}

client_response node_site::upload(const std::string& bytes) const {
  return admin("POST", "/api/images", bytes, "application/octet-stream");
}

std::int64_t node_site::upload_id(const std::string& bytes) const {
  auto r = upload(bytes);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return parse_json(r.body)["id"].GetInt64();
}

std::size_t node_site::image_count() const {
  auto r = admin("POST", "/api/metadata/images/query",
                 R"({"startIndex":0,"count":1000000,"queryProperties":[]})");
  REQUIRE(r.status == 200);
  return parse_json(r.body).Size();
}

std::string node_site::log() const {
  const auto file = logs_.path() / "node.log";
  return fs::exists(file) ? read_bytes(file) : std::string{};
}

std::size_t node_site::files_under(const std::string& folder) const {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(data_.path() / folder, ec))
    if (e.is_regular_file()) ++n;
  return n;
}

}  // namespace sbx::test
