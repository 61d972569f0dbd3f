// SPDX-License-Identifier: Apache-2.0
// The data folder's file system full (docs/operations.md#full-disk): writes answer 507 (REST) or
// Out of Resources (C-STORE) and store nothing, reads keep working, and writes work again as soon
// as space is freed.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"
#include "support/dicom_peers.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

/// A tmpfs of a few MB mounted on a fresh folder for as long as the object lives.
class small_file_system {
 public:
  explicit small_file_system(const std::string& size) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("sbx-full-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
    const auto options = "size=" + size;
    // In a mount namespace of this process's own, when it may have one: a test that dies leaves
    // no mount behind.
    if (::unshare(CLONE_NEWNS) == 0) ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0)
      mounted_ = true;
    else
      why_ = std::strerror(errno);
  }
  ~small_file_system() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  small_file_system(const small_file_system&) = delete;
  small_file_system& operator=(const small_file_system&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }
  const std::filesystem::path& path() const { return path_; }

  /// Takes every free byte with one file.
  void fill() {
    const int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    const std::string block(64 * 1024, 'f');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    const int error = errno;
    ::close(fd);
    REQUIRE(error == ENOSPC);
    // Small writes may still find a partial block: take those too.
    const int small = ::open(filler().c_str(), O_WRONLY | O_APPEND);
    while (::write(small, "f", 1) == 1) {
    }
    ::close(small);
  }
  /// Gives the space back.
  void free_up() { std::filesystem::remove(filler()); }

 private:
  std::filesystem::path filler() const { return path_ / "filler"; }

  std::filesystem::path path_;
  bool mounted_ = false;
  std::string why_;
};

std::size_t files_under(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

/// The ids of every image the node lists, through the flat series and their images.
std::size_t image_rows(const running_node& n) {
  auto series = parse_json(n.admin("GET", "/api/metadata/flatseries?count=1000").body);
  std::size_t rows = 0;
  for (const auto& s : series.GetArray()) {
    auto images = parse_json(
        n.admin("GET", "/api/metadata/images?seriesid=" + std::to_string(s["id"].GetInt64())).body);
    rows += images.Size();
  }
  return rows;
}

}  // namespace

TEMPLATE_TEST_CASE("a full data folder answers 507 and Out of Resources, and recovers",
                   "[http][full-disk]", sqlite_backend, postgres_backend) {
  small_file_system fs{"40m"};  // more than the 16 MiB the node keeps in reserve
  if (!fs.mounted()) {
    WARN("full-disk test skipped: cannot mount a tmpfs (" << fs.why_not()
                                                          << "); run as root (deploy/test.sh)");
    return;
  }
  running_node n{TestType::value, [&](sbx::app::config& c) { c.data_dir = fs.path(); }};
  const auto images = fs.path() / "images";
  const auto tmp = fs.path() / "tmp";
  const auto stored = upload_id(n, fixture("test.dcm"));
  const auto id = std::to_string(stored);
  const auto original = n.admin("GET", "/api/images/" + id).body;
  const auto port = free_port();
  REQUIRE(n.admin("POST", "/api/scps",
                  R"({"id":-1,"name":"full","aeTitle":"FULL","port":)" + std::to_string(port) + "}")
              .status == 201);
  const auto session = id_of(n.admin("POST", "/api/import/sessions", R"({"name":"full"})"));

  fs.fill();

  SECTION("every way in is refused with 507 or Out of Resources, and nothing is half-stored") {
    auto big = fixture("sc.dcm");
    auto r = upload(n, big);
    INFO(r.body);
    CHECK(r.status == 507);
    CHECK(r.body.find("Insufficient storage") != std::string::npos);
    CHECK(upload_multipart(n, big).status == 507);
    CHECK(upload_multipart_to(n, "/api/import/sessions/" + std::to_string(session) + "/images", big)
              .status == 507);
    const std::string basic =
        R"({"profile":{"options":[{"name":"BASIC_PROFILE"}]},"tagValues":[]})";
    r = n.admin("PUT", "/api/images/" + id + "/anonymize", basic);
    INFO(r.body);
    CHECK(r.status == 507);
    r = n.admin("PUT", "/api/images/" + id + "/modify",
                R"([{"tagPath":{"tag":1052688,"name":"PatientAge"},"value":"123Y"}])");
    INFO(r.body);
    CHECK(r.status == 507);

    require_tool("storescu");
    auto [rc, out] = run_command("TCP_NODELAY=1 storescu -v -aec FULL 127.0.0.1 " +
                                 std::to_string(port) + " " + SBX_FIXTURES_DIR + "/test.dcm 2>&1");
    INFO(out);
    CHECK(rc != 0);
    CHECK(out.find("Refused: OutOfResources") != std::string::npos);

    // Reads keep working, the stored image is intact and alone.
    CHECK(n.admin("GET", "/api/images/" + id).body == original);
    CHECK(n.admin("GET", "/api/metadata/images/" + id).status == 200);
    CHECK(n.admin("GET", "/api/images/" + id + "/png").status == 200);
    auto set = id_of(n.admin("POST", "/api/images/export", "[" + id + "]"));
    auto zip = n.admin("GET", "/api/images/export?id=" + std::to_string(set));
    CHECK(zip.status == 200);
    CHECK(zip.body.size() > original.size());
    CHECK(image_rows(n) == 1);
    CHECK(files_under(images) == 1);
    CHECK(std::filesystem::is_empty(tmp));
  }

  SECTION("once space is freed, writes work again without a restart") {
    CHECK(upload(n, fixture("sc.dcm")).status == 507);
    fs.free_up();
    auto r = upload(n, fixture("sc.dcm"));
    INFO(r.body);
    CHECK(r.status == 201);
    const std::string basic =
        R"({"profile":{"options":[{"name":"BASIC_PROFILE"}]},"tagValues":[]})";
    CHECK(n.admin("PUT", "/api/images/" + id + "/anonymize", basic).status == 200);
    require_tool("storescu");
    auto [rc, out] = run_command("TCP_NODELAY=1 storescu -aec FULL 127.0.0.1 " +
                                 std::to_string(port) + " " + SBX_FIXTURES_DIR + "/test.dcm 2>&1");
    INFO(out);
    CHECK(rc == 0);
    CHECK(image_rows(n) == files_under(images));
    CHECK(std::filesystem::is_empty(tmp));
  }
}

