// SPDX-License-Identifier: Apache-2.0
#include "persistence/metadata_repo.hpp"

#include <catch2/catch.hpp>
#include <exception>
#include <latch>
#include <thread>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;
namespace proto = sbx::proto;

namespace {

using ids = std::vector<std::int64_t>;
using strings = std::vector<std::string>;

proto::image_attributes attributes(const std::string& patient_name, const std::string& patient_id,
                                   const std::string& study_uid, const std::string& series_uid,
                                   const std::string& sop_uid) {
  proto::image_attributes a;
  a.pat = {-1, patient_name, patient_id, "19700101", "M"};
  a.stu = {
      -1,    -1, study_uid, "study of " + study_uid, "20200101", "S-" + study_uid, "A-" + study_uid,
      "050Y"};
  a.ser = {-1,     -1,     series_uid, "series of " + series_uid, "20200102", "NM", "protocol",
           "HEAD", "Acme", "station",  "for-" + series_uid};
  a.img = {-1, -1, sop_uid, "ORIGINAL\\PRIMARY", "1"};
  return a;
}

const proto::source user1{"user", "user", 1};
const proto::source box1{"box", "box", 1};
const proto::source directory1{"directory", "directory", 1};
const proto::source scp1{"scp", "scp", 1};

// F2, the metadata fixture of Slicebox's own tests (patient p1/s1, studies stuid1 and stuid2 with
// two series each, two images per series, souid1..8) built through upsert, with the F3 sources (se1
// user:1, se2 box:1, se3 directory:1, se4 scp:1).
struct f2 {
  std::int64_t patient = -1;
  ids studies;  // stuid1, stuid2
  ids series;   // seuid1..4
  ids images;   // souid1..8

  explicit f2(metadata_repo& repo) {
    const proto::source sources[] = {user1, box1, directory1, scp1};
    for (int i = 0; i < 8; ++i) {
      int se = i / 2;
      int stu = se / 2;
      auto r =
          repo.upsert(attributes("p1", "s1", "stuid" + std::to_string(stu + 1),
                                 "seuid" + std::to_string(se + 1), "souid" + std::to_string(i + 1)),
                      sources[se], "key" + std::to_string(i + 1));
      patient = r.pat.id;
      if (r.study_added) studies.push_back(r.stu.id);
      if (r.series_added) series.push_back(r.ser.id);
      images.push_back(r.img.id);
    }
  }
};

// F3: F2 plus tags Tag1 (se1, se2) and Tag2 (se1, se3), types "Test Type 1" (se1, se2) and
// "Test Type 2" (se2, se3).
struct f3 : f2 {
  std::int64_t tag1 = -1;
  std::int64_t tag2 = -1;
  std::int64_t type1 = -1;
  std::int64_t type2 = -1;

  f3(metadata_repo& repo, database& db) : f2(repo) {
    tag1 = repo.add_tag_to_series(series[0], "Tag1")->id;
    repo.add_tag_to_series(series[1], "Tag1");
    tag2 = repo.add_tag_to_series(series[0], "Tag2")->id;
    repo.add_tag_to_series(series[2], "Tag2");
    type1 = db.exec("INSERT INTO series_types (name) VALUES ('Test Type 1') RETURNING id")
                .rows.at(0)
                .int64(0);
    type2 = db.exec("INSERT INTO series_types (name) VALUES ('Test Type 2') RETURNING id")
                .rows.at(0)
                .int64(0);
    for (auto [se, type] : {std::pair{0, type1}, {1, type1}, {1, type2}, {2, type2}})
      db.exec("INSERT INTO series_series_types (series_id, series_type_id) VALUES ($1, $2)",
              {series[se], type});
  }
};

template <class T>
ids ids_of(const std::vector<T>& rows) {
  ids out;
  for (const auto& r : rows) out.push_back(r.id);
  return out;
}

ids ids_of(const std::vector<proto::flat_series>& rows) {
  ids out;
  for (const auto& r : rows) out.push_back(r.ser.id);
  return out;
}

strings patient_names(const std::vector<proto::patient>& rows) {
  strings out;
  for (const auto& r : rows) out.push_back(r.patient_name);
  return out;
}

strings sop_uids(const std::vector<proto::image>& rows) {
  strings out;
  for (const auto& r : rows) out.push_back(r.sop_instance_uid);
  return out;
}

strings tag_names(const std::vector<proto::series_tag>& rows) {
  strings out;
  for (const auto& r : rows) out.push_back(r.name);
  return out;
}

proto::listing listing(std::int64_t start = 0, std::int64_t count = 100) {
  proto::listing l;
  l.start = start;
  l.count = count;
  return l;
}

proto::listing ordered(const std::string& property, bool ascending = true) {
  auto l = listing();
  l.order = proto::order_by{property, ascending};
  return l;
}

proto::listing filtered(const std::string& text) {
  auto l = listing();
  l.filter = text;
  return l;
}

proto::listing with_filter(proto::series_filter f) {
  auto l = listing();
  l.series = std::move(f);
  return l;
}

proto::metadata_query query(std::vector<proto::query_property> properties = {},
                            std::optional<proto::order_by> order = std::nullopt,
                            std::int64_t start = 0, std::int64_t count = 100) {
  proto::metadata_query q;
  q.start = start;
  q.count = count;
  q.order = std::move(order);
  q.properties = std::move(properties);
  return q;
}

proto::metadata_query query_with(proto::series_filter f,
                                 std::vector<proto::query_property> properties = {}) {
  auto q = query(std::move(properties));
  q.series = std::move(f);
  return q;
}

proto::series_filter sources(std::vector<proto::source_ref> refs) {
  proto::series_filter f;
  f.sources = std::move(refs);
  return f;
}

proto::series_filter types(ids type_ids) {
  proto::series_filter f;
  f.series_type_ids = std::move(type_ids);
  return f;
}

proto::series_filter tags(ids tag_ids) {
  proto::series_filter f;
  f.series_tag_ids = std::move(tag_ids);
  return f;
}

std::int64_t count_rows(database& db, const std::string& table) {
  return db.exec("SELECT COUNT(*) FROM " + table).rows.at(0).int64(0);
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: metadata is empty at first", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  CHECK(repo.list_patients(listing()).empty());
  CHECK(repo.list_flat_series(listing()).empty());
  CHECK(repo.query_images(query()).empty());
  CHECK_FALSE(repo.patient(1234));
  CHECK_FALSE(repo.study(1));
  CHECK_FALSE(repo.series(1));
  CHECK_FALSE(repo.image(1));
  CHECK_FALSE(repo.flat_series(1));
  CHECK_FALSE(repo.storage_key(1));
  CHECK_FALSE(repo.series_source(1));
  CHECK(repo.list_series_tags(listing()).empty());
  CHECK(repo.all_storage_keys().empty());
}

TEMPLATE_TEST_CASE("persistence: metadata upsert adds each level once", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());

