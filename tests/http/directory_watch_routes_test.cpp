// SPDX-License-Identifier: Apache-2.0
// Spec part B §9 directory watches, §5 sources.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_tools.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;
namespace fs = std::filesystem;

namespace {

std::string watch_body(const std::string& name, const fs::path& path) {
  return R"({"id":-1,"name":")" + name + R"(","path":")" + path.string() + R"("})";
}

/// Waits until `done` holds (fails after 20 s).
void await(const std::function<bool()>& done) {
  REQUIRE(eventually(done, std::chrono::seconds{20}));
}

int image_count(const running_node& n) {
  auto flat = parse_json(n.admin("GET", "/api/metadata/flatseries?count=1000").body);
  int images = 0;
  for (const auto& s : flat.GetArray())
    images +=
        static_cast<int>(parse_json(n.admin("GET", "/api/metadata/images?count=1000&seriesid=" +
                                                       std::to_string(s["series"]["id"].GetInt64()))
                                        .body)
                             .Size());
  return images;
}

bool logged(const running_node& n, const std::string& text) {
  return n.admin("GET", "/api/log?count=1000").body.find(text) != std::string::npos;
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

}  // namespace

TEMPLATE_TEST_CASE("directory watches: create, validation, list, delete, sources",
                   "[http][directorywatches]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  scratch_dir root;
  fs::create_directories(root.path() / "a" / "inner");
  fs::create_directories(root.path() / "b");
  REQUIRE(n.admin("POST", "/api/users", R"({"user":"u","password":"p","role":"USER"})").status ==
          201);

  auto created = n.admin("POST", "/api/directorywatches", watch_body("w1", root.path() / "a"));
  REQUIRE(created.status == 201);
  auto w1 = parse_json(created.body);
  CHECK(w1["id"].GetInt64() > 0);
  CHECK(std::string(w1["name"].GetString()) == "w1");
  // Same name and path: the existing watch.
  auto again = n.admin("POST", "/api/directorywatches", watch_body("w1", root.path() / "a"));
  CHECK(again.status == 201);
  CHECK(parse_json(again.body)["id"].GetInt64() == w1["id"].GetInt64());
  auto other_name = n.admin("POST", "/api/directorywatches", watch_body("w2", root.path() / "a"));
  CHECK(other_name.status == 400);
  CHECK(other_name.body ==
        "Directory watch w1 already watches directory " + (root.path() / "a").string());
  auto missing = n.admin("POST", "/api/directorywatches", watch_body("w3", root.path() / "nope"));
  CHECK(missing.status == 400);
  CHECK(missing.body ==
        "Could not create directory watch: Not a directory: " + (root.path() / "nope").string());
  auto inside =
      n.admin("POST", "/api/directorywatches", watch_body("w4", root.path() / "a" / "inner"));
  CHECK(inside.status == 400);
  CHECK(inside.body == "Directory intersects existing directory " + (root.path() / "a").string());
  CHECK(n.admin("POST", "/api/directorywatches", watch_body("w5", root.path())).status == 400);
  CHECK(
      n.as("u", "p", "POST", "/api/directorywatches", watch_body("w6", root.path() / "b")).status ==
      403);
  CHECK(n.admin("POST", "/api/directorywatches", R"({"id":-1,"name":"x"})").status == 400);
  CHECK(n.admin("POST", "/api/directorywatches",
                R"({"id":-1,"name":"x","path":")" + root.path().string() + R"(\u0000/b"})")
            .status == 400);  // a NUL would cut the path short
  CHECK(n.admin("POST", "/api/directorywatches", "{\"id\":-1,\"name\":\"\xff\",\"path\":\"/\"}")
            .status == 400);  // not UTF-8
  REQUIRE(n.admin("POST", "/api/directorywatches", watch_body("w7", root.path() / "b")).status ==
          201);

  auto list = parse_json(n.as("u", "p", "GET", "/api/directorywatches").body);
  REQUIRE(list.Size() == 2);
  CHECK(parse_json(n.admin("GET", "/api/directorywatches?startindex=1").body).Size() == 1);
  auto sources = n.admin("GET", "/api/sources").body;
  CHECK(sources.find(R"({"sourceType":"directory","sourceName":"w1","sourceId":)") !=
        std::string::npos);

  auto id = std::to_string(w1["id"].GetInt64());
  // A tag filter association of the watch goes with it (source deleted).
  auto filter = n.admin("POST", "/api/filtering/filters",
                        R"({"id":-1,"name":"f","tagFilterType":"BLACKLIST"})");
  REQUIRE(filter.status == 201);
  REQUIRE(n.admin("POST", "/api/filtering/associations",
                  R"({"id":-1,"sourceType":"directory","sourceName":"w1","sourceId":)" + id +
                      R"(,"tagFilterId":)" +
                      std::to_string(parse_json(filter.body)["id"].GetInt64()) +
                      R"(,"tagFilterName":"f"})")
              .status == 201);
  CHECK(n.as("u", "p", "DELETE", "/api/directorywatches/" + id).status == 403);
  CHECK(n.admin("DELETE", "/api/directorywatches/" + id).status == 204);
  await([&] { return n.admin("GET", "/api/filtering/associations").body == "[]"; });
  CHECK(n.admin("DELETE", "/api/directorywatches/" + id).status == 204);
  CHECK(parse_json(n.admin("GET", "/api/directorywatches").body).Size() == 1);
  // Its path can be watched again.
  CHECK(n.admin("POST", "/api/directorywatches", watch_body("w8", root.path() / "a")).status ==
        201);
}

TEMPLATE_TEST_CASE("directory watches import existing, new and nested files once complete",
                   "[http][directorywatches]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value,
                 [](sbx::app::config& c) { c.directory_watch_rescan = std::chrono::seconds{1}; }};
  scratch_dir root;
  write_file(root.path() / "existing.dcm", f1_in("p1", "st1", "se1", "so1"));
  auto created = n.admin("POST", "/api/directorywatches", watch_body("dropbox", root.path()));
  REQUIRE(created.status == 201);
  await([&] { return image_count(n) == 1; });
  // Its series came from the watch.
  auto source = parse_json(n.admin("GET", "/api/metadata/series/1/source").body);
  CHECK(std::string(source["sourceType"].GetString()) == "directory");
  CHECK(std::string(source["sourceName"].GetString()) == "dropbox");
  CHECK(fs::exists(root.path() / "existing.dcm"));  // kept: delete_on_import is off

