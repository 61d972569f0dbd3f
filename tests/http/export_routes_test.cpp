// SPDX-License-Identifier: Apache-2.0
// Export sets (docs/api.md#export-sets): POST /api/images/export and GET /api/images/export?id=.
#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"
#include "support/eventually.hpp"

using namespace sbx::test;

namespace {

struct zip_entry {
  std::string name;
  std::string data;
};

/// Reads a whole ZIP with libarchive (an independent reader); fails the test if it is invalid.
std::vector<zip_entry> read_zip(const std::string& bytes) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), &archive_read_free);
  archive_read_support_format_zip_seekable(a.get());
  REQUIRE(archive_read_open_memory(a.get(), bytes.data(), bytes.size()) == ARCHIVE_OK);
  std::vector<zip_entry> out;
  archive_entry* e = nullptr;
  int status;
  while ((status = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    zip_entry z{archive_entry_pathname_utf8(e), {}};
    char buffer[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0) z.data.append(buffer, n);
    REQUIRE(n == 0);
    out.push_back(std::move(z));
  }
  REQUIRE(status == ARCHIVE_EOF);
  return out;
}

std::string create_set(const running_node& n, const std::string& ids) {
  auto r = n.admin("POST", "/api/images/export", ids);
  REQUIRE(r.status == 200);
  auto id = id_of(r);
  CHECK(id > 0);
  return std::to_string(id);
}

/// The ZIP entry name of an image:
/// `<patient>_<name>-<id>/<study>_<date>/<series>_<date>_<modality>/<image>.dcm`.
std::string entry_name(const running_node& n, std::int64_t image_id) {
  auto image = parse_json(n.admin("GET", "/api/metadata/images/" + std::to_string(image_id)).body);
  auto series_id = std::to_string(image["seriesId"].GetInt64());
  auto series = parse_json(n.admin("GET", "/api/metadata/series/" + series_id).body);
  auto study_id = std::to_string(series["studyId"].GetInt64());
  auto study = parse_json(n.admin("GET", "/api/metadata/studies/" + study_id).body);
  auto patient_id = std::to_string(study["patientId"].GetInt64());
  auto patient = parse_json(n.admin("GET", "/api/metadata/patients/" + patient_id).body);
  auto value = [](const rapidjson::Value& v, const char* name) {
    return std::string(v[name]["value"].GetString());
  };
  return patient_id + "_" + value(patient, "patientName") + "-" + value(patient, "patientID") +
         "/" + study_id + "_" + value(study, "studyDate") + "/" + series_id + "_" +
         value(series, "seriesDate") + "_" + value(series, "modality") + "/" +
         std::to_string(image_id) + ".dcm";
}

}  // namespace

TEMPLATE_TEST_CASE("POST /images/export then GET streams a ZIP of the images in request order",
                   "[http][export]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto a = f1_in("p1", "st1", "se1", "so1");
  auto b = f1_in("p2", "st2", "se2", "so2");
  auto c = fixture("test.dcm");
  auto ia = upload_id(n, a), ib = upload_id(n, b), ic = upload_id(n, c);

  auto set = create_set(
      n, "[" + std::to_string(ic) + "," + std::to_string(ia) + "," + std::to_string(ib) + "]");
  auto r = n.admin("GET", "/api/images/export?id=" + set);
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type").value_or("") == "application/octet-stream");
  CHECK(r.header("Content-Disposition").value_or("") == "attachment; filename=slicebox-export.zip");
  CHECK(r.header("Transfer-Encoding").value_or("") == "chunked");  // streamed, not buffered

  auto entries = read_zip(r.body);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].name == entry_name(n, ic));
  CHECK(entries[1].name == entry_name(n, ia));
  CHECK(entries[2].name == entry_name(n, ib));
  CHECK(entries[0].data == c);  // bytes as stored
  CHECK(entries[1].data == a);
  CHECK(entries[2].data == b);
  CHECK(entries[1].name.find("_p1-p1/") != std::string::npos);

  // A set can be downloaded again while it lives.
  CHECK(read_zip(n.admin("GET", "/api/images/export?id=" + set).body).size() == 3);
}