  auto a = attributes("Doe^John", "PID1", "1.2.3", "1.2.3.4", "1.2.3.4.5");
  auto first = repo.upsert(a, box1, "key-a");
  CHECK(first.patient_added);
  CHECK(first.study_added);
  CHECK(first.series_added);
  CHECK(first.image_added);
  CHECK(first.replaced_storage_key.empty());
  CHECK(first.pat.id > 0);
  CHECK(first.stu.patient_id == first.pat.id);
  CHECK(first.ser.study_id == first.stu.id);
  CHECK(first.img.series_id == first.ser.id);

  REQUIRE(repo.patient(first.pat.id));
  CHECK(repo.patient(first.pat.id)->patient_name == "Doe^John");
  CHECK(repo.patient(first.pat.id)->patient_birth_date == "19700101");
  auto stored_study = repo.study(first.stu.id);
  REQUIRE(stored_study);
  CHECK(stored_study->study_id == "S-1.2.3");
  CHECK(stored_study->accession_number == "A-1.2.3");
  CHECK(stored_study->patient_age == "050Y");
  auto stored_series = repo.series(first.ser.id);
  REQUIRE(stored_series);
  CHECK(stored_series->frame_of_reference_uid == "for-1.2.3.4");
  CHECK(stored_series->body_part_examined == "HEAD");
  auto stored_image = repo.image(first.img.id);
  REQUIRE(stored_image);
  CHECK(stored_image->image_type == "ORIGINAL\\PRIMARY");
  CHECK(stored_image->series_id == first.ser.id);
  CHECK(repo.storage_key(first.img.id) == "key-a");

  // The same image again: nothing added, columns overwritten, the old file reported.
  a.pat.patient_sex = "F";
  a.stu.study_description = "new description";
  a.ser.modality = "CT";
  a.img.instance_number = "7";
  auto again = repo.upsert(a, user1, "key-b");
  CHECK_FALSE(again.patient_added);
  CHECK_FALSE(again.study_added);
  CHECK_FALSE(again.series_added);
  CHECK_FALSE(again.image_added);
  CHECK(again.replaced_storage_key == "key-a");
  CHECK(again.pat.id == first.pat.id);
  CHECK(again.stu.id == first.stu.id);
  CHECK(again.ser.id == first.ser.id);
  CHECK(again.img.id == first.img.id);
  CHECK(repo.storage_key(first.img.id) == "key-b");
  CHECK(repo.patient(first.pat.id)->patient_sex == "F");
  CHECK(repo.study(first.stu.id)->study_description == "new description");
  CHECK(repo.series(first.ser.id)->modality == "CT");
  CHECK(repo.image(first.img.id)->instance_number == "7");

  // Storing the same file again replaces nothing.
  CHECK(repo.upsert(a, user1, "key-b").replaced_storage_key.empty());

  // Another image of the series.
  a.img.sop_instance_uid = "1.2.3.4.6";
  auto second = repo.upsert(a, user1, "key-c");
  CHECK(second.image_added);
  CHECK_FALSE(second.series_added);
  CHECK(second.img.id != first.img.id);
  CHECK(second.ser.id == first.ser.id);

  CHECK(count_rows(scratch.db(), "patients") == 1);
  CHECK(count_rows(scratch.db(), "studies") == 1);
  CHECK(count_rows(scratch.db(), "series") == 1);
  CHECK(count_rows(scratch.db(), "images") == 2);
  CHECK(repo.all_storage_keys() == strings{"key-b", "key-c"});
}

TEMPLATE_TEST_CASE("persistence: metadata upsert keys on identity per level", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());

  auto a = repo.upsert(attributes("Doe^John", "PID1", "st", "se", "so"), user1, "k1");
  // Same SOP instance UID under another patient name: a second patient, study, series, image.
  auto b = repo.upsert(attributes("Doe^Jane", "PID1", "st", "se", "so"), user1, "k2");
  CHECK(b.patient_added);
  CHECK(b.study_added);
  CHECK(b.series_added);
  CHECK(b.image_added);
  CHECK(b.replaced_storage_key.empty());
  CHECK(b.img.id != a.img.id);

  // Patient ID is case-sensitive and an empty ID is a value too.
  CHECK(repo.upsert(attributes("Doe^John", "pid1", "st", "se", "so"), user1, "k3").patient_added);
  CHECK(repo.upsert(attributes("Doe^John", "", "st", "se", "so"), user1, "k4").patient_added);
  CHECK_FALSE(
      repo.upsert(attributes("Doe^John", "", "st", "se", "so2"), user1, "k5").patient_added);

  // Images without a SOP instance UID collapse into one row per series.
  auto empty1 = repo.upsert(attributes("Doe^John", "PID1", "st", "se", ""), user1, "k6");
  auto empty2 = repo.upsert(attributes("Doe^John", "PID1", "st", "se", ""), user1, "k7");
  CHECK(empty1.image_added);
  CHECK_FALSE(empty2.image_added);
  CHECK(empty2.img.id == empty1.img.id);
  CHECK(empty2.replaced_storage_key == "k6");

  // The same study UID under the same patient is one study; a series UID under another study
  // is another series.
  auto other_series = repo.upsert(attributes("Doe^John", "PID1", "st2", "se", "so"), user1, "k8");
  CHECK(other_series.study_added);
  CHECK(other_series.series_added);
  CHECK(other_series.image_added);
  CHECK_FALSE(other_series.patient_added);

  CHECK(count_rows(scratch.db(), "patients") == 4);
}

TEMPLATE_TEST_CASE("persistence: metadata upsert truncates patient names to 180 characters",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());

  std::string long_name(200, 'x');
  auto a = repo.upsert(attributes(long_name, "P", "st", "se", "so1"), user1, "k1");
  CHECK(a.patient_added);
  CHECK(a.pat.patient_name == std::string(180, 'x'));
  CHECK(repo.patient(a.pat.id)->patient_name == std::string(180, 'x'));

  // Names differing only after character 180 are the same patient.
  auto b =
      repo.upsert(attributes(std::string(180, 'x') + "yyy", "P", "st", "se", "so2"), user1, "k2");
  CHECK_FALSE(b.patient_added);
  CHECK(b.pat.id == a.pat.id);
  auto c = repo.upsert(attributes(std::string(180, 'x'), "P", "st", "se", "so3"), user1, "k3");
  CHECK(c.pat.id == a.pat.id);

  // Characters, not bytes: 200 two-byte characters keep 180 of them.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "\xC3\x85";  // Å
  auto d = repo.upsert(attributes(wide, "P", "st", "se", "so"), user1, "k4");
  CHECK(d.pat.patient_name == wide.substr(0, 360));
  CHECK(repo.patient(d.pat.id)->patient_name == wide.substr(0, 360));

  // A short name is kept as it is.
  CHECK(repo.upsert(attributes("Short", "P", "st", "se", "so"), user1, "k5").pat.patient_name ==
        "Short");
}

