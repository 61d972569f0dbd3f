// SPDX-License-Identifier: Apache-2.0
#include "persistence/qido_repo.hpp"

#include <string>
#include <string_view>

#include "persistence/statement.hpp"

namespace sbx::persistence {
namespace {

using proto::qido_key;
using proto::qido_level;
using proto::qido_match_kind;
using sql::join;
using sql::never;
using sql::searchable;
using sql::statement;

/// The column a key matches; `st.id`-relative subqueries are written where they are used.
std::string_view column_of(qido_key k) {
  switch (k) {
    case qido_key::patient_name:
      return "p.patient_name";
    case qido_key::patient_id:
      return "p.patient_id";
    case qido_key::patient_birth_date:
      return "p.patient_birth_date";
    case qido_key::patient_sex:
      return "p.patient_sex";
    case qido_key::patient_age:
      return "st.patient_age";
    case qido_key::study_instance_uid:
      return "st.study_instance_uid";
    case qido_key::study_date:
      return "st.study_date";
    case qido_key::study_description:
      return "st.study_description";
    case qido_key::study_id:
      return "st.study_id";
    case qido_key::accession_number:
      return "st.accession_number";
    case qido_key::modalities_in_study:
      return "x.modality";
    case qido_key::series_instance_uid:
      return "se.series_instance_uid";
    case qido_key::series_date:
      return "se.series_date";
    case qido_key::series_description:
      return "se.series_description";
    case qido_key::modality:
      return "se.modality";
    case qido_key::protocol_name:
      return "se.protocol_name";
    case qido_key::body_part_examined:
      return "se.body_part_examined";
    case qido_key::manufacturer:
      return "se.manufacturer";
    case qido_key::station_name:
      return "se.station_name";
    case qido_key::frame_of_reference_uid:
      return "se.frame_of_reference_uid";
    case qido_key::sop_instance_uid:
      return "im.sop_instance_uid";
    case qido_key::instance_number:
      return "im.instance_number";
    case qido_key::image_type:
      return "im.image_type";
  }
  return "";
}

/// `*` and `?` become LIKE's `%` and `_`; LIKE's own wildcards and the escape are escaped.
std::string like_pattern(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '*')
      out += '%';
    else if (c == '?')
      out += '_';
    else if (c == '%' || c == '_' || c == '!')
      out += {'!', c};
    else
      out += c;
  }
  return out;
}

std::string condition(statement& st, const proto::qido_condition& c) {
  for (const auto& v : c.values)
    if (!searchable(v)) return never;
  const std::string column(column_of(c.key));
  const auto folded = [&](const std::string& expr) {
    return c.ignore_case ? "LOWER(" + expr + ")" : expr;
  };
  std::string test;
  switch (c.kind) {
    case qido_match_kind::exact:
      if (c.values.empty()) return "1 = 1";
      test = folded(column) + " = " + folded("CAST(" + st.bind(c.values[0]) + " AS TEXT)");
      break;
    case qido_match_kind::wildcard:
      if (c.values.empty()) return "1 = 1";
      test = folded(column) + " LIKE " +
             folded("CAST(" + st.bind(like_pattern(c.values[0])) + " AS TEXT)") + " ESCAPE '!'";
      break;
    case qido_match_kind::uid_list: {
      std::vector<std::string> any;
      for (const auto& v : c.values) any.push_back(column + " = " + st.bind(v));
      if (any.empty()) return never;
      test = "(" + join(any, " OR ") + ")";
      break;
    }
    case qido_match_kind::range: {
      std::vector<std::string> both{column + " <> ''"};
      if (c.values.size() > 0 && !c.values[0].empty())
        both.push_back(column + " >= " + st.bind(c.values[0]));
      if (c.values.size() > 1 && !c.values[1].empty())
        both.push_back(column + " <= " + st.bind(c.values[1]));
      test = "(" + join(both, " AND ") + ")";
      break;
    }
  }
  if (c.key == qido_key::modalities_in_study)
    return "EXISTS (SELECT 1 FROM series x WHERE x.study_id = st.id AND " + test + ")";
  return test;
}

