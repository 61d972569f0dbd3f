// SPDX-License-Identifier: Apache-2.0
#include "persistence/anonymization_repo.hpp"

#include <catch2/catch.hpp>

#include "support/scratch_database.hpp"

using namespace sbx::persistence;
using sbx::test::scratch_database;
namespace proto = sbx::proto;

namespace {

using ids = std::vector<std::int64_t>;
using strings = std::vector<std::string>;

proto::anonymization_key make_key(std::int64_t image_id, std::int64_t created,
                                  const std::string& name, const std::string& pid,
                                  const std::string& study, const std::string& series,
                                  const std::string& sop) {
  return {-1,
          created,
          image_id,
          name,
          "anon " + name,
          pid,
          "anon " + pid,
          study,
          "anon " + study,
          series,
          "anon " + series,
          sop,
          "anon " + sop};
}

proto::anonymization_key_value make_value(const std::string& tag_path, const std::string& v,
                                          const std::string& anon) {
  return {-1, -1, tag_path, v, anon};
}

ids ids_of(const std::vector<proto::anonymization_key>& keys) {
  ids out;
  for (const auto& k : keys) out.push_back(k.id);
  return out;
}

proto::anonymization_key insert(anonymization_repo& repo, const proto::anonymization_key& k,
                                const std::vector<proto::anonymization_key_value>& v = {}) {
  return repo.insert(k, v);
}

}  // namespace

TEMPLATE_TEST_CASE("persistence: anonymization keys insert, by_id and list", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());

  proto::anonymization_key a, b;
  {
    transaction tx(scratch.db());
    a = insert(repo, make_key(12, 1000, "Doe^John", "PID1", "1.2.3", "1.2.3.4", "1.2.3.4.5"));
    b = insert(repo, make_key(13, 2000, "Roe^Jane", "PID2", "2.2.3", "2.2.3.4", "2.2.3.4.5"));
    tx.commit();
  }
  CHECK(a.id >= 1);
  CHECK(b.id > a.id);

  CHECK(ids_of(repo.list(0, 20, std::nullopt, "")) == ids{a.id, b.id});

  auto got = repo.by_id(a.id);
  REQUIRE(got);
  CHECK(got->created == 1000);
  CHECK(got->image_id == 12);
  CHECK(got->patient_name == "Doe^John");
  CHECK(got->anon_patient_name == "anon Doe^John");
  CHECK(got->patient_id == "PID1");
  CHECK(got->anon_patient_id == "anon PID1");
  CHECK(got->study_instance_uid == "1.2.3");
  CHECK(got->anon_study_instance_uid == "anon 1.2.3");
  CHECK(got->series_instance_uid == "1.2.3.4");
  CHECK(got->anon_series_instance_uid == "anon 1.2.3.4");
  CHECK(got->sop_instance_uid == "1.2.3.4.5");
  CHECK(got->anon_sop_instance_uid == "anon 1.2.3.4.5");
  CHECK_FALSE(repo.by_id(666));
}

TEMPLATE_TEST_CASE("persistence: anonymization key insert rolls back with the transaction",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  {
    transaction tx(scratch.db());
    insert(repo, make_key(1, 1, "a", "b", "c", "d", "e"), {make_value("AccessionNumber", "x", "")});
  }
  CHECK(repo.list(0, 20, std::nullopt, "").empty());
  CHECK(scratch.db().exec("SELECT COUNT(*) FROM anonymization_key_values").rows.at(0).int64(0) ==
        0);
}