TEMPLATE_TEST_CASE("persistence: metadata series source is the last writer's", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);

  auto source = repo.series_source(f.series[0]);
  REQUIRE(source);
  CHECK(source->type == "user");
  CHECK(source->name == "user");
  CHECK(source->id == 1);
  CHECK(repo.series_source(f.series[1])->type == "box");
  CHECK_FALSE(repo.series_source(666));

  repo.upsert(attributes("p1", "s1", "stuid1", "seuid1", "souid1"),
              proto::source{"import", "session", 42}, "key9");
  source = repo.series_source(f.series[0]);
  CHECK(source->type == "import");
  CHECK(source->name == "session");
  CHECK(source->id == 42);
  CHECK(count_rows(scratch.db(), "series_sources") == 4);
}

TEMPLATE_TEST_CASE("persistence: metadata lists the hierarchy", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);

  CHECK(ids_of(repo.list_patients(listing())) == ids{f.patient});
  CHECK(ids_of(repo.list_patients(ordered("patientID"))) == ids{f.patient});
  CHECK_THROWS_AS(repo.list_patients(ordered("syntaxerror")), invalid_property);
  CHECK(ids_of(repo.list_studies(f.patient, listing())) == f.studies);
  CHECK(ids_of(repo.list_series(f.studies[0], listing())) == ids{f.series[0], f.series[1]});
  CHECK(ids_of(repo.list_series(f.studies[1], listing())) == ids{f.series[2], f.series[3]});
  CHECK(sop_uids(repo.list_images(f.series[0], listing())) == strings{"souid1", "souid2"});

  // Unknown parents have no children.
  CHECK(repo.list_studies(666, listing()).empty());
  CHECK(repo.list_series(666, listing()).empty());
  CHECK(repo.list_images(666, listing()).empty());

  // Paging.
  CHECK(ids_of(repo.list_studies(f.patient, listing(1, 1))) == ids{f.studies[1]});
  CHECK(repo.list_studies(f.patient, listing(2, 10)).empty());
  CHECK(repo.list_studies(f.patient, listing(0, 0)).empty());
  CHECK(ids_of(repo.list_series(f.studies[0], listing(0, 1))) == ids{f.series[0]});

  // Images: order on Images columns, case-insensitive filter on the three value columns.
  CHECK(sop_uids(repo.list_images(f.series[0], ordered("sopInstanceUID", false))) ==
        strings{"souid2", "souid1"});
  CHECK(sop_uids(repo.list_images(f.series[0], ordered("id", false))) ==
        strings{"souid2", "souid1"});
  CHECK(sop_uids(repo.list_images(f.series[0], ordered("seriesId"))) ==
        strings{"souid1", "souid2"});
  CHECK(sop_uids(repo.list_images(f.series[0], ordered("instanceNumber"))) ==
        strings{"souid1", "souid2"});
  CHECK_THROWS_AS(repo.list_images(f.series[0], ordered("patientName")), invalid_property);
  CHECK_THROWS_AS(repo.list_images(f.series[0], ordered("storageKey")), invalid_property);
  CHECK(sop_uids(repo.list_images(f.series[0], filtered("SOUID2"))) == strings{"souid2"});
  CHECK(sop_uids(repo.list_images(f.series[0], filtered("original\\primary"))) ==
        strings{"souid1", "souid2"});
  CHECK(repo.list_images(f.series[0], filtered("souid3")).empty());
  CHECK(repo.list_images(f.series[0], filtered("key")).empty());

  CHECK(repo.image(f.images[0])->sop_instance_uid == "souid1");
  CHECK(repo.storage_key(f.images[7]) == "key8");
}

TEMPLATE_TEST_CASE("persistence: metadata patient listing filters, orders and pages",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  auto p1 = repo.upsert(attributes("p1", "id-a", "st1", "se1", "so1"), user1, "k1").pat;
  auto p2 = repo.upsert(attributes("p2", "id-b", "st2", "se2", "so2"), user1, "k2").pat;
  auto a = attributes("O'BRIEN^JOHN", "id_c", "st3", "se3", "so3");
  a.pat.patient_sex = "F";
  a.pat.patient_birth_date = "19991231";
  auto obrien = repo.upsert(a, user1, "k3").pat;

  CHECK(ids_of(repo.list_patients(listing())) == ids{p1.id, p2.id, obrien.id});
  CHECK(patient_names(repo.list_patients(ordered("patientName", false))) ==
        strings{"p2", "p1", "O'BRIEN^JOHN"});
  CHECK(ids_of(repo.list_patients(ordered("id", false))) == ids{obrien.id, p2.id, p1.id});
  CHECK(ids_of(repo.list_patients(ordered("patientSex"))) == ids{obrien.id, p1.id, p2.id});
  CHECK(ids_of(repo.list_patients(ordered("patientBirthDate", false))) ==
        ids{obrien.id, p1.id, p2.id});
  CHECK_THROWS_AS(repo.list_patients(ordered("modality")), invalid_property);
  CHECK_THROWS_AS(repo.list_patients(ordered("patientname")), invalid_property);

  auto page = ordered("patientName");
  page.start = 1;
  page.count = 1;
  CHECK(patient_names(repo.list_patients(page)) == strings{"p1"});
  CHECK(repo.list_patients(listing(3, 10)).empty());
  CHECK(repo.list_patients(listing(0, 0)).empty());
  CHECK(repo.list_patients(listing(0, -1)).empty());
  CHECK(ids_of(repo.list_patients(listing(-5, 1))) == ids{p1.id});

  // Case-insensitive substring of name, ID, birth date or sex; quotes are data.
  CHECK(ids_of(repo.list_patients(filtered("o'brien"))) == ids{obrien.id});
  CHECK(ids_of(repo.list_patients(filtered("O'Brien"))) == ids{obrien.id});
  CHECK(ids_of(repo.list_patients(filtered("ID-B"))) == ids{p2.id});
  CHECK(ids_of(repo.list_patients(filtered("1999"))) == ids{obrien.id});
  CHECK(ids_of(repo.list_patients(filtered("f"))) == ids{obrien.id});
  CHECK(ids_of(repo.list_patients(filtered("P"))) == ids{p1.id, p2.id});
  CHECK(repo.list_patients(filtered("nobody")).empty());
  // % and _ keep their LIKE meaning in substring filters.
  CHECK(ids_of(repo.list_patients(filtered("id_"))).size() == 3);
  CHECK(ids_of(repo.list_patients(filtered("o%john"))) == ids{obrien.id});
}

