// SPDX-License-Identifier: Apache-2.0
// /api/filtering over HTTP (docs/api.md#filtering), associations removed with their source
// (source_deleted), and filtering at ingest.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>

#include "dicom/dataset_header.hpp"
#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"
#include "support/eventually.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::test;

namespace {

std::string filter_body(const std::string& name, const std::string& type) {
  return R"({"id":-1,"name":")" + name + R"(","tagFilterType":")" + type + R"("})";
}

/// Creates a filter as admin; answers its id.
std::int64_t add_filter(const running_node& n, const std::string& name, const std::string& type) {
  auto r = n.admin("POST", "/api/filtering/filters", filter_body(name, type));
  REQUIRE(r.status == 201);
  auto id = id_of(r);
  CHECK(id > 0);
  return id;
}

std::string tag_path_body(std::int64_t filter, const std::string& tree_json) {
  return R"({"id":-1,"tagFilterId":)" + std::to_string(filter) + R"(,"tagPath":)" + tree_json + "}";
}

/// Adds a tree (TagTree JSON) to a filter; answers the created row's id.
std::int64_t add_tree(const running_node& n, std::int64_t filter, const std::string& tree_json) {
  auto r = n.admin("POST", "/api/filtering/filters/" + std::to_string(filter) + "/tagpaths",
                   tag_path_body(filter, tree_json));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return id_of(r);
}

std::string association_body(const std::string& type, const std::string& name, std::int64_t id,
                             std::int64_t filter) {
  return R"({"id":-1,"sourceType":")" + type + R"(","sourceName":")" + name + R"(","sourceId":)" +
         std::to_string(id) + R"(,"tagFilterId":)" + std::to_string(filter) +
         R"(,"tagFilterName":"f"})";
}

/// Associates a filter with a source; answers the association's id.
std::int64_t associate(const running_node& n, const std::string& type, std::int64_t id,
                       std::int64_t filter) {
  auto r = n.admin("POST", "/api/filtering/associations",
                   association_body(type, type + " " + std::to_string(id), id, filter));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return id_of(r);
}

std::vector<std::int64_t> ids_in(const std::string& body) {
  std::vector<std::int64_t> out;
  auto doc = parse_json(body);
  for (const auto& x : doc.GetArray()) out.push_back(x["id"].GetInt64());
  return out;
}

std::int64_t add_user(const running_node& n, const std::string& name) {
  auto r =
      n.admin("POST", "/api/users", R"({"user":")" + name + R"(","role":"USER","password":"p"})");
  REQUIRE(r.status == 201);
  return id_of(r);
}

std::int64_t admin_id(const running_node& n) {
  auto users = parse_json(n.admin("GET", "/api/users").body);
  for (const auto& u : users.GetArray())
    if (std::string(u["user"].GetString()) == "admin") return u["id"].GetInt64();
  FAIL("no admin user");
  return -1;
}

/// The stored image's attributes: tag path strings (e.g. `Seq[1].Element`) and their tags.
std::map<std::string, std::uint32_t> attribute_paths(const running_node& n, std::int64_t image) {
  auto r = n.admin("GET", "/api/images/" + std::to_string(image) + "/attributes");
  REQUIRE(r.status == 200);
  std::map<std::string, std::uint32_t> out;
  const std::function<std::string(const rapidjson::Value&)> text = [&](const rapidjson::Value& p) {
    std::string head = p.HasMember("previous") ? text(p["previous"]) + "." : "";
    head += p["name"].GetString();
    if (p.HasMember("item")) head += "[" + std::string(p["item"].GetString()) + "]";
    return head;
  };
  auto doc = parse_json(r.body);
  for (const auto& a : doc.GetArray())
    out[text(a["tagPath"])] = static_cast<std::uint32_t>(a["tagPath"]["tag"].GetInt());
  return out;
}

/// The stored file, checked to be a Part-10 file the node itself can read again.
sbx::dicom::header_info stored_header(const running_node& n, std::int64_t image) {
  auto r = n.admin("GET", "/api/images/" + std::to_string(image));
  REQUIRE(r.status == 200);
  REQUIRE(r.body.size() > 132);
  CHECK(r.body.substr(128, 4) == "DICM");
  scratch_dir dir;
  write_bytes(dir / "stored.dcm", r.body);
  sbx::dicom::header_info h;
  REQUIRE_NOTHROW(h = sbx::dicom::read_header(dir / "stored.dcm"));
  return h;
}

std::string patient_name_of(const running_node& n, std::int64_t image) {
  auto img = parse_json(n.admin("GET", "/api/metadata/images/" + std::to_string(image)).body);
  auto series = parse_json(
      n.admin("GET", "/api/metadata/series/" + std::to_string(img["seriesId"].GetInt64())).body);
  auto study = parse_json(
      n.admin("GET", "/api/metadata/studies/" + std::to_string(series["studyId"].GetInt64())).body);
  auto patient = parse_json(
      n.admin("GET", "/api/metadata/patients/" + std::to_string(study["patientId"].GetInt64()))
          .body);
  return patient["patientName"]["value"].GetString();
}

const std::string patient_name_tree = R"({"tag":1048592,"name":"PatientName"})";
const std::string energy_window_sequence_tree = R"({"tag":5505042,"name":"","item":"*"})";

}  // namespace