  // A new file; a file in a new folder; a file deep in folders made afterwards.
  write_file(root.path() / "new.dcm", f1_in("p1", "st1", "se1", "so2"));
  await([&] { return image_count(n) == 2; });
  fs::create_directories(root.path() / "x" / "y");
  write_file(root.path() / "x" / "y" / "deep.dcm", f1_in("p1", "st1", "se1", "so3"));
  await([&] { return image_count(n) == 3; });
  fs::create_directories(root.path() / "x" / "y" / "z");
  write_file(root.path() / "x" / "y" / "z" / "deeper.dcm", f1_in("p1", "st1", "se1", "so4"));
  await([&] { return image_count(n) == 4; });

  // A file being written is not imported until it is complete.
  auto bytes = f1_in("p1", "st1", "se1", "so5");
  {
    std::ofstream slow(root.path() / "slow.dcm", std::ios::binary);
    slow.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    slow.flush();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(2500));  // past a rescan and the settle time
    CHECK(image_count(n) == 4);
    CHECK_FALSE(logged(n, "slow.dcm"));
    slow.write(bytes.data() + bytes.size() / 2,
               static_cast<std::streamsize>(bytes.size() - bytes.size() / 2));
  }
  await([&] { return image_count(n) == 5; });

  // Rejected files are logged and left in place: not DICOM, and a Secondary Capture (image-data
  // contexts only).
  write_file(root.path() / "notes.txt", "not dicom");
  write_file(root.path() / "sc.dcm", fixture("sc.dcm"));
  await([&] {
    return logged(n, "Could not add file notes.txt: ") && logged(n, "Could not add file sc.dcm: ");
  });
  CHECK(fs::exists(root.path() / "notes.txt"));
  CHECK(fs::exists(root.path() / "sc.dcm"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a rescan does not retry them
  auto log = n.admin("GET", "/api/log?count=1000").body;
  std::size_t count = 0;
  for (auto p = log.find("notes.txt"); p != std::string::npos; p = log.find("notes.txt", p + 1))
    ++count;
  CHECK(count == 1);
  CHECK(image_count(n) == 5);
}

TEMPLATE_TEST_CASE("directory watches: delete on import, restarts, vanished folders",
                   "[http][directorywatches]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value, [](sbx::app::config& c) {
                   c.directory_watch_delete_on_import = true;
                   c.directory_watch_rescan = std::chrono::seconds{1};
                 }};
  scratch_dir kept, gone;
  REQUIRE(n.admin("POST", "/api/directorywatches", watch_body("kept", kept.path())).status == 201);
  REQUIRE(
      n.admin("POST", "/api/directorywatches", watch_body("gone", gone.path() / "sub")).status ==
      400);
  fs::create_directories(gone.path() / "sub");
  REQUIRE(
      n.admin("POST", "/api/directorywatches", watch_body("gone", gone.path() / "sub")).status ==
      201);
  write_file(kept.path() / "a.dcm", f1_in("p1", "st1", "se1", "so1"));
  write_file(kept.path() / "bad.dcm", "garbage");
  await([&] { return image_count(n) == 1 && !fs::exists(kept.path() / "a.dcm"); });
  await([&] { return logged(n, "Could not add file bad.dcm"); });
  CHECK(fs::exists(kept.path() / "bad.dcm"));  // rejected files stay

  // After a restart the watch still works; a watch whose folder vanished is deleted.
  fs::remove_all(gone.path() / "sub");
  write_file(kept.path() / "while-down.dcm", f1_in("p1", "st1", "se1", "so2"));
  n.restart();
  auto watches = parse_json(n.admin("GET", "/api/directorywatches").body);
  REQUIRE(watches.Size() == 1);
  CHECK(std::string(watches[0]["name"].GetString()) == "kept");
  await([&] { return image_count(n) == 2; });
  write_file(kept.path() / "after.dcm", f1_in("p1", "st1", "se1", "so3"));
  await([&] { return image_count(n) == 3; });
}