TEMPLATE_TEST_CASE("export: empty set, ids, unknown sets and missing images", "[http][export]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = std::to_string(upload_id(n, fixture("test.dcm")));

  auto empty = n.admin("POST", "/api/images/export", "[]");
  CHECK(empty.status == 204);
  CHECK(empty.body.empty());
  CHECK(create_set(n, "[" + id + "]") == "1");  // ids start at 1 ...
  CHECK(create_set(n, "[" + id + "]") == "2");  // ... and grow

  auto unknown = n.admin("GET", "/api/images/export?id=99");
  CHECK(unknown.status == 404);
  CHECK(unknown.body ==
        "The requested resource could not be found but may be available again in the future.");
  CHECK(n.admin("GET", "/api/images/export").status == 404);  // missing query parameter
  CHECK(n.admin("GET", "/api/images/export?id=x").status == 400);
  CHECK(n.admin("POST", "/api/images/export", "[1,").status == 400);
  CHECK(n.admin("POST", "/api/images/export", R"({"id":1})").status == 400);
  CHECK(n.client().request("GET", "/api/images/export?id=1").status == 401);

  // Ids are not checked when the set is made; an image that is gone is a 404 before any byte of
  // the archive (docs/api.md#deviations-from-slicebox-211), not a truncated download.
  auto with_missing = create_set(n, "[" + id + ",666]");
  auto r = n.admin("GET", "/api/images/export?id=" + with_missing);
  CHECK(r.status == 404);
  CHECK(r.body.find("666") != std::string::npos);
}

TEMPLATE_TEST_CASE("export: a / in a folder name becomes -", "[http][export]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  using namespace tags;
  // (A backslash separates DICOM values, so only the first value of each reaches the index.)
  auto bytes = dicom_variant("test.dcm", {{patient_name, "A/B^C\\D"},
                                          {patient_id, "X/Y"},
                                          {study_uid, "1.2.3"},
                                          {series_uid, "1.2.3.4"},
                                          {modality, "C/T"}});
  auto id = upload_id(n, bytes);
  auto entries = read_zip(
      n.admin("GET", "/api/images/export?id=" + create_set(n, "[" + std::to_string(id) + "]"))
          .body);
  REQUIRE(entries.size() == 1);
  auto name = entries[0].name;
  CHECK(std::count(name.begin(), name.end(), '/') == 3);
  INFO(name);
  CHECK(name.find("_A-B^C-X-Y/") != std::string::npos);
  CHECK(name.find("_C-T/") != std::string::npos);
  CHECK(name.substr(name.size() - 4) == ".dcm");
}

TEMPLATE_TEST_CASE("export sets expire; files are stored by default", "[http][export]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value,
                 [](sbx::app::config& c) { c.export_lifetime = std::chrono::seconds{1}; }};
  auto bytes = fixture("test.dcm");
  auto set = create_set(n, "[" + std::to_string(upload_id(n, bytes)) + "]");
  auto r = n.admin("GET", "/api/images/export?id=" + set);
  REQUIRE(r.status == 200);
  auto entries = read_zip(r.body);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].data == bytes);
  CHECK(r.body.size() > bytes.size());  // stored, not deflated
  CHECK(eventually(std::chrono::seconds{10},
                   [&] { return n.admin("GET", "/api/images/export?id=" + set).status == 404; }));
}

TEMPLATE_TEST_CASE("export: a compression level deflates", "[http][export]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value, [](sbx::app::config& c) { c.export_compression_level = 6; }};
  auto bytes = fixture("test.dcm");
  auto set = create_set(n, "[" + std::to_string(upload_id(n, bytes)) + "]");
  auto r = n.admin("GET", "/api/images/export?id=" + set);
  auto entries = read_zip(r.body);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].data == bytes);
  CHECK(r.body.size() < bytes.size());
}

TEMPLATE_TEST_CASE(
    "export: a file that vanishes mid-way aborts the download; keep-alive works after one",
    "[http][export]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto id = std::to_string(upload_id(n, fixture("test.dcm")));
  auto set = create_set(n, "[" + id + "]");

  // Two requests on one connection: the chunked archive ends properly, the next answer follows.
  auto auth = basic_auth("admin", "admin");
  auto get = "GET /api/images/export?id=" + set + " HTTP/1.1\r\nHost: x\r\n" + auth.first + ": " +
             auth.second + "\r\n\r\n";
  auto both = n.client().raw(get +
                             "GET /api/system/health HTTP/1.1\r\nHost: x\r\n"
                             "Connection: close\r\n\r\n");
  CHECK(both.find("HTTP/1.1 200") == 0);
  CHECK(both.find("\r\n0\r\n\r\nHTTP/1.1 200") != std::string::npos);

  // The index still has the image but its file is gone: the connection closes mid-body.
  for (const auto& f : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(n.config().data_dir) / "images"))
    if (f.is_regular_file()) std::filesystem::remove(f.path());
  CHECK_THROWS(n.admin("GET", "/api/images/export?id=" + set));
  CHECK(n.admin("GET", "/api/system/health").status == 200);  // the node is fine
}