TEMPLATE_TEST_CASE("filters are created, listed and deleted", "[http][filtering]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto first = add_filter(n, "filter", "WHITELIST");
  auto second = add_filter(n, "filter", "WHITELIST");
  CHECK(second != first);
  CHECK(ids_in(n.admin("GET", "/api/filtering/filters").body) ==
        std::vector<std::int64_t>{first, second});
  CHECK(n.admin("DELETE", "/api/filtering/filters/" + std::to_string(second)).status == 204);
  auto black = add_filter(n, "filter", "BLACKLIST");
  auto created = n.admin("POST", "/api/filtering/filters", filter_body("other", "BLACKLIST"));
  auto listed = n.admin("GET", "/api/filtering/filters").body;
  CHECK(ids_in(listed).size() == 3);
  CHECK(parse_json(listed)[1]["tagFilterType"].GetString() == std::string("BLACKLIST"));
  CHECK(parse_json(listed)[1]["id"].GetInt64() == black);
  CHECK(listed.find(created.body) != std::string::npos);  // exactly the created object
  CHECK(created.body == R"({"id":)" + std::to_string(ids_in(listed)[2]) +
                            R"(,"name":"other","tagFilterType":"BLACKLIST"})");
  CHECK(n.admin("DELETE", "/api/filtering/filters/" + std::to_string(first)).status == 204);
  CHECK(ids_in(n.admin("GET", "/api/filtering/filters").body).size() == 2);
  CHECK(n.admin("DELETE", "/api/filtering/filters/666").status == 204);
  // Paging.
  CHECK(ids_in(n.admin("GET", "/api/filtering/filters?startindex=1").body).size() == 1);
  CHECK(ids_in(n.admin("GET", "/api/filtering/filters?count=1").body) ==
        std::vector<std::int64_t>{black});
  CHECK(n.admin("GET", "/api/filtering/filters?startindex=-1").status == 400);
}