TEMPLATE_TEST_CASE("persistence: metadata advanced filters apply to every listing", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f3 f(repo, scratch.db());
  const auto& se = f.series;

  // Nothing has these.
  proto::series_filter none;
  none.sources = {{"user", 22}, {"scp", 5}};
  none.series_type_ids = {3, 4, 11};
  none.series_tag_ids = {22, 3, 1};
  CHECK(repo.list_patients(with_filter(none)).empty());
  CHECK(repo.list_studies(f.patient, with_filter(none)).empty());
  CHECK(repo.list_series(f.studies[0], with_filter(none)).empty());
  CHECK(repo.list_flat_series(with_filter(none)).empty());

  // Source filters on the listing.
  CHECK(ids_of(repo.list_patients(with_filter(sources({{"box", 1}})))) == ids{f.patient});
  CHECK(repo.list_patients(with_filter(sources({{"box", 666}}))).empty());
  CHECK(ids_of(repo.list_patients(with_filter(types({f.type1, f.type2})))) == ids{f.patient});
  CHECK(repo.list_patients(with_filter(types({666}))).empty());
  CHECK(ids_of(repo.list_patients(with_filter(tags({f.tag1, f.tag2})))) == ids{f.patient});
  CHECK(repo.list_patients(with_filter(tags({666}))).empty());

  // Source types outside user/box/directory/scp/import never match.
  CHECK(repo.list_patients(with_filter(sources({{"unknown", 1}}))).empty());
  CHECK(repo.list_patients(with_filter(sources({{"USER", 1}}))).empty());
  CHECK(ids_of(repo.list_patients(with_filter(sources({{"bogus", 1}, {"scp", 1}})))) ==
        ids{f.patient});

  // All groups must hold for one series: box:1 is se2, Tag2 is on se1 and se3.
  proto::series_filter box_and_tag2 = sources({{"box", 1}});
  box_and_tag2.series_tag_ids = {f.tag2};
  CHECK(repo.list_patients(with_filter(box_and_tag2)).empty());
  CHECK(repo.list_flat_series(with_filter(box_and_tag2)).empty());
  proto::series_filter user_and_tag2 = sources({{"user", 1}, {"scp", 1}});
  user_and_tag2.series_tag_ids = {f.tag2};
  CHECK(ids_of(repo.list_patients(with_filter(user_and_tag2))) == ids{f.patient});
  CHECK(ids_of(repo.list_flat_series(with_filter(user_and_tag2))) == ids{se[0]});
  proto::series_filter all_three = types({f.type2});
  all_three.series_tag_ids = {f.tag1};
  all_three.sources = {{"box", 1}};
  CHECK(ids_of(repo.list_flat_series(with_filter(all_three))) == ids{se[1]});

  // Studies and series of a parent.
  CHECK(ids_of(repo.list_studies(f.patient, with_filter(sources({{"directory", 1}})))) ==
        ids{f.studies[1]});
  CHECK(ids_of(repo.list_studies(f.patient, with_filter(types({f.type1})))) == ids{f.studies[0]});
  CHECK(ids_of(repo.list_series(f.studies[0], with_filter(tags({f.tag2})))) == ids{se[0]});
  CHECK(ids_of(repo.list_series(f.studies[1], with_filter(tags({f.tag2})))) == ids{se[2]});
  CHECK(ids_of(repo.list_series(f.studies[1], with_filter(types({f.type1})))).empty());

  // Flat series.
  CHECK(ids_of(repo.list_flat_series(with_filter(types({f.type2})))) == ids{se[1], se[2]});
  CHECK(ids_of(repo.list_flat_series(with_filter(tags({f.tag1, f.tag2})))) ==
        ids{se[0], se[1], se[2]});
  CHECK(ids_of(repo.list_flat_series(with_filter(sources({{"scp", 1}, {"user", 1}})))) ==
        ids{se[0], se[3]});

  // Images of a patient or study.
  CHECK(sop_uids(repo.images_of_patient(f.patient, sources({{"scp", 1}}))) ==
        strings{"souid7", "souid8"});
  CHECK(sop_uids(repo.images_of_study(f.studies[0], tags({f.tag2}))) ==
        strings{"souid1", "souid2"});
  CHECK(repo.images_of_study(f.studies[0], types({666})).empty());

  // A filter with paging and order on the patient list still applies.
  auto l = with_filter(tags({f.tag1}));
  l.order = proto::order_by{"patientName", false};
  l.filter = "P1";
  CHECK(ids_of(repo.list_patients(l)) == ids{f.patient});
  l.filter = "p2";
  CHECK(repo.list_patients(l).empty());
}

TEMPLATE_TEST_CASE("persistence: metadata queries every level", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);
  auto p2 = repo.upsert(attributes("p2", "s2", "stuid9", "seuid9", "souid9"), user1, "key9");

  CHECK(ids_of(repo.query_patients(query({{"patientName", "=", "p1"}}))) == ids{f.patient});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "%p%"}}))) ==
        ids{f.patient, p2.pat.id});
  CHECK(patient_names(repo.query_patients(query({}, proto::order_by{"patientName", false}))) ==
        strings{"p2", "p1"});
  CHECK(patient_names(repo.query_patients(
            query({}, proto::order_by{"patientName", false}, 1, 1))) == strings{"p1"});
  CHECK(ids_of(repo.query_studies(query({{"studyInstanceUID", "=", "stuid1"}}))) ==
        ids{f.studies[0]});
  CHECK(ids_of(repo.query_series(query({{"seriesInstanceUID", "=", "seuid1"}}))) ==
        ids{f.series[0]});
  CHECK(repo.query_images(query({{"instanceNumber", "=", "1"}})).size() == 9);
  CHECK(ids_of(repo.query_flat_series(query({{"seriesInstanceUID", "=", "seuid1"}}))) ==
        ids{f.series[0]});

  // Properties of related levels; results are distinct.
  CHECK(ids_of(repo.query_patients(query({{"modality", "=", "NM"}}))) == ids{f.patient, p2.pat.id});
  CHECK(ids_of(repo.query_patients(query({{"seriesInstanceUID", "like", "seuid"}}))) ==
        ids{f.patient, p2.pat.id});
  CHECK(ids_of(repo.query_patients(query({{"studyInstanceUID", "=", "stuid2"}}))) ==
        ids{f.patient});
  CHECK(ids_of(repo.query_studies(query({{"patientName", "=", "p1"}}))) == f.studies);
  CHECK(ids_of(repo.query_studies(query({{"seriesInstanceUID", "=", "seuid4"}}))) ==
        ids{f.studies[1]});
  CHECK(ids_of(repo.query_series(query({{"patientName", "=", "p2"}}))) == ids{p2.ser.id});
  CHECK(ids_of(repo.query_series(query({{"studyInstanceUID", "=", "stuid2"}}))) ==
        ids{f.series[2], f.series[3]});
  CHECK(sop_uids(repo.query_images(
            query({{"patientName", "=", "p1"}, {"seriesInstanceUID", "=", "seuid3"}}))) ==
        strings{"souid5", "souid6"});
  CHECK(ids_of(repo.query_flat_series(
            query({{"patientID", "=", "s1"}, {"studyInstanceUID", "=", "stuid2"}}))) ==
        ids{f.series[2], f.series[3]});

  // One combination of joined rows must satisfy all properties.
  CHECK(ids_of(repo.query_patients(
            query({{"studyInstanceUID", "=", "stuid1"}, {"seriesInstanceUID", "=", "seuid2"}}))) ==
        ids{f.patient});
  CHECK(repo.query_patients(
                query({{"studyInstanceUID", "=", "stuid1"}, {"seriesInstanceUID", "=", "seuid3"}}))
            .empty());
  CHECK(repo.query_studies(
                query({{"seriesInstanceUID", "=", "seuid1"}, {"seriesInstanceUID", "=", "seuid2"}}))
            .empty());

  // Foreign keys and ids are properties too (numbers).
  CHECK(ids_of(repo.query_studies(query({{"patientId", "=", std::to_string(p2.pat.id)}}))) ==
        ids{p2.stu.id});
  CHECK(ids_of(repo.query_images(query({{"seriesId", "=", std::to_string(f.series[1])}}))) ==
        ids{f.images[2], f.images[3]});
  CHECK(repo.query_studies(query({{"patientId", "=", "not a number"}})).empty());

  // Order on the result entity's table; paging after it.
  CHECK(sop_uids(repo.query_images(
            query({{"patientName", "=", "p1"}}, proto::order_by{"sopInstanceUID", false}, 0, 3))) ==
        strings{"souid8", "souid7", "souid6"});
  CHECK(ids_of(repo.query_series(query({}, proto::order_by{"seriesInstanceUID", false}, 0, 2))) ==
        ids{p2.ser.id, f.series[3]});
  CHECK(ids_of(repo.query_studies(query({}, proto::order_by{"id", false}))) ==
        ids{p2.stu.id, f.studies[1], f.studies[0]});
  CHECK(ids_of(repo.query_flat_series(query({}, proto::order_by{"patientID", false}, 0, 1))) ==
        ids{p2.ser.id});
  CHECK(ids_of(repo.query_flat_series(query({}, proto::order_by{"id", false}, 0, 2))) ==
        ids{p2.ser.id, f.series[3]});
  CHECK(repo.query_patients(query({}, std::nullopt, 5, 10)).empty());
}