TEMPLATE_TEST_CASE("persistence: anonymization keys paging and order (any int64)", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  auto b = insert(repo, make_key(1, 10, "B", "p1", "s1", "se1", "so1"));
  auto a = insert(repo, make_key(2, 20, "A", "p2", "s2", "se2", "so2"));
  auto c = insert(repo, make_key(3, 5, "C", "p3", "s3", "se3", "so3"));

  CHECK(ids_of(repo.list(0, 1, proto::order_by{"patientName", true}, "")) == ids{a.id});
  CHECK(ids_of(repo.list(0, 20, proto::order_by{"patientName", false}, "")) ==
        ids{c.id, b.id, a.id});
  CHECK(ids_of(repo.list(0, 20, proto::order_by{"created", true}, "")) == ids{c.id, b.id, a.id});
  CHECK(ids_of(repo.list(0, 20, proto::order_by{"imageId", false}, "")) == ids{c.id, a.id, b.id});
  CHECK(ids_of(repo.list(0, 20, proto::order_by{"anonSOPInstanceUID", false}, "")) ==
        ids{c.id, a.id, b.id});
  CHECK(ids_of(repo.list(1, 1, std::nullopt, "")) == ids{a.id});
  CHECK(ids_of(repo.list(2, 20, std::nullopt, "")) == ids{c.id});

  CHECK_THROWS_AS(repo.list(0, 20, proto::order_by{"xyz", true}, ""), invalid_property);
  CHECK_THROWS_WITH(repo.list(0, 20, proto::order_by{"xyz", true}, ""),
                    "Property xyz does not exist");
  // Column (snake_case) and case-mismatched names are not API property names.
  CHECK_THROWS_AS(repo.list(0, 20, proto::order_by{"patient_name", true}, ""), invalid_property);
  CHECK_THROWS_AS(repo.list(0, 20, proto::order_by{"anonSopInstanceUID", true}, ""),
                  invalid_property);
  CHECK_THROWS_AS(repo.list(0, 20, proto::order_by{"id; DROP TABLE anonymization_keys", true}, ""),
                  invalid_property);

  // Any int64 is accepted: a negative start reads as 0, a negative count as no rows.
  CHECK(ids_of(repo.list(-5, 20, std::nullopt, "")) == ids{b.id, a.id, c.id});
  CHECK(repo.list(0, -1, std::nullopt, "").empty());
  CHECK(repo.list(INT64_MIN, INT64_MIN, std::nullopt, "").empty());
  CHECK(ids_of(repo.list(0, INT64_MAX, std::nullopt, "")).size() == 3);
  CHECK(repo.list(INT64_MAX, 20, std::nullopt, "").empty());
}

TEMPLATE_TEST_CASE("persistence: anonymization keys filter is a case-insensitive prefix",
                   "[persistence]", sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  auto k1 = insert(repo, make_key(1, 1, "Doe^John", "PID1", "1.2.3", "1.2.3.4", "1.2.3.4.5"));
  auto k2 = insert(repo, make_key(2, 2, "Smith^Ann", "XYZ", "9.8", "9.8.7", "9.8.7.6"));
  auto k3 = insert(repo, make_key(3, 3, "A\\B", "O'Brien", "7", "7.1", "7.1.1"));

  auto filtered = [&](const std::string& f) { return ids_of(repo.list(0, 20, std::nullopt, f)); };
  CHECK(filtered("doe") == ids{k1.id});
  CHECK(filtered("DOE^J") == ids{k1.id});
  CHECK(filtered("john").empty());              // prefix, not substring
  CHECK(filtered("anon smith") == ids{k2.id});  // anonymous columns too
  CHECK(filtered("pid") == ids{k1.id});
  CHECK(filtered("9.8.7.6") == ids{k2.id});
  CHECK(filtered("anon 1.2.3.4.5") == ids{k1.id});
  CHECK(filtered("1.2.3") == ids{k1.id});
  CHECK(filtered("anon") == ids{k1.id, k2.id, k3.id});
  CHECK(filtered("o'brien") == ids{k3.id});
  CHECK(filtered("a\\b") == ids{k3.id});
  CHECK(filtered("x' OR '1'='1").empty());
  CHECK(filtered(std::string("do\0e", 4)).empty());
  CHECK(filtered("\xff\xfe").empty());
  CHECK(ids_of(repo.list(1, 1, std::nullopt, "anon")) == ids{k2.id});
  CHECK(ids_of(repo.list(0, 20, proto::order_by{"patientName", false}, "anon")) ==
        ids{k2.id, k1.id, k3.id});
}

