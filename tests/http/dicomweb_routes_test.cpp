// SPDX-License-Identifier: Apache-2.0
// DICOMweb (docs/dicomweb.md): QIDO-RS, WADO-RS and STOW-RS over HTTP against a running node.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"
#include "support/dicom_files.hpp"
#include "support/eventually.hpp"

using namespace sbx::test;

namespace {

constexpr std::uint32_t study_date = 0x00080020;

client_response get(const running_node& n, const std::string& target,
                    const header_list& extra = {}) {
  header_list headers{basic_auth("admin", "admin")};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return n.client().request("GET", target, "", headers);
}

/// The parts of a multipart/related answer (their contents, without headers).
std::vector<std::string> parts_of(const client_response& r) {
  auto type = r.header("Content-Type").value_or("");
  auto at = type.find("boundary=");
  if (type.rfind("multipart/related", 0) != 0 || at == std::string::npos)
    throw std::runtime_error("not multipart/related: " + type);
  auto boundary = type.substr(at + 9);
  boundary = boundary.substr(0, boundary.find(';'));
  const std::string delimiter = "--" + boundary;
  std::vector<std::string> parts;
  auto pos = r.body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (r.body.compare(pos, 2, "--") == 0) return parts;
    auto content = r.body.find("\r\n\r\n", pos);
    if (content == std::string::npos) break;
    content += 4;
    auto end = r.body.find("\r\n" + delimiter, content);
    if (end == std::string::npos) break;
    parts.push_back(r.body.substr(content, end - content));
    pos = end + 2;
  }
  throw std::runtime_error("malformed multipart answer");
}

/// The first value of attribute `tag` of a DICOM JSON object, as text (PersonName: Alphabetic).
std::string first_value(const rapidjson::Value& object, const char* tag) {
  if (!object.HasMember(tag) || !object[tag].HasMember("Value")) return "<absent>";
  const auto& v = object[tag]["Value"][0];
  if (v.IsString()) return v.GetString();
  if (v.IsObject()) return v["Alphabetic"].GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  return "<other>";
}

std::vector<std::string> study_uids(const client_response& r) {
  auto doc = parse_json(r.body);
  std::vector<std::string> out;
  for (const auto& s : doc.GetArray()) out.push_back(first_value(s, "0020000D"));
  return out;
}

std::string stow_body(const std::vector<std::pair<std::string, std::string>>& parts,
                      const std::string& boundary) {
  std::string body;
  for (const auto& [type, bytes] : parts)
    body += "--" + boundary + "\r\nContent-Type: " + type + "\r\n\r\n" + bytes + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

client_response stow(const running_node& n, const std::string& target, const std::string& body,
                     const std::string& content_type) {
  return n.client().request("POST", target, body,
                            {basic_auth("admin", "admin"), {"Content-Type", content_type}});
}

const std::string related = "multipart/related; type=\"application/dicom\"; boundary=XyZ";

/// Three instances: two series of Doe^John's study st1 (NM, 2010), one CT study st2 (2020).
void load_studies(const running_node& n) {
  REQUIRE(upload(n, f1_in("Doe^John", "st1", "se1", "so1", "1")).status == 201);
  REQUIRE(upload(n, f1_in("Doe^John", "st1", "se2", "so2", "2")).status == 201);
  REQUIRE(upload(n, dicom_variant("test.dcm", {{tags::patient_name, "Roe^Jane"},
                                               {tags::patient_id, "p2"},
                                               {tags::study_uid, "st2"},
                                               {tags::series_uid, "se3"},
                                               {tags::sop_uid, "so3"},
                                               {tags::modality, "CT"},
                                               {study_date, "20200115"}}))
              .status == 201);
}

}  // namespace