/// The patient rows of a C-FIND at patient level (docs/api.md#queryretrieve): only patient keys
/// are matched, and the counts are of the patient's studies, series and images.
std::vector<proto::qido_match> patient_search(database& db, const proto::qido_query& q) {
  statement st{db.kind()};
  std::string text =
      "SELECT p.id, p.patient_name, p.patient_id, p.patient_birth_date, p.patient_sex";
  if (q.counts)
    text +=
        ", (SELECT COUNT(*) FROM studies s1 WHERE s1.patient_id = p.id)"
        ", (SELECT COUNT(*) FROM series s2 JOIN studies s1 ON s2.study_id = s1.id"
        " WHERE s1.patient_id = p.id)"
        ", (SELECT COUNT(*) FROM images i3 JOIN series s2 ON i3.series_id = s2.id"
        " JOIN studies s1 ON s2.study_id = s1.id WHERE s1.patient_id = p.id)";
  text += " FROM patients p";
  std::vector<std::string> where;
  for (const auto& c : q.conditions) where.push_back(condition(st, c));
  if (!where.empty()) text += " WHERE " + join(where, " AND ");
  text += " ORDER BY p.id LIMIT " + st.bind(q.limit < 0 ? std::int64_t{1} << 62 : q.limit);
  text += " OFFSET " + st.bind(q.offset);
  std::vector<proto::qido_match> out;
  for (const auto& r : db.exec(text, st.params()).rows) {
    proto::qido_match m;
    m.pat = {r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4)};
    if (q.counts) {
      m.related_studies = r.int64(5);
      m.related_series = r.int64(6);
      m.related_instances = r.int64(7);
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::vector<proto::qido_match> qido_search(database& db, const proto::qido_query& q) {
  if (q.level == qido_level::patient) return patient_search(db, q);
  statement st{db.kind()};
  const bool series_rows = q.level != qido_level::study;
  const bool image_rows = q.level == qido_level::instance;
  std::string columns =
      "p.id, p.patient_name, p.patient_id, p.patient_birth_date, p.patient_sex, "
      "st.id, st.patient_id, st.study_instance_uid, st.study_description, st.study_date, "
      "st.study_id, st.accession_number, st.patient_age";
  std::string from = " FROM patients p JOIN studies st ON st.patient_id = p.id";
  std::string order = " ORDER BY st.id";
  if (series_rows) {
    columns +=
        ", se.id, se.study_id, se.series_instance_uid, se.series_description, se.series_date, "
        "se.modality, se.protocol_name, se.body_part_examined, se.manufacturer, se.station_name, "
        "se.frame_of_reference_uid";
    from += " JOIN series se ON se.study_id = st.id";
    order += ", se.id";
  }
  if (image_rows) {
    columns +=
        ", im.id, im.series_id, im.sop_instance_uid, im.image_type, im.instance_number, "
        "im.storage_key";
    from += " JOIN images im ON im.series_id = se.id";
    order += ", im.id";
  }
  if (q.counts && q.level == qido_level::study) {
    const auto modalities = db.kind() == backend::sqlite ? "group_concat(DISTINCT x.modality)"
                                                         : "string_agg(DISTINCT x.modality, ',')";
    columns +=
        ", (SELECT COUNT(*) FROM series x WHERE x.study_id = st.id)"
        ", (SELECT COUNT(*) FROM images y JOIN series x ON y.series_id = x.id"
        " WHERE x.study_id = st.id)"
        ", (SELECT " +
        std::string(modalities) + " FROM series x WHERE x.study_id = st.id AND x.modality <> '')";
  }
  if (q.counts && q.level == qido_level::series)
    columns += ", (SELECT COUNT(*) FROM images y WHERE y.series_id = se.id)";
  std::vector<std::string> where;
  for (const auto& c : q.conditions) where.push_back(condition(st, c));
  std::string text = "SELECT " + columns + from;
  if (!where.empty()) text += " WHERE " + join(where, " AND ");
  text += order;
  text += " LIMIT " + st.bind(q.limit < 0 ? std::int64_t{1} << 62 : q.limit);
  text += " OFFSET " + st.bind(q.offset);

  std::vector<proto::qido_match> out;
  for (const auto& r : db.exec(text, st.params()).rows) {
    proto::qido_match m;
    std::size_t i = 0;
    m.pat = {r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4)};
    m.stu = {r.int64(5), r.int64(6), r.text(7),  r.text(8),
             r.text(9),  r.text(10), r.text(11), r.text(12)};
    i = 13;
    if (series_rows) {
      m.ser = {r.int64(i),    r.int64(i + 1), r.text(i + 2), r.text(i + 3),
               r.text(i + 4), r.text(i + 5),  r.text(i + 6), r.text(i + 7),
               r.text(i + 8), r.text(i + 9),  r.text(i + 10)};
      i += 11;
    }
    if (image_rows) {
      m.img = {r.int64(i), r.int64(i + 1), r.text(i + 2), r.text(i + 3), r.text(i + 4)};
      m.storage_key = r.text(i + 5);
      i += 6;
    }
    if (q.counts && q.level == qido_level::study) {
      m.related_series = r.int64(i);
      m.related_instances = r.int64(i + 1);
      auto list = r.text(i + 2);
      for (std::size_t start = 0; !list.empty() && start <= list.size();) {
        auto comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        m.modalities.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    }
    if (q.counts && q.level == qido_level::series) m.related_instances = r.int64(i);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace sbx::persistence