TEMPLATE_TEST_CASE("tag paths and associations are listed, paged and deleted", "[http][filtering]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto filter = add_filter(n, "filter", "BLACKLIST");
  auto trees = "/api/filtering/filters/" + std::to_string(filter) + "/tagpaths";
  auto p1 = add_tree(n, filter, patient_name_tree);
  auto p2 = add_tree(n, filter, patient_name_tree);
  CHECK(ids_in(n.admin("GET", trees).body) == std::vector<std::int64_t>{p1, p2});
  CHECK(ids_in(n.admin("GET", trees + "?startindex=1").body) == std::vector<std::int64_t>{p2});
  CHECK(ids_in(n.admin("GET", trees + "?count=1").body) == std::vector<std::int64_t>{p1});
  auto listed = parse_json(n.admin("GET", trees).body);
  CHECK(listed[0]["tagFilterId"].GetInt64() == filter);
  CHECK(listed[0]["tagPath"]["tag"].GetInt() == 0x00100010);
  CHECK(listed[0]["tagPath"]["name"].GetString() == std::string("PatientName"));
  CHECK(n.admin("DELETE", trees + "/" + std::to_string(p1)).status == 204);
  CHECK(ids_in(n.admin("GET", trees).body) == std::vector<std::int64_t>{p2});
  CHECK(n.admin("GET", "/api/filtering/filters/666/tagpaths").body == "[]");

  auto a1 = associate(n, "import", 1, filter);
  auto a2 = associate(n, "scp", 1, filter);
  auto a3 = associate(n, "box", 1, filter);
  auto associations = parse_json(n.admin("GET", "/api/filtering/associations").body);
  REQUIRE(associations.Size() == 3);
  CHECK(associations[0]["sourceType"].GetString() == std::string("import"));
  CHECK(associations[0]["sourceName"].GetString() == std::string("import 1"));
  CHECK(associations[0]["sourceId"].GetInt64() == 1);
  CHECK(associations[0]["tagFilterId"].GetInt64() == filter);
  CHECK(associations[0]["tagFilterName"].GetString() == std::string("f"));
  CHECK(associations[1]["sourceType"].GetString() == std::string("scp"));
  CHECK(ids_in(n.admin("GET", "/api/filtering/associations?startindex=1&count=1").body) ==
        std::vector<std::int64_t>{a2});
  CHECK(n.admin("DELETE", "/api/filtering/associations/" + std::to_string(a1)).status == 204);
  CHECK(ids_in(n.admin("GET", "/api/filtering/associations").body) ==
        std::vector<std::int64_t>{a2, a3});
  CHECK(n.admin("DELETE", "/api/filtering/associations/666").status == 204);

  // Deleting the filter takes its trees and associations with it.
  CHECK(n.admin("DELETE", "/api/filtering/filters/" + std::to_string(filter)).status == 204);
  CHECK(n.admin("GET", "/api/filtering/associations").body == "[]");
  CHECK(n.admin("GET", trees).body == "[]");
}

TEMPLATE_TEST_CASE("filtering: writes are for administrators", "[http][filtering]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  add_user(n, "user");
  auto filter = add_filter(n, "filter", "BLACKLIST");
  auto tree = add_tree(n, filter, patient_name_tree);
  auto association = associate(n, "user", 1, filter);
  auto f = std::to_string(filter);
  auto as_user = [&](const std::string& method, const std::string& target,
                     const std::string& body = {}) {
    return n.as("user", "p", method, target, body).status;
  };
  CHECK(as_user("GET", "/api/filtering/filters") == 200);
  CHECK(as_user("GET", "/api/filtering/filters/" + f + "/tagpaths") == 200);
  CHECK(as_user("GET", "/api/filtering/associations") == 200);
  CHECK(as_user("POST", "/api/filtering/filters", filter_body("x", "BLACKLIST")) == 403);
  CHECK(as_user("DELETE", "/api/filtering/filters/" + f) == 403);
  CHECK(as_user("POST", "/api/filtering/filters/" + f + "/tagpaths",
                tag_path_body(filter, patient_name_tree)) == 403);
  CHECK(as_user("DELETE", "/api/filtering/filters/" + f + "/tagpaths/" + std::to_string(tree)) ==
        403);
  CHECK(as_user("POST", "/api/filtering/associations", association_body("user", "u", 1, filter)) ==
        403);
  CHECK(as_user("DELETE", "/api/filtering/associations/" + std::to_string(association)) == 403);
  CHECK(n.client().request("GET", "/api/filtering/filters").status == 401);
  CHECK(
      n.client().request("POST", "/api/filtering/filters", filter_body("x", "WHITELIST")).status ==
      401);
  // Nothing changed.
  CHECK(ids_in(n.admin("GET", "/api/filtering/filters").body).size() == 1);
  CHECK(ids_in(n.admin("GET", "/api/filtering/filters/" + f + "/tagpaths").body).size() == 1);
  CHECK(ids_in(n.admin("GET", "/api/filtering/associations").body).size() == 1);
}