TEST_CASE("a full disk under the SQLite database too: 507, nothing half-done, and it recovers",
          "[http][full-disk]") {
  small_file_system fs{"40m"};
  if (!fs.mounted()) {
    WARN("full-disk test skipped: cannot mount a tmpfs (" << fs.why_not()
                                                          << "); run as root (deploy/test.sh)");
    return;
  }
  running_node n{sbx::persistence::backend::sqlite, [&](sbx::app::config& c) {
                   c.data_dir = fs.path() / "data";
                   c.sqlite_path = (fs.path() / "node.sqlite").string();
                 }};
  const auto images = fs.path() / "data" / "images";
  std::vector<std::int64_t> ids;
  for (const auto* sop : {"1.2.826.0.1.1", "1.2.826.0.1.2", "1.2.826.0.1.3"})
    ids.push_back(upload_id(n, f1_in("full^disk", "1.2.826.0.1", "1.2.826.0.1.0", sop)));
  const auto kept = std::to_string(ids[0]);
  const auto original = n.admin("GET", "/api/images/" + kept).body;

  fs.fill();

  // Writes are refused, with the disk named, and no row or file is added.
  auto r = upload(n, fixture("test.dcm"));
  INFO(r.body);
  CHECK(r.status == 507);
  CHECK(n.admin("GET", "/api/images/" + kept).body == original);
  CHECK(n.admin("GET", "/api/metadata/images/" + kept).status == 200);
  CHECK(image_rows(n) == ids.size());
  CHECK(files_under(images) == ids.size());

  // A deletion needs room in the database's write-ahead log: while there is none it is refused
  // with 507 too, and the image keeps both its row and its file (docs/operations.md#full-disk).
  r = n.admin("DELETE", "/api/images/" + std::to_string(ids[2]));
  INFO(r.body);
  CHECK((r.status == 507 || r.status == 204));
  const bool deleted = r.status == 204;
  CHECK(n.admin("GET", "/api/metadata/images/" + std::to_string(ids[2])).status ==
        (deleted ? 404 : 200));
  CHECK(image_rows(n) == ids.size() - deleted);
  CHECK(files_under(images) == ids.size() - deleted);
  if (deleted) ids.erase(ids.begin() + 2);

  // Space back: ingest works again without a restart, and after one everything is consistent.
  fs.free_up();
  ids.push_back(upload_id(n, f1_in("full^disk", "1.2.826.0.1", "1.2.826.0.1.0", "1.2.826.0.1.4")));
  if (!deleted) {
    CHECK(n.admin("DELETE", "/api/images/" + std::to_string(ids[2])).status == 204);
    ids.erase(ids.begin() + 2);
  }
  n.restart();
  CHECK(n.admin("GET", "/api/images/" + kept).body == original);
  CHECK(image_rows(n) == ids.size());
  CHECK(files_under(images) == ids.size());
}