TEMPLATE_TEST_CASE("persistence: metadata queries apply advanced filters", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f3 f(repo, scratch.db());

  // Source filters.
  CHECK(ids_of(repo.query_patients(query_with(sources({{"box", 1}})))) == ids{f.patient});
  CHECK(repo.query_patients(query_with(sources({{"box", 666}}))).empty());
  CHECK(ids_of(repo.query_patients(query_with(types({f.type1, f.type2})))) == ids{f.patient});
  CHECK(repo.query_patients(query_with(types({666}))).empty());
  CHECK(ids_of(repo.query_patients(query_with(tags({f.tag1, f.tag2})))) == ids{f.patient});
  CHECK(repo.query_patients(query_with(tags({666}))).empty());

  // Filters and properties hold on the same series.
  CHECK(ids_of(repo.query_patients(query_with(
            sources({{"box", 1}}), {{"seriesInstanceUID", "=", "seuid2"}}))) == ids{f.patient});
  CHECK(
      repo.query_patients(query_with(sources({{"box", 1}}), {{"seriesInstanceUID", "=", "seuid1"}}))
          .empty());
  CHECK(ids_of(repo.query_studies(query_with(tags({f.tag2})))) == f.studies);
  CHECK(ids_of(repo.query_studies(query_with(
            tags({f.tag2}), {{"studyInstanceUID", "=", "stuid2"}}))) == ids{f.studies[1]});
  CHECK(ids_of(repo.query_series(query_with(types({f.type2})))) == ids{f.series[1], f.series[2]});
  CHECK(ids_of(repo.query_flat_series(query_with(sources({{"directory", 1}})))) ==
        ids{f.series[2]});
  CHECK(sop_uids(repo.query_images(query_with(types({f.type1}), {{"instanceNumber", "=", "1"}}))) ==
        strings{"souid1", "souid2", "souid3", "souid4"});
  CHECK(repo.query_images(query_with(sources({{"import", 1}}))).empty());
}

TEMPLATE_TEST_CASE("persistence: metadata query operators", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  auto a = repo.upsert(attributes("Anna^Svensson", "P1", "st", "se", "so"), user1, "k1").pat;
  auto b = repo.upsert(attributes("anna^berg", "P2", "st", "se", "so"), user1, "k2").pat;
  auto c = repo.upsert(attributes("Bo_Ek 100%", "P3", "st", "se", "so"), user1, "k3").pat;

  // "=" is exact and case-sensitive.
  CHECK(ids_of(repo.query_patients(query({{"patientName", "=", "anna^berg"}}))) == ids{b.id});
  CHECK(repo.query_patients(query({{"patientName", "=", "ANNA^BERG"}})).empty());
  CHECK(repo.query_patients(query({{"patientName", "=", "anna"}})).empty());

  // "like" is a case-sensitive substring; the value's % and _ are wildcards.
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "nna"}}))) == ids{a.id, b.id});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "Anna"}}))) == ids{a.id});
  CHECK(repo.query_patients(query({{"patientName", "like", "ANNA"}})).empty());
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "A%son"}}))) == ids{a.id});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "o_E"}}))) == ids{c.id});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "%"}}))) ==
        ids{a.id, b.id, c.id});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", ""}}))) == ids{a.id, b.id, c.id});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "100%"}}))) == ids{c.id});
  CHECK(ids_of(repo.query_patients(
            query({{"patientID", "like", "P"}, {"patientName", "like", "berg"}}))) == ids{b.id});
  // On an id column "like" compares the decimal text.
  auto study_of_c = repo.upsert(attributes("Bo_Ek 100%", "P3", "st", "se", "so"), user1, "k3").stu;
  auto like_id = ids_of(repo.query_studies(query({{"patientId", "like", std::to_string(c.id)}})));
  CHECK(std::find(like_id.begin(), like_id.end(), study_of_c.id) != like_id.end());

  // Any other operator is refused.
  for (const char* op : {"<", "!=", "LIKE", "ilike", "", "= 1 OR 1=1 --"}) {
    try {
      repo.query_patients(query({{"patientName", op, "x"}}));
      FAIL("operator accepted: " << op);
    } catch (const invalid_property&) {
      FAIL("operator reported as a property: " << op);
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()) == std::string("Unsupported query operator ") + op);
    }
  }
}