TEMPLATE_TEST_CASE("filtering: invalid input is a 400, never a 500", "[http][filtering]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto bad = [&](const std::string& target, const std::string& body) {
    auto r = n.admin("POST", target, body);
    INFO(target << " " << body << " -> " << r.body);
    CHECK(r.status == 400);
    return r.body;
  };
  bad("/api/filtering/filters", filter_body("x", "GREYLIST"));
  bad("/api/filtering/filters", filter_body("x", "whitelist"));
  bad("/api/filtering/filters", R"({"id":-1,"tagFilterType":"WHITELIST"})");
  bad("/api/filtering/filters", R"({"id":-1,"name":"x","tagFilterType":"WHITELIST")");
  bad("/api/filtering/filters", R"({"id":-1,"name":"x\u0000y","tagFilterType":"WHITELIST"})");
  auto filter = add_filter(n, "filter", "WHITELIST");
  auto trees = "/api/filtering/filters/" + std::to_string(filter) + "/tagpaths";
  CHECK(bad(trees, tag_path_body(666, patient_name_tree)) == "Tag filter 666 does not exist");
  bad(trees, tag_path_body(filter, R"({"name":"NoSuchKeyword"})"));
  bad(trees, tag_path_body(filter, R"({"item":"1"})"));
  bad(trees, tag_path_body(filter, R"("PatientName")"));
  bad(trees, R"({"id":-1,"tagPath":{"tag":1048592}})");
  CHECK(bad("/api/filtering/associations", association_body("user", "u", 1, 666)) ==
        "Tag filter 666 does not exist");
  bad("/api/filtering/associations",
      R"({"id":-1,"sourceType":"user","sourceId":1,"tagFilterId":1,"tagFilterName":"f"})");
  bad("/api/filtering/associations", association_body("user", "\\u0000", 1, filter));
  CHECK(n.admin("GET", trees + "?count=x").status == 400);
  CHECK(n.client()
            .request("POST", "/api/filtering/filters", filter_body("x", "WHITELIST"),
                     {basic_auth("admin", "admin"), {"Content-Type", "text/plain"}})
            .status == 415);
  CHECK(n.admin("GET", "/api/filtering/filters").body.find("\"x") == std::string::npos);
  CHECK(n.admin("GET", trees).body == "[]");
  CHECK(n.admin("GET", "/api/filtering/associations").body == "[]");
}

TEMPLATE_TEST_CASE("filtering: a tag path goes to the filter its body names (as in Slicebox)",
                   "[http][filtering]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto a = add_filter(n, "a", "BLACKLIST");
  auto b = add_filter(n, "b", "BLACKLIST");
  // Posted under b (and under a filter that does not exist), naming a in the body.
  for (const auto& under : {std::to_string(b), std::string("666")}) {
    auto r = n.admin("POST", "/api/filtering/filters/" + under + "/tagpaths",
                     tag_path_body(a, R"({"tag":5505043,"name":"","item":"2","previous":)"
                                      R"({"tag":5505042,"name":"","item":"*"}})"));
    REQUIRE(r.status == 201);
    CHECK(parse_json(r.body)["tagFilterId"].GetInt64() == a);
  }
  CHECK(n.admin("GET", "/api/filtering/filters/" + std::to_string(b) + "/tagpaths").body == "[]");
  auto listed =
      parse_json(n.admin("GET", "/api/filtering/filters/" + std::to_string(a) + "/tagpaths").body);
  REQUIRE(listed.Size() == 2);
  // The tree comes back with names and the any-item node.
  const auto& tree = listed[0]["tagPath"];
  CHECK(tree["tag"].GetInt() == 0x00540013);
  CHECK(tree["name"].GetString() == std::string("EnergyWindowRangeSequence"));
  CHECK(tree["item"].GetString() == std::string("2"));
  CHECK(tree["previous"]["name"].GetString() == std::string("EnergyWindowInformationSequence"));
  CHECK(tree["previous"]["item"].GetString() == std::string("*"));
  // A node may be given by its keyword alone.
  auto by_name = n.admin("POST", "/api/filtering/filters/" + std::to_string(b) + "/tagpaths",
                         tag_path_body(b, R"({"name":"PatientID"})"));
  REQUIRE(by_name.status == 201);
  CHECK(parse_json(by_name.body)["tagPath"]["tag"].GetInt() == 0x00100020);
}