TEMPLATE_TEST_CASE("QIDO-RS searches studies, series and instances", "[http][dicomweb]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  load_studies(n);

  auto all = get(n, "/dicom-web/studies");
  REQUIRE(all.status == 200);
  CHECK(all.header("Content-Type").value_or("") == "application/dicom+json");
  auto doc = parse_json(all.body);
  REQUIRE(doc.Size() == 2);
  const auto& st1 = doc[0];
  CHECK(first_value(st1, "0020000D") == "st1");
  CHECK(first_value(st1, "00100010") == "Doe^John");
  CHECK(std::string(st1["00100010"]["vr"].GetString()) == "PN");
  CHECK(first_value(st1, "00201206") == "2");
  CHECK(first_value(st1, "00201208") == "2");
  CHECK(first_value(st1, "00080061") == "NM");
  CHECK(first_value(st1, "00080020") == "20100301");
  CHECK(first_value(st1, "00081190").ends_with("/dicom-web/studies/st1"));
  CHECK_FALSE(st1.HasMember("00101010"));  // PatientAge only on request

  using uids = std::vector<std::string>;
  CHECK(study_uids(get(n, "/dicom-web/studies?PatientName=doe*")) == uids{"st1"});
  CHECK(study_uids(get(n, "/dicom-web/studies?PatientName=R?e%5EJane")) == uids{"st2"});
  CHECK(study_uids(get(n, "/dicom-web/studies?00100010=Doe%5EJohn")) == uids{"st1"});
  CHECK(study_uids(get(n, "/dicom-web/studies?PatientID=p*")) == uids{"st2"});
  CHECK(study_uids(get(n, "/dicom-web/studies?StudyDate=20200101-20201231")) == uids{"st2"});
  CHECK(study_uids(get(n, "/dicom-web/studies?StudyDate=-20150101")) == uids{"st1"});
  CHECK(study_uids(get(n, "/dicom-web/studies?StudyDate=20100301")) == uids{"st1"});
  CHECK(study_uids(get(n, "/dicom-web/studies?StudyInstanceUID=st2,st1")) == uids{"st1", "st2"});
  CHECK(study_uids(get(n, "/dicom-web/studies?ModalitiesInStudy=CT")) == uids{"st2"});
  CHECK(study_uids(get(n, "/dicom-web/studies?limit=1&offset=1")) == uids{"st2"});
  CHECK(study_uids(get(n, "/dicom-web/studies?PatientName=nobody")).empty());
  CHECK(study_uids(get(n, "/dicom-web/studies?PatientName=%25")).empty());  // no SQL wildcard

  auto age = parse_json(get(n, "/dicom-web/studies?includefield=PatientAge&limit=1").body);
  CHECK(age[0].HasMember("00101010"));
  auto unindexed = get(n, "/dicom-web/studies?ReferringPhysicianName=x");
  CHECK(unindexed.status == 200);
  CHECK(unindexed.header("Warning").has_value());

  auto series = parse_json(get(n, "/dicom-web/studies/st1/series").body);
  REQUIRE(series.Size() == 2);
  CHECK(first_value(series[0], "0020000E") == "se1");
  CHECK(first_value(series[0], "00201209") == "1");
  CHECK(first_value(series[0], "00080060") == "NM");
  CHECK(first_value(series[1], "00081190").ends_with("/studies/st1/series/se2"));

  auto instances = parse_json(get(n, "/dicom-web/studies/st1/series/se2/instances").body);
  REQUIRE(instances.Size() == 1);
  CHECK(first_value(instances[0], "00080018") == "so2");
  CHECK(first_value(instances[0], "00200013") == "2");
  CHECK(first_value(instances[0], "0020000D") == "st1");

  CHECK(parse_json(get(n, "/dicom-web/series?Modality=CT").body).Size() == 1);
  CHECK(parse_json(get(n, "/dicom-web/instances").body).Size() == 3);
  auto every = parse_json(get(n, "/dicom-web/instances?includefield=all").body);
  CHECK(every[0].HasMember("00080008"));        // ImageType on request
  CHECK_FALSE(every[0].HasMember("00080061"));  // ModalitiesInStudy: studies only
  CHECK(parse_json(get(n, "/dicom-web/studies/st1/instances").body).Size() == 2);
  CHECK(parse_json(get(n, "/dicom-web/studies/nope/series").body).Size() == 0);

  for (const auto* bad :
       {"/dicom-web/studies?limit=-1", "/dicom-web/studies?offset=x",
        "/dicom-web/studies?StudyDate=2020", "/dicom-web/studies?StudyDate=2020-",
        "/dicom-web/studies?NoSuchAttribute=1", "/dicom-web/studies?includefield=Nonsense",
        "/dicom-web/studies?fuzzymatching=maybe"}) {
    auto r = get(n, bad);
    CHECK(r.status == 400);
    CHECK_FALSE(r.body.empty());
  }
  CHECK(get(n, "/dicom-web/studies", {{"Accept", "application/dicom+xml"}}).status == 406);
  CHECK(n.client().request("GET", "/dicom-web/studies").status == 401);
  CHECK(n.as("admin", "wrong", "GET", "/dicom-web/studies").status == 401);
}