TEMPLATE_TEST_CASE("persistence: anonymization keys query", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  auto k1 = insert(repo, make_key(12, 100, "Doe^John", "PID1", "1.2.3", "1.2.3.4", "1.2.3.4.5"));
  auto k2 = insert(repo, make_key(13, 200, "Doe^Jane", "PID2", "1.2.3", "1.2.3.9", "1.2.3.9.1"));
  auto k3 = insert(repo, make_key(14, 300, "Roe'; DROP TABLE anonymization_keys; --", "PID3", "5",
                                  "5.1", "5.1.1"));

  using props = std::vector<proto::query_property>;
  auto q = [&](const props& p, std::optional<proto::order_by> o = std::nullopt) {
    return ids_of(repo.query(0, 20, o, p));
  };
  CHECK(q({{"anonPatientName", "=", "anon Doe^John"}}) == ids{k1.id});
  CHECK(q({{"anonPatientName", "=", "anon doe^john"}}).empty());  // exact, case-sensitive
  CHECK(q({{"patientName", "like", "Doe"}}) == ids{k1.id, k2.id});
  CHECK(q({{"patientName", "like", "oe^J"}}) == ids{k1.id, k2.id});  // substring
  CHECK(q({{"patientName", "like", "doe"}}).empty());                // case-sensitive
  CHECK(q({{"patientName", "like", "Doe"}, {"seriesInstanceUID", "=", "1.2.3.9"}}) == ids{k2.id});
  CHECK(q({{"studyInstanceUID", "=", "1.2.3"}}, proto::order_by{"created", false}) ==
        ids{k2.id, k1.id});
  CHECK(q({{"imageId", "=", "13"}}) == ids{k2.id});
  CHECK(q({{"imageId", "=", "13 OR 1=1"}}).empty());
  CHECK(q({{"id", "=", std::to_string(k3.id)}}) == ids{k3.id});
  CHECK(q({{"created", "like", "30"}}) == ids{k3.id});
  CHECK(q({{"patientName", "=", "Roe'; DROP TABLE anonymization_keys; --"}}) == ids{k3.id});
  CHECK(q({{"patientName", "like", "'; DROP"}}) == ids{k3.id});
  CHECK(q({{"patientName", "like", "%"}}) == ids{k1.id, k2.id, k3.id});
  CHECK(q({}) == ids{k1.id, k2.id, k3.id});
  CHECK(ids_of(repo.query(1, 1, std::nullopt, {})) == ids{k2.id});
  CHECK(repo.query(0, -3, std::nullopt, {}).empty());

  CHECK_THROWS_AS(q({{"modality", "=", "NM"}}), invalid_property);
  CHECK_THROWS_WITH(q({{"tagPath", "=", "x"}}), "Property tagPath does not exist");
  CHECK_THROWS_AS(q({{"patientName", "<>", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(q({}, proto::order_by{"value", true}), invalid_property);
  CHECK(repo.by_id(k1.id));  // the table survived
}

TEMPLATE_TEST_CASE("persistence: anonymization key values and removal", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  auto k1 = insert(repo, make_key(12, 1, "a", "b", "c", "d", "e"),
                   {make_value("FrameOfReferenceUID", "1.2.840.1", "2.25.1"),
                    make_value("PatientBirthDate", "19700101", "")});
  auto k2 = insert(repo, make_key(13, 2, "a", "b", "c", "d", "f"),
                   {make_value("AccessionNumber", "A'1\\B\"; DROP TABLE x; --", "\xc3\xa5")});

  auto v = repo.values_of(k1.id);
  REQUIRE(v.size() == 2);
  CHECK(v[0].anonymization_key_id == k1.id);
  CHECK(v[0].tag_path == "FrameOfReferenceUID");
  CHECK(v[0].value == "1.2.840.1");
  CHECK(v[0].anonymized_value == "2.25.1");
  CHECK(v[1].tag_path == "PatientBirthDate");
  CHECK(v[1].value == "19700101");
  CHECK(v[1].anonymized_value.empty());
  CHECK(v[0].id < v[1].id);

  auto w = repo.values_of(k2.id);
  REQUIRE(w.size() == 1);
  CHECK(w[0].value == "A'1\\B\"; DROP TABLE x; --");
  CHECK(w[0].anonymized_value == "\xc3\xa5");
  CHECK(repo.values_of(666).empty());

  CHECK(repo.remove(k1.id));
  CHECK_FALSE(repo.remove(k1.id));
  CHECK_FALSE(repo.remove(666));
  CHECK_FALSE(repo.by_id(k1.id));
  CHECK(repo.values_of(k1.id).empty());
  CHECK(scratch.db()
            .exec("SELECT COUNT(*) FROM anonymization_key_values WHERE anonymization_key_id = $1",
                  {k1.id})
            .rows.at(0)
            .int64(0) == 0);
  CHECK(repo.values_of(k2.id).size() == 1);
}

TEMPLATE_TEST_CASE("persistence: anonymization keys removed for deleted images", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  ids kept;
  ids image_ids;
  {
    transaction tx(scratch.db());
    for (std::int64_t i = 1; i <= 1200; ++i) {
      auto k = insert(repo, make_key(i, i, "p", "p", "s", "se", "so" + std::to_string(i)),
                      {make_value("AccessionNumber", "x", "y")});
      if (i % 3 == 0)
        kept.push_back(k.id);
      else
        image_ids.push_back(i);
    }
    tx.commit();
  }
  image_ids.push_back(99999);  // unknown ids are ignored
  image_ids.push_back(1);      // duplicates too
  CHECK(repo.remove_for_images(image_ids) == 800);
  CHECK(ids_of(repo.list(0, 2000, std::nullopt, "")) == kept);
  CHECK(scratch.db().exec("SELECT COUNT(*) FROM anonymization_key_values").rows.at(0).int64(0) ==
        400);
  CHECK(repo.remove_for_images({}) == 0);
  CHECK(repo.remove_for_images({-1, 0}) == 0);
}

TEMPLATE_TEST_CASE("persistence: anonymization key best match levels and recency", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());

  CHECK_FALSE(repo.best_match_by_real({"p", "pid", "st", "se", "so"}));
  CHECK_FALSE(repo.best_match_by_anon({"p", "pid", "st", "se", "so"}));

  // Older and newer keys of the same image; a key of another series and of another study.
  auto old_image = insert(repo, make_key(1, 100, "p", "pid", "st", "se", "so"));
  auto new_image = insert(repo, make_key(1, 300, "p", "pid", "st", "se", "so"));
  auto other_series = insert(repo, make_key(2, 400, "p", "pid", "st", "se2", "so2"));
  auto other_study = insert(repo, make_key(3, 500, "p", "pid", "st2", "se3", "so3"));
  // Same created time as new_image's series sibling: the higher id wins the tie.
  auto series_a = insert(repo, make_key(4, 50, "p", "pid", "st", "se4", "so4"));
  auto series_b = insert(repo, make_key(5, 50, "p", "pid", "st", "se4", "so5"));
  (void)old_image;

  auto m = repo.best_match_by_real({"p", "pid", "st", "se", "so"});
  REQUIRE(m);
  CHECK(m->level == key_level::image);
  CHECK(m->key.id == new_image.id);

  m = repo.best_match_by_real({"p", "pid", "st", "se", "unknown"});
  REQUIRE(m);
  CHECK(m->level == key_level::series);
  CHECK(m->key.id == new_image.id);

  m = repo.best_match_by_real({"p", "pid", "st", "se4", "unknown"});
  REQUIRE(m);
  CHECK(m->level == key_level::series);
  CHECK(m->key.id == series_b.id);
  CHECK(series_b.id > series_a.id);

  m = repo.best_match_by_real({"p", "pid", "st", "unknown", "so"});
  REQUIRE(m);
  CHECK(m->level == key_level::study);
  CHECK(m->key.id == other_series.id);  // most recent key of the study

  m = repo.best_match_by_real({"p", "pid", "unknown", "se", "so"});
  REQUIRE(m);
  CHECK(m->level == key_level::patient);
  CHECK(m->key.id == other_study.id);

  CHECK_FALSE(repo.best_match_by_real({"p", "other", "st", "se", "so"}));
  CHECK_FALSE(repo.best_match_by_real({"P", "pid", "st", "se", "so"}));  // case-sensitive
  // Anonymous values do not match real lookups and vice versa.
  CHECK_FALSE(repo.best_match_by_real({"anon p", "anon pid", "anon st", "anon se", "anon so"}));
  CHECK_FALSE(repo.best_match_by_anon({"p", "pid", "st", "se", "so"}));

  m = repo.best_match_by_anon({"anon p", "anon pid", "anon st", "anon se", "anon so"});
  REQUIRE(m);
  CHECK(m->level == key_level::image);
  CHECK(m->key.id == new_image.id);
  m = repo.best_match_by_anon({"anon p", "anon pid", "anon st2", "x", "y"});
  REQUIRE(m);
  CHECK(m->level == key_level::study);
  CHECK(m->key.id == other_study.id);
  m = repo.best_match_by_anon({"anon p", "anon pid", "x", "y", "z"});
  REQUIRE(m);
  CHECK(m->level == key_level::patient);
  CHECK(m->key.id == other_study.id);

  // Injection strings and unbindable text are plain values that match nothing.
  CHECK_FALSE(repo.best_match_by_real({"p' OR '1'='1", "pid", "st", "se", "so"}));
  CHECK_FALSE(repo.best_match_by_real({std::string("p\0", 2), "pid", "st", "se", "so"}));
  m = repo.best_match_by_real({"p", "pid", "st", "se", "\xff"});
  REQUIRE(m);
  CHECK(m->level == key_level::series);

  auto tricky = insert(repo, make_key(9, 900, "O'Hara; --", "A\\B", "1", "2", "3"));
  m = repo.best_match_by_real({"O'Hara; --", "A\\B", "1", "2", "3"});
  REQUIRE(m);
  CHECK(m->level == key_level::image);
  CHECK(m->key.id == tricky.id);
}

TEMPLATE_TEST_CASE("persistence: anonymization key export rows are a left join", "[persistence]",
                   sbx::test::sqlite_backend, sbx::test::postgres_backend) {
  scratch_database scratch(TestType::value);
  anonymization_repo repo(scratch.db());
  CHECK(repo.export_rows().empty());

  auto k1 = insert(repo, make_key(1, 1, "a", "b", "c", "d", "e"),
                   {make_value("AccessionNumber", "A1", "x"), make_value("StudyID", "S1", "")});
  auto k2 = insert(repo, make_key(2, 2, "f", "g", "h", "i", "j"));
  auto k3 = insert(repo, make_key(3, 3, "k", "l", "m", "n", "o"),
                   {make_value("PatientBirthDate", "A\\B", "")});

  auto rows = repo.export_rows();
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].key.id == k1.id);
  REQUIRE(rows[0].value);
  CHECK(rows[0].value->tag_path == "AccessionNumber");
  CHECK(rows[0].value->value == "A1");
  CHECK(rows[0].value->anonymized_value == "x");
  CHECK(rows[1].key.id == k1.id);
  REQUIRE(rows[1].value);
  CHECK(rows[1].value->tag_path == "StudyID");
  CHECK(rows[2].key.id == k2.id);
  CHECK(rows[2].key.patient_name == "f");
  CHECK(rows[2].key.anon_sop_instance_uid == "anon j");
  CHECK_FALSE(rows[2].value);
  CHECK(rows[3].key.id == k3.id);
  REQUIRE(rows[3].value);
  CHECK(rows[3].value->value == "A\\B");
  CHECK(rows[3].value->anonymization_key_id == k3.id);
}