TEMPLATE_TEST_CASE("filtering: deleting a source removes its associations", "[http][filtering]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto filter = add_filter(n, "filter", "BLACKLIST");
  auto bob = add_user(n, "bob");
  auto carol = add_user(n, "carol");
  auto session = n.as("bob", "p", "POST", "/api/import/sessions",
                      R"({"id":-1,"name":"batch","userId":-1,"user":"","filesImported":0,)"
                      R"("filesAdded":0,"filesRejected":0,"created":0,"lastUpdated":0})");
  REQUIRE(session.status == 201);
  auto session_id = id_of(session);
  associate(n, "user", bob, filter);
  auto kept_user = associate(n, "user", carol, filter);
  associate(n, "import", session_id, filter);
  // Same id, other type: not the deleted source.
  auto kept_scp = associate(n, "scp", bob, filter);

  CHECK(n.admin("DELETE", "/api/users/" + std::to_string(bob)).status == 204);
  CHECK(n.admin("DELETE", "/api/import/sessions/" + std::to_string(session_id)).status == 204);
  std::vector<std::int64_t> left;
  CHECK(eventually([&] {
    left = ids_in(n.admin("GET", "/api/filtering/associations").body);
    return left.size() == 2;
  }));
  CHECK(left == std::vector<std::int64_t>{kept_user, kept_scp});
}

TEMPLATE_TEST_CASE("ingest applies a source's blacklists", "[http][filtering]", sqlite_backend,
                   postgres_backend) {
  running_node n{TestType::value};
  auto filter = add_filter(n, "strip names", "BLACKLIST");
  add_tree(n, filter, patient_name_tree);
  add_tree(n, filter, energy_window_sequence_tree);
  auto association = associate(n, "user", admin_id(n), filter);

  auto r = upload_as(n, "admin", "admin", fixture("test.dcm"));
  REQUIRE(r.status == 201);
  auto image = id_of(r);
  auto paths = attribute_paths(n, image);
  CHECK_FALSE(paths.count("PatientName"));
  CHECK(paths.count("PatientID"));
  for (const auto& [p, tag] : paths) CHECK(p.rfind("EnergyWindowInformationSequence", 0) != 0);
  CHECK(
      paths.count("RadiopharmaceuticalInformationSequence[1].RadionuclideCodeSequence[1]."
                  "CodeValue"));
  CHECK(paths.count("MediaStorageSOPClassUID"));
  // The stored file and the metadata show what was kept.
  auto h = stored_header(n, image);
  CHECK(h.attributes.pat.patient_name.empty());
  CHECK(h.attributes.pat.patient_id == "anon270");
  CHECK(patient_name_of(n, image).empty());
  auto patients = parse_json(n.admin("GET", "/api/metadata/patients").body);
  REQUIRE(patients.Size() == 1);
  CHECK(patients[0]["patientName"]["value"].GetString() == std::string());
  CHECK(n.admin("GET", "/api/images/" + std::to_string(image) + "/png").status == 200);

  // Without the association the next upload is stored as it came.
  CHECK(n.admin("DELETE", "/api/filtering/associations/" + std::to_string(association)).status ==
        204);
  auto again = upload_as(n, "admin", "admin", f1_in("Doe^John", "st1", "se1", "so1"));
  REQUIRE(again.status == 201);
  CHECK(patient_name_of(n, id_of(again)) == "Doe^John");
}