TEMPLATE_TEST_CASE("WADO-RS retrieves stored bytes, metadata, frames and rendered images",
                   "[http][dicomweb]", sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  load_studies(n);
  const auto so1 = f1_in("Doe^John", "st1", "se1", "so1", "1");

  auto one = get(n, "/dicom-web/studies/st1/series/se1/instances/so1");
  REQUIRE(one.status == 200);
  CHECK(one.header("Content-Type").value_or("").find("type=\"application/dicom\"") !=
        std::string::npos);
  auto parts = parts_of(one);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0] == so1);
  CHECK(parts_of(get(n, "/dicom-web/studies/st1")).size() == 2);
  CHECK(parts_of(get(n, "/dicom-web/studies/st1/series/se2")).size() == 1);
  CHECK(get(n, "/dicom-web/studies/st1/series/se9").status == 404);
  CHECK(get(n, "/dicom-web/studies/st2/series/se1/instances/so1").status == 404);

  auto metadata = get(n, "/dicom-web/studies/st1/series/se1/metadata");
  REQUIRE(metadata.status == 200);
  CHECK(metadata.header("Content-Type").value_or("") == "application/dicom+json");
  auto doc = parse_json(metadata.body);
  REQUIRE(doc.Size() == 1);
  const auto& ds = doc[0];
  CHECK(first_value(ds, "00100010") == "Doe^John");
  CHECK(first_value(ds, "00080018") == "so1");
  CHECK(first_value(ds, "00080060") == "NM");
  REQUIRE(ds.HasMember("00280010"));
  CHECK(ds["00280010"]["Value"][0].GetInt() == 256);  // Rows: a US number
  CHECK(ds["00200013"]["Value"][0].IsInt64());        // InstanceNumber: IS as a number
  CHECK_FALSE(ds.HasMember("7FE00010"));              // bulk data left out
  CHECK_FALSE(ds.HasMember("00020010"));              // no File Meta Information
  CHECK(parse_json(get(n, "/dicom-web/studies/st1/metadata").body).Size() == 2);

  auto frames = get(n, "/dicom-web/studies/st1/series/se1/instances/so1/frames/1");
  REQUIRE(frames.status == 200);
  auto frame = parts_of(frames);
  REQUIRE(frame.size() == 1);
  REQUIRE(frame[0].size() == 256 * 256 * 2);
  CHECK(frame[0] == so1.substr(so1.size() - frame[0].size()));  // the stored pixel bytes
  CHECK(get(n, "/dicom-web/studies/st1/series/se1/instances/so1/frames/2").status == 400);
  CHECK(get(n, "/dicom-web/studies/st1/series/se1/instances/so1/frames/x").status == 400);
  CHECK(get(n, "/dicom-web/studies/st1/series/se1/instances/so1/frames/0").status == 400);

  // A JPEG baseline image: frames as stored when any syntax is accepted, else decoded.
  REQUIRE(upload(n, fixture("sc.dcm")).status == 201);
  const std::string sc =
      "/dicom-web/studies/1.2.276.0.7230010.3.1.2.715211261.9448.1421856211.669/series/"
      "1.2.276.0.7230010.3.1.3.715211261.9448.1421856211.668/instances/"
      "1.2.276.0.7230010.3.1.4.715211261.9448.1421856211.670/frames/1";
  auto stored = get(n, sc,
                    {{"Accept",
                      "multipart/related; type=\"application/octet-stream\"; "
                      "transfer-syntax=*"}});
  REQUIRE(stored.status == 200);
  CHECK(stored.body.find("transfer-syntax=1.2.840.10008.1.2.4.50") != std::string::npos);
  CHECK(parts_of(stored).at(0).rfind("\xFF\xD8", 0) == 0);  // a JPEG stream
  auto decoded = get(n, sc);
  REQUIRE(decoded.status == 200);
  CHECK(decoded.body.find("transfer-syntax=1.2.840.10008.1.2.1\r\n") != std::string::npos);
  CHECK(parts_of(decoded).at(0).size() == 1392u * 1268u * 3u);

  auto png = get(n, "/dicom-web/studies/st1/series/se1/instances/so1/rendered");
  REQUIRE(png.status == 200);
  CHECK(png.header("Content-Type").value_or("") == "image/png");
  CHECK(png.body.rfind("\x89PNG", 0) == 0);
  CHECK(get(n, "/dicom-web/studies/st1/series/se1/instances/so1/frames/1/rendered").status == 200);
  CHECK(
      get(n, "/dicom-web/studies/st1/series/se1/instances/so1/rendered", {{"Accept", "image/jpeg"}})
          .status == 406);
  CHECK(n.client().request("GET", "/dicom-web/studies/st1").status == 401);
}