TEMPLATE_TEST_CASE("persistence: metadata property names come from a whitelist", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);

  auto message_of = [](auto&& call) {
    try {
      call();
    } catch (const invalid_property& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  CHECK(message_of([&] {
          repo.query_patients(query({{"foo", "=", "x"}}));
        }) == "Property foo does not exist");
  CHECK(message_of([&] { repo.list_patients(ordered("syntaxerror")); }) ==
        "Property syntaxerror does not exist");

  // Unknown, wrongly cased, or SQL as a name.
  for (const char* name : {"foo", "patientname", "PatientName", "patient_name", "storageKey",
                           "storage_key", "p.id", "patientName; DROP TABLE patients", ""}) {
    CHECK_THROWS_AS(repo.query_patients(query({{name, "=", "x"}})), invalid_property);
    CHECK_THROWS_AS(repo.query_images(query({{name, "=", "x"}})), invalid_property);
    CHECK_THROWS_AS(repo.list_patients(ordered(name)), invalid_property);
    CHECK_THROWS_AS(repo.list_flat_series(ordered(name)), invalid_property);
  }

  // `id` in properties is ambiguous wherever several tables are joined.
  CHECK_THROWS_AS(repo.query_patients(query({{"id", "=", "1"}})), invalid_property);
  CHECK_THROWS_AS(repo.query_images(query({{"id", "=", "1"}})), invalid_property);
  CHECK_THROWS_AS(repo.query_flat_series(query({{"id", "=", "1"}})), invalid_property);

  // Image columns only for image queries.
  CHECK(repo.query_images(query({{"sopInstanceUID", "=", "souid1"}})).size() == 1);
  CHECK_THROWS_AS(repo.query_patients(query({{"sopInstanceUID", "=", "souid1"}})),
                  invalid_property);
  CHECK_THROWS_AS(repo.query_series(query({{"imageType", "=", "x"}})), invalid_property);
  CHECK_THROWS_AS(repo.query_flat_series(query({{"instanceNumber", "=", "1"}})), invalid_property);

  // Orders must be columns of the result's own table (docs/api.md#deviations-from-slicebox-211).
  CHECK_THROWS_AS(repo.query_patients(query({}, proto::order_by{"modality", true})),
                  invalid_property);
  CHECK_THROWS_AS(repo.query_studies(query({}, proto::order_by{"patientName", true})),
                  invalid_property);
  CHECK_THROWS_AS(repo.query_series(query({}, proto::order_by{"studyDate", true})),
                  invalid_property);
  CHECK_THROWS_AS(repo.query_images(query({}, proto::order_by{"modality", true})),
                  invalid_property);
  CHECK_THROWS_AS(repo.query_images(query({}, proto::order_by{"foo", true})), invalid_property);
  CHECK(repo.query_studies(query({}, proto::order_by{"studyID", true})).size() == 2);
  CHECK(repo.query_studies(query({}, proto::order_by{"patientId", true})).size() == 2);
  CHECK(repo.query_series(query({}, proto::order_by{"studyId", true})).size() == 4);

  // Flat series orders: id is the series', other names are unique over the three levels.
  for (const char* name : {"id", "patientID", "studyID", "patientName", "patientId", "studyId",
                           "modality", "seriesInstanceUID", "accessionNumber"}) {
    CHECK(repo.list_flat_series(ordered(name)).size() == 4);
    CHECK(repo.query_flat_series(query({}, proto::order_by{name, false})).size() == 4);
  }
  CHECK_THROWS_AS(repo.list_flat_series(ordered("sopInstanceUID")), invalid_property);
  CHECK_THROWS_AS(repo.query_flat_series(query({}, proto::order_by{"imageType", true})),
                  invalid_property);
}

TEMPLATE_TEST_CASE("persistence: metadata values are data, never SQL", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);
  auto obrien = repo.upsert(attributes("O'BRIEN^JOHN", "x", "st", "se", "so"), user1, "k").pat;

  // None of these occurs in the stored values (O'BRIEN's lone quote and the backslash of
  // ORIGINAL\PRIMARY are tested below).
  const strings hostile = {"' OR '1'='1",
                           "'; DROP TABLE patients; --",
                           "\"; DROP TABLE images; --",
                           "1) OR (1=1",
                           "*/ OR 1=1 /*",
                           "\\'",
                           "$1",
                           "?",
                           ":name",
                           std::string("a\0b", 3),
                           "\xFF\xFE",
                           "\xC3",
                           "\xED\xA0\x80"};
  for (const auto& v : hostile) {
    INFO("value: " << v);
    CHECK(repo.query_patients(query({{"patientName", "=", v}})).empty());
    CHECK(repo.query_patients(query({{"patientName", "like", v}})).empty());
    CHECK(repo.query_images(query({{"sopInstanceUID", "like", v}})).empty());
    CHECK(repo.query_studies(query({{"patientId", "=", v}})).empty());
    CHECK(repo.query_flat_series(query({{"modality", "=", v}})).empty());
    CHECK(repo.list_patients(filtered(v)).empty());
    CHECK(repo.list_images(f.series[0], filtered(v)).empty());
    CHECK(repo.list_flat_series(filtered(v)).empty());
    CHECK(repo.list_series_tags(filtered(v)).empty());
  }

  // Quotes match literally.
  CHECK(ids_of(repo.query_patients(query({{"patientName", "=", "O'BRIEN^JOHN"}}))) ==
        ids{obrien.id});
  CHECK(ids_of(repo.query_patients(query({{"patientName", "like", "O'B"}}))) == ids{obrien.id});
  CHECK(ids_of(repo.list_patients(filtered("O'Brien"))) == ids{obrien.id});
  CHECK(ids_of(repo.list_flat_series(filtered("o'brien"))).size() == 1);

  // A backslash is an ordinary character.
  CHECK(repo.query_images(query({{"imageType", "=", "ORIGINAL\\PRIMARY"}})).size() == 9);
  CHECK(repo.query_images(query({{"imageType", "like", "L\\P"}})).size() == 9);
  CHECK(repo.query_images(query({{"imageType", "like", "LP"}})).empty());

  // Strings that look like SQL can be stored and found too.
  auto tag = repo.insert_series_tag("x'); DELETE FROM series_tags; --");
  CHECK(tag_names(repo.list_series_tags(filtered("'); DELETE"))) ==
        strings{"x'); DELETE FROM series_tags; --"});

  CHECK(count_rows(scratch.db(), "patients") == 2);
  CHECK(count_rows(scratch.db(), "images") == 9);
}

TEMPLATE_TEST_CASE("persistence: metadata flat series", "[persistence]", sbx::test::sqlite_backend,
                   sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);
  auto a = attributes("Other^Patient", "OP", "stuidX", "seuidX", "souidX");
  a.ser.modality = "CT";
  auto other = repo.upsert(a, user1, "kx");

  auto all = repo.list_flat_series(listing());
  CHECK(ids_of(all) == ids{f.series[0], f.series[1], f.series[2], f.series[3], other.ser.id});
  CHECK(repo.list_flat_series(ordered("patientID")).size() == 5);
  CHECK_THROWS_AS(repo.list_flat_series(ordered("syntaxerror")), invalid_property);

  REQUIRE(all.size() == 5);
  CHECK(all[0].pat.id == f.patient);
  CHECK(all[0].pat.patient_name == "p1");
  CHECK(all[0].stu.id == f.studies[0]);
  CHECK(all[0].stu.study_instance_uid == "stuid1");
  CHECK(all[0].stu.patient_age == "050Y");
  CHECK(all[0].ser.series_instance_uid == "seuid1");
  CHECK(all[0].ser.frame_of_reference_uid == "for-seuid1");
  CHECK(all[3].stu.id == f.studies[1]);

  auto one = repo.flat_series(f.series[2]);
  REQUIRE(one);
  CHECK(one->pat.patient_id == "s1");
  CHECK(one->stu.study_instance_uid == "stuid2");
  CHECK(one->ser.id == f.series[2]);
  CHECK_FALSE(repo.flat_series(666));

  // Orders and paging.
  CHECK(ids_of(repo.list_flat_series(ordered("patientID"))).front() == other.ser.id);
  CHECK(ids_of(repo.list_flat_series(ordered("modality", false))).back() == other.ser.id);
  CHECK(ids_of(repo.list_flat_series(ordered("id", false))).front() == other.ser.id);
  auto page = ordered("seriesInstanceUID", false);
  page.start = 1;
  page.count = 2;
  CHECK(ids_of(repo.list_flat_series(page)) == ids{f.series[3], f.series[2]});

  // Free text over patient, study and series values and the series id, not UIDs.
  CHECK(ids_of(repo.list_flat_series(filtered("ct"))) == ids{other.ser.id});
  CHECK(ids_of(repo.list_flat_series(filtered("other^"))) == ids{other.ser.id});
  CHECK(ids_of(repo.list_flat_series(filtered("series of seuid3"))) == ids{f.series[2]});
  CHECK(ids_of(repo.list_flat_series(filtered("A-STUIDX"))) == ids{other.ser.id});
  CHECK(repo.list_flat_series(filtered("for-seuid")).empty());
  CHECK(repo.list_flat_series(filtered("souid")).empty());
  CHECK(repo.list_flat_series(filtered("1.")).empty());
  auto by_id = ids_of(repo.list_flat_series(filtered(std::to_string(other.ser.id))));
  CHECK(std::find(by_id.begin(), by_id.end(), other.ser.id) != by_id.end());
}