TEMPLATE_TEST_CASE("ingest applies a whitelist, keeping the meta header", "[http][filtering]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto bob = add_user(n, "bob");
  add_user(n, "carol");
  auto filter = add_filter(n, "keep little", "WHITELIST");
  for (const auto* keyword : {"PatientID", "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID",
                              "SeriesInstanceUID", "Modality"})
    add_tree(n, filter, std::string(R"({"name":")") + keyword + R"("})");
  add_tree(n, filter,
           R"({"tag":5505044,"name":"EnergyWindowLowerLimit","previous":{"tag":5505043,)"
           R"("name":"EnergyWindowRangeSequence","item":"2","previous":{"tag":5505042,)"
           R"("name":"EnergyWindowInformationSequence","item":"1"}}})");
  associate(n, "user", bob, filter);

  auto filtered = upload_as(n, "bob", "p", f1_in("Bob^Patient", "st1", "se1", "so1"));
  REQUIRE(filtered.status == 201);
  auto image = id_of(filtered);
  std::set<std::string> dataset, meta;
  for (const auto& [p, tag] : attribute_paths(n, image))
    (tag >> 16 == 0x0002 ? meta : dataset).insert(p);
  CHECK(dataset ==
        std::set<std::string>{"PatientID", "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID",
                              "SeriesInstanceUID", "Modality", "EnergyWindowInformationSequence",
                              "EnergyWindowInformationSequence[1].EnergyWindowRangeSequence",
                              "EnergyWindowInformationSequence[1].EnergyWindowRangeSequence[1]."
                              "EnergyWindowLowerLimit"});
  CHECK(meta.count("FileMetaInformationGroupLength"));
  CHECK(meta.count("MediaStorageSOPClassUID"));
  CHECK(meta.count("MediaStorageSOPInstanceUID"));
  CHECK(meta.count("TransferSyntaxUID"));
  auto h = stored_header(n, image);
  CHECK(h.sop_class_uid == "1.2.840.10008.5.1.4.1.1.20");
  CHECK(h.attributes.img.sop_instance_uid == "so1");
  CHECK(h.attributes.ser.modality == "NM");
  CHECK(patient_name_of(n, image).empty());
  auto series = parse_json(
      n.admin("GET", "/api/metadata/series/" +
                         std::to_string(parse_json(filtered.body)["seriesId"].GetInt64()))
          .body);
  CHECK(series["seriesDescription"]["value"].GetString() == std::string());
  CHECK(series["modality"]["value"].GetString() == std::string("NM"));

  // Another user's upload is not filtered; both have the same meta header.
  auto plain = upload_as(n, "carol", "p", f1_in("Carol^Patient", "st2", "se2", "so2"));
  REQUIRE(plain.status == 201);
  auto plain_id = id_of(plain);
  CHECK(patient_name_of(n, plain_id) == "Carol^Patient");
  std::set<std::string> plain_meta;
  for (const auto& [p, tag] : attribute_paths(n, plain_id))
    if (tag >> 16 == 0x0002) plain_meta.insert(p);
  CHECK(meta == plain_meta);
  CHECK(attribute_paths(n, plain_id).count("StudyDescription"));
}

TEMPLATE_TEST_CASE("ingest into an import session applies the session's filters",
                   "[http][filtering]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  auto session = n.admin("POST", "/api/import/sessions",
                         R"({"id":-1,"name":"batch","userId":-1,"user":"","filesImported":0,)"
                         R"("filesAdded":0,"filesRejected":0,"created":0,"lastUpdated":0})");
  REQUIRE(session.status == 201);
  auto session_id = std::to_string(id_of(session));
  auto filter = add_filter(n, "strip names", "BLACKLIST");
  add_tree(n, filter, patient_name_tree);
  associate(n, "import", std::stoll(session_id), filter);

  auto r = n.client().request(
      "POST", "/api/import/sessions/" + session_id + "/images", fixture("test.dcm"),
      {basic_auth("admin", "admin"), {"Content-Type", "application/octet-stream"}});
  REQUIRE(r.status == 201);
  auto image = id_of(r);
  CHECK_FALSE(attribute_paths(n, image).count("PatientName"));
  CHECK(patient_name_of(n, image).empty());
  // The admin's own uploads are another source: not filtered.
  auto direct = upload_as(n, "admin", "admin", f1_in("Doe^John", "st1", "se1", "so1"));
  REQUIRE(direct.status == 201);
  CHECK(patient_name_of(n, id_of(direct)) == "Doe^John");
}