TEMPLATE_TEST_CASE("STOW-RS stores through ingest and reports every part", "[http][dicomweb]",
                   sqlite_backend, postgres_backend) {
  running_node n{TestType::value};
  const auto a = f1_in("Stow^One", "st7", "se7", "so7a");
  const auto b = f1_in("Stow^One", "st7", "se7", "so7b");
  auto r = stow(n, "/dicom-web/studies",
                stow_body({{"application/dicom", a},
                           {"application/dicom", "not dicom at all"},
                           {"application/dicom", b}},
                          "XyZ"),
                related);
  REQUIRE(r.status == 202);
  CHECK(r.header("Content-Type").value_or("") == "application/dicom+json");
  auto doc = parse_json(r.body);
  REQUIRE(doc.HasMember("00081199"));
  const auto& stored = doc["00081199"]["Value"];
  REQUIRE(stored.Size() == 2);
  CHECK(first_value(stored[0], "00081155") == "so7a");
  CHECK(first_value(stored[1], "00081155") == "so7b");
  CHECK_FALSE(first_value(stored[0], "00081150").empty());
  CHECK(first_value(stored[0], "00081190").ends_with("/dicom-web/studies/st7/instances/so7a"));
  REQUIRE(doc.HasMember("00081198"));
  REQUIRE(doc["00081198"]["Value"].Size() == 1);
  CHECK(doc["00081198"]["Value"][0]["00081197"]["Value"][0].GetInt() == 0xC000);
  CHECK(study_uids(get(n, "/dicom-web/studies?PatientName=Stow*")) ==
        std::vector<std::string>{"st7"});
  // Stored as it came, by the same path as POST /api/images.
  CHECK(parts_of(get(n, "/dicom-web/studies/st7/series/se7/instances/so7b"))[0] == b);
  CHECK(parse_json(n.admin("GET", "/api/metadata/patients").body).Size() == 1);

  auto all_good = stow(
      n, "/dicom-web/studies/st8",
      stow_body({{"application/dicom", f1_in("Stow^Two", "st8", "se8", "so8")}}, "XyZ"), related);
  CHECK(all_good.status == 200);
  CHECK(first_value(parse_json(all_good.body), "00081190").ends_with("/dicom-web/studies/st8"));
  auto wrong_study =
      stow(n, "/dicom-web/studies/st8", stow_body({{"application/dicom", a}}, "XyZ"), related);
  CHECK(wrong_study.status == 409);
  CHECK(parse_json(wrong_study.body)["00081198"]["Value"][0]["00081197"]["Value"][0].GetInt() ==
        0xA900);
  auto wrong_part =
      stow(n, "/dicom-web/studies", stow_body({{"application/dicom+json", "{}"}}, "XyZ"), related);
  CHECK(wrong_part.status == 409);

  CHECK(stow(n, "/dicom-web/studies", a, "application/dicom").status == 415);
  CHECK(stow(n, "/dicom-web/studies", stow_body({{"application/dicom", a}}, "XyZ"),
             "multipart/related; type=\"application/dicom+xml\"; boundary=XyZ")
            .status == 415);
  CHECK(stow(n, "/dicom-web/studies", a, "multipart/related; type=\"application/dicom\"").status ==
        400);
  auto truncated = stow(n, "/dicom-web/studies", "--XyZ\r\n\r\nabc", related);
  CHECK(truncated.status == 400);
  CHECK(truncated.body.find("Malformed multipart body") != std::string::npos);
  CHECK(stow(n, "/dicom-web/studies", "--XyZ--\r\n", related).status == 400);
  CHECK(n.client()
            .request("POST", "/dicom-web/studies", stow_body({{"application/dicom", a}}, "XyZ"),
                     {{"Content-Type", related}})
            .status == 401);
  CHECK(eventually([&] { return n.temp_files() == 0; }));
}