TEMPLATE_TEST_CASE("persistence: metadata images of a patient or study", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);
  // An image added later to the first series still sorts with its series.
  auto late = repo.upsert(attributes("p1", "s1", "stuid1", "seuid1", "souid9"), user1, "k9");

  CHECK(sop_uids(repo.images_of_study(f.studies[0], {})) ==
        strings{"souid1", "souid2", "souid9", "souid3", "souid4"});
  CHECK(repo.images_of_study(666, {}).empty());
  CHECK(sop_uids(repo.images_of_patient(f.patient, {})) == strings{"souid1", "souid2", "souid9",
                                                                   "souid3", "souid4", "souid5",
                                                                   "souid6", "souid7", "souid8"});
  CHECK(repo.images_of_patient(666, {}).empty());
  CHECK(late.img.series_id == f.series[0]);
}

TEMPLATE_TEST_CASE("persistence: metadata deletion removes emptied parents", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  metadata_repo repo(db);
  f3 f(repo, db);
  auto other = repo.upsert(attributes("p2", "s2", "stuid9", "seuid9", "souid9"), user1, "key9");

  // Nothing and unknown ids.
  auto d = repo.delete_images({});
  CHECK(d.image_ids.empty());
  d = repo.delete_images({666, 667, 668});
  CHECK(d.image_ids.empty());
  CHECK(d.storage_keys.empty());
  CHECK(count_rows(db, "images") == 9);

  // One image of a two-image series: only the image goes.
  d = repo.delete_images({f.images[0], 666});
  CHECK(d.image_ids == ids{f.images[0]});
  CHECK(d.storage_keys == strings{"key1"});
  CHECK(d.series_ids.empty());
  CHECK(d.study_ids.empty());
  CHECK(d.patient_ids.empty());
  CHECK_FALSE(repo.image(f.images[0]));
  CHECK(repo.series(f.series[0]));

  // The last image of the series: the series goes with its source and tag and type links; the
  // tags themselves stay.
  d = repo.delete_images({f.images[1]});
  CHECK(d.image_ids == ids{f.images[1]});
  CHECK(d.series_ids == ids{f.series[0]});
  CHECK(d.study_ids.empty());
  CHECK_FALSE(repo.series(f.series[0]));
  CHECK_FALSE(repo.series_source(f.series[0]));
  CHECK(repo.tags_of_series(f.series[0]).empty());
  CHECK(db.exec("SELECT COUNT(*) FROM series_series_types WHERE series_id = $1", {f.series[0]})
            .rows.at(0)
            .int64(0) == 0);
  CHECK(tag_names(repo.list_series_tags(listing())) == strings{"Tag1", "Tag2"});
  CHECK(repo.tags_of_series(f.series[1]).size() == 1);

  // The rest of study 1 (with a duplicate id): the study goes, the patient stays.
  d = repo.delete_images({f.images[2], f.images[3], f.images[2]});
  CHECK(d.image_ids == ids{f.images[2], f.images[3]});
  CHECK(d.storage_keys == strings{"key3", "key4"});
  CHECK(d.series_ids == ids{f.series[1]});
  CHECK(d.study_ids == ids{f.studies[0]});
  CHECK(d.patient_ids.empty());
  CHECK_FALSE(repo.study(f.studies[0]));
  CHECK(repo.patient(f.patient));

  // Everything of the patient plus one image elsewhere.
  d = repo.delete_images({f.images[7], f.images[4], f.images[5], f.images[6], 12345});
  CHECK(d.image_ids == ids{f.images[4], f.images[5], f.images[6], f.images[7]});
  CHECK(d.storage_keys == strings{"key5", "key6", "key7", "key8"});
  CHECK(d.series_ids == ids{f.series[2], f.series[3]});
  CHECK(d.study_ids == ids{f.studies[1]});
  CHECK(d.patient_ids == ids{f.patient});
  CHECK_FALSE(repo.patient(f.patient));
  CHECK(ids_of(repo.list_patients(listing())) == ids{other.pat.id});
  CHECK(count_rows(db, "series_sources") == 1);
  CHECK(count_rows(db, "series_series_tags") == 0);
  CHECK(count_rows(db, "series_series_types") == 0);
  CHECK(count_rows(db, "series_tags") == 2);
  CHECK(repo.all_storage_keys() == strings{"key9"});

  // Deleting again changes nothing.
  d = repo.delete_images({f.images[7]});
  CHECK(d.image_ids.empty());
  CHECK(d.patient_ids.empty());
}

TEMPLATE_TEST_CASE("persistence: metadata deletion works in batches", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  auto& db = scratch.db();
  metadata_repo repo(db);

  ids images;
  {
    transaction tx(db);
    for (int i = 0; i < 1205; ++i)
      images.push_back(
          repo.upsert(attributes("p" + std::to_string(i % 3), "id", "st",
                                 "se" + std::to_string(i % 7), "so" + std::to_string(i)),
                      user1, "key" + std::to_string(i))
              .img.id);
    tx.commit();
  }
  ids request(images.rbegin(), images.rend());
  for (int i = 0; i < 900; ++i) request.push_back(1'000'000 + i);  // unknown ids in the mix

  proto::deletion d;
  {
    transaction tx(db);
    d = repo.delete_images(request);
    tx.commit();
  }
  auto sorted = d.image_ids;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == images);
  CHECK(d.storage_keys.size() == images.size());
  CHECK(d.series_ids.size() == 21);
  CHECK(d.study_ids.size() == 3);
  CHECK(d.patient_ids.size() == 3);
  CHECK(count_rows(db, "patients") == 0);
  CHECK(count_rows(db, "series_sources") == 0);
}

TEMPLATE_TEST_CASE("persistence: metadata series tags", "[persistence]", sbx::test::sqlite_backend,
                   sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  f2 f(repo);
  auto se = f.series[0];

  CHECK_FALSE(repo.add_tag_to_series(666, "Tag1"));
  CHECK(repo.list_series_tags(listing()).empty());
  auto tag1 = repo.add_tag_to_series(se, "Tag1");
  auto tag2 = repo.add_tag_to_series(se, "Tag2");
  REQUIRE(tag1);
  REQUIRE(tag2);
  CHECK(tag1->name == "Tag1");
  CHECK(tag2->name == "Tag2");
  CHECK(tag_names(repo.list_series_tags(listing())) == strings{"Tag1", "Tag2"});
  CHECK(tag_names(repo.tags_of_series(se)) == strings{"Tag1", "Tag2"});

  // Linking twice keeps one link and reuses the tag.
  CHECK(repo.add_tag_to_series(se, "Tag1")->id == tag1->id);
  CHECK(repo.tags_of_series(se).size() == 2);
  CHECK(repo.add_tag_to_series(f.series[1], "Tag1")->id == tag1->id);
  CHECK(repo.list_series_tags(listing()).size() == 2);

  repo.remove_tag_from_series(se, tag1->id);
  repo.remove_tag_from_series(se, tag1->id);
  repo.remove_tag_from_series(666, 666);
  CHECK(tag_names(repo.tags_of_series(se)) == strings{"Tag2"});
  CHECK(tag_names(repo.tags_of_series(f.series[1])) == strings{"Tag1"});
  CHECK(repo.list_series_tags(listing()).size() == 2);
  CHECK(repo.tags_of_series(666).empty());

  // Global list: insert, find, rename, delete.
  auto tag3 = repo.insert_series_tag("alfa");
  CHECK(tag3.id > tag2->id);
  CHECK(repo.series_tag(tag3.id)->name == "alfa");
  CHECK_FALSE(repo.series_tag(666));
  try {
    repo.insert_series_tag("Tag1");
    FAIL("duplicate tag name accepted");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::unique_violation);
  }
  CHECK(repo.rename_series_tag(tag3.id, "Zulu"));
  CHECK(repo.series_tag(tag3.id)->name == "Zulu");
  CHECK_FALSE(repo.rename_series_tag(666, "gamma"));
  try {
    repo.rename_series_tag(tag3.id, "Tag2");
    FAIL("rename to a taken name accepted");
  } catch (const database_error& e) {
    CHECK(e.kind() == db_failure::unique_violation);
  }

  // Order only by id or name; the filter is a case-sensitive substring of the name.
  CHECK(tag_names(repo.list_series_tags(ordered("name", false))) ==
        strings{"Zulu", "Tag2", "Tag1"});
  CHECK(tag_names(repo.list_series_tags(ordered("name"))) == strings{"Tag1", "Tag2", "Zulu"});
  CHECK(tag_names(repo.list_series_tags(ordered("id", false))) == strings{"Zulu", "Tag2", "Tag1"});
  CHECK(tag_names(repo.list_series_tags(ordered("syntaxerror", false))) ==
        strings{"Tag1", "Tag2", "Zulu"});
  CHECK(tag_names(repo.list_series_tags(filtered("ag"))) == strings{"Tag1", "Tag2"});
  CHECK(repo.list_series_tags(filtered("AG")).empty());
  CHECK(tag_names(repo.list_series_tags(filtered("Tag_"))) == strings{"Tag1", "Tag2"});
  auto page = ordered("name");
  page.start = 1;
  page.count = 1;
  CHECK(tag_names(repo.list_series_tags(page)) == strings{"Tag2"});

  // Deleting a tag removes its links.
  repo.delete_series_tag(tag2->id);
  repo.delete_series_tag(666);
  CHECK(repo.tags_of_series(se).empty());
  CHECK_FALSE(repo.series_tag(tag2->id));
  CHECK(tag_names(repo.list_series_tags(listing())) == strings{"Tag1", "Zulu"});
}

TEMPLATE_TEST_CASE("persistence: metadata concurrent upserts of one patient make one row",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  constexpr int writers = 2;
  constexpr int rounds = 20;
  std::vector<std::unique_ptr<database>> connections;
  for (int i = 0; i < writers; ++i) connections.push_back(open_database(scratch.config()));

  std::vector<std::exception_ptr> errors(writers);
  std::vector<int> patients_added(writers, 0);
  for (int round = 0; round < rounds; ++round) {
    std::latch start(writers);
    std::vector<std::jthread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&, w] {
        try {
          metadata_repo repo(*connections[w]);
          auto a = attributes("Same^Patient" + std::to_string(round), "PID", "st", "se",
                              "so" + std::to_string(w));
          start.arrive_and_wait();
          transaction tx(*connections[w]);
          if (repo.upsert(a, user1, "key").patient_added) ++patients_added[w];
          tx.commit();
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  auto& db = scratch.db();
  CHECK(count_rows(db, "patients") == rounds);
  CHECK(count_rows(db, "studies") == rounds);
  CHECK(count_rows(db, "series") == rounds);
  CHECK(count_rows(db, "images") == rounds * writers);
  CHECK(count_rows(db, "series_sources") == rounds);
  CHECK(patients_added[0] + patients_added[1] == rounds);
}

TEMPLATE_TEST_CASE("persistence: files committed before their flush are listed, undone, forgotten",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  metadata_repo repo(scratch.db());
  auto a = attributes("Doe^John", "PID1", "1.2.3", "1.2.3.4", "1.2.3.4.5");
  auto first = repo.upsert(a, user1, "key-a");
  repo.add_unflushed({"key-a", first.img.id, "", 100});
  // The same image again under another file: the row names the file it replaced.
  auto second = repo.upsert(a, user1, "key-b");
  REQUIRE(second.replaced_storage_key == "key-a");
  repo.add_unflushed({"key-b", second.img.id, "key-a", 200});
  auto other =
      repo.upsert(attributes("Roe^Jane", "PID2", "2.1", "2.1.1", "2.1.1.1"), user1, "key-c");
  repo.add_unflushed({"key-c", other.img.id, "", 300});

  auto files = repo.unflushed_files();  // newest first
  REQUIRE(files.size() == 3);
  CHECK(files[0].storage_key == "key-c");
  CHECK(files[0].bytes == 300);
  CHECK(files[1].storage_key == "key-b");
  CHECK(files[1].previous_key == "key-a");
  CHECK(files[1].image_id == first.img.id);
  CHECK(files[2].storage_key == "key-a");

  SECTION("undone: back to the file it replaced, or deleted with what it leaves empty") {
    CHECK(repo.undo_upsert(files[1], true).image_ids.empty());
    CHECK(repo.storage_key(first.img.id) == "key-a");
    // The image has another file now: undoing key-b again changes nothing.
    CHECK(repo.undo_upsert(files[1], false).image_ids.empty());
    CHECK(repo.storage_key(first.img.id) == "key-a");
    auto d = repo.undo_upsert(files[0], false);
    CHECK(d.image_ids == ids{other.img.id});
    CHECK(d.storage_keys == strings{"key-c"});
    CHECK_FALSE(repo.patient(other.pat.id));
    CHECK(repo.patient(first.pat.id));
  }
  SECTION("forgotten once flushed") {
    repo.remove_unflushed({"key-a", "key-c", "no-such-key"});
    files = repo.unflushed_files();
    REQUIRE(files.size() == 1);
    CHECK(files[0].storage_key == "key-b");
    CHECK(repo.storage_key(first.img.id) == "key-b");
  }
}
