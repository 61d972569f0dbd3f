// SPDX-License-Identifier: Apache-2.0
#include "persistence/metadata_repo.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "persistence/statement.hpp"

namespace sbx::persistence {

using sql::in_list;
using sql::join;
using sql::never;
using sql::searchable;
using sql::statement;

namespace {

// ---------------------------------------------------------------------------------------------
// The hierarchy and the property whitelist

// Top-down; the numbers order the joins.
enum class level : int { patient = 0, study = 1, series = 2, image = 3 };

struct level_table {
  std::string_view table;
  std::string_view alias;
  std::string_view parent_column;  // the column referencing the level above; empty for patients
  std::string_view columns;        // the entity's columns in the order the to_x() readers expect
};

constexpr level_table levels[] = {
    {"patients", "p", "",
     "p.id, p.patient_name, p.patient_id, p.patient_birth_date, p.patient_sex"},
    {"studies", "st", "patient_id",
     "st.id, st.patient_id, st.study_instance_uid, st.study_description, st.study_date, "
     "st.study_id, st.accession_number, st.patient_age"},
    {"series", "se", "study_id",
     "se.id, se.study_id, se.series_instance_uid, se.series_description, se.series_date, "
     "se.modality, se.protocol_name, se.body_part_examined, se.manufacturer, se.station_name, "
     "se.frame_of_reference_uid"},
    {"images", "im", "series_id",
     "im.id, im.series_id, im.sop_instance_uid, im.image_type, im.instance_number"},
};

constexpr int index_of(level l) { return static_cast<int>(l); }
const level_table& table_of(level l) { return levels[index_of(l)]; }
const level_table& table_of(int l) { return levels[l]; }

constexpr std::size_t patient_width = 5;
constexpr std::size_t study_width = 8;

// API property names (the JSON field names of the entities) and the columns they stand for. Only
// names found here ever reach SQL text.
struct property_column {
  std::string_view property;
  level lvl;
  std::string_view column;
  bool integer = false;
};

constexpr property_column property_columns[] = {
    {"id", level::patient, "id", true},
    {"patientName", level::patient, "patient_name"},
    {"patientID", level::patient, "patient_id"},
    {"patientBirthDate", level::patient, "patient_birth_date"},
    {"patientSex", level::patient, "patient_sex"},
    {"id", level::study, "id", true},
    {"patientId", level::study, "patient_id", true},
    {"studyInstanceUID", level::study, "study_instance_uid"},
    {"studyDescription", level::study, "study_description"},
    {"studyDate", level::study, "study_date"},
    {"studyID", level::study, "study_id"},
    {"accessionNumber", level::study, "accession_number"},
    {"patientAge", level::study, "patient_age"},
    {"id", level::series, "id", true},
    {"studyId", level::series, "study_id", true},
    {"seriesInstanceUID", level::series, "series_instance_uid"},
    {"seriesDescription", level::series, "series_description"},
    {"seriesDate", level::series, "series_date"},
    {"modality", level::series, "modality"},
    {"protocolName", level::series, "protocol_name"},
    {"bodyPartExamined", level::series, "body_part_examined"},
    {"manufacturer", level::series, "manufacturer"},
    {"stationName", level::series, "station_name"},
    {"frameOfReferenceUID", level::series, "frame_of_reference_uid"},
    {"id", level::image, "id", true},
    {"seriesId", level::image, "series_id", true},
    {"sopInstanceUID", level::image, "sop_instance_uid"},
    {"imageType", level::image, "image_type"},
    {"instanceNumber", level::image, "instance_number"},
};

// A whitelisted column, qualified with its level's alias.
struct column_ref {
  level lvl;
  std::string sql;
  bool integer;
};

column_ref ref_of(const property_column& c) {
  return {c.lvl, std::string(table_of(c.lvl).alias) + "." + std::string(c.column), c.integer};
}

// The one column named `property` in levels [first, last]; none or several (only `id` can be
// ambiguous) is the caller's error (400, docs/api.md#deviations-from-slicebox-211).
column_ref unique_column(const std::string& property, level first, level last) {
  const property_column* found = nullptr;
  for (const auto& c : property_columns) {
    if (c.property != property || c.lvl < first || c.lvl > last) continue;
    if (found) throw invalid_property(property);
    found = &c;
  }
  if (!found) throw invalid_property(property);
  return ref_of(*found);
}

// Orders apply to the result entity's own table (docs/api.md#query-bodies).
std::string order_column(const std::string& property, level result) {
  return unique_column(property, result, result).sql;
}

// Flat series: `id` is the series id; every other name is unique across the three levels.
std::string flat_order_column(const std::string& property) {
  if (property == "id") return "se.id";
  return unique_column(property, level::patient, level::series).sql;
}

// ---------------------------------------------------------------------------------------------
// Statement text with bound values

// `expr` contains the value as a substring; the value's own % and _ stay wildcards
// (docs/api.md#query-bodies). PostgreSQL's LIKE treats a backslash as an escape, which would garble
// values such as ORIGINAL\PRIMARY, hence ESCAPE '' there (SQLite has no default escape character).
std::string contains(statement& st, const std::string& expr, const std::string& v,
                     bool ignore_case) {
  if (!searchable(v)) return never;
  std::string param = "CAST(" + st.bind(v) + " AS TEXT)";
  std::string lhs = ignore_case ? "LOWER(" + expr + ")" : expr;
  std::string pattern = "'%' || " + (ignore_case ? "LOWER(" + param + ")" : param) + " || '%'";
  return lhs + " LIKE (" + pattern + ")" + (st.kind() == backend::postgres ? " ESCAPE ''" : "");
}

std::string text_of(const column_ref& c) {
  return c.integer ? "CAST(" + c.sql + " AS TEXT)" : c.sql;
}

std::string property_condition(statement& st, const column_ref& c, const proto::query_property& q) {
  if (q.op == "=") {
    if (c.integer) {
      // Integer columns compare as numbers so their indexes serve; text that is no number
      // equals no id.
      std::int64_t n = 0;
      const char* end = q.value.data() + q.value.size();
      auto [ptr, ec] = std::from_chars(q.value.data(), end, n);
      if (ec != std::errc() || ptr != end) return never;
      return c.sql + " = " + st.bind(n);
    }
    if (!searchable(q.value)) return never;
    return c.sql + " = " + st.bind(q.value);
  }
  if (q.op == "like") return contains(st, text_of(c), q.value, /*ignore_case=*/false);
  throw std::invalid_argument("Unsupported query operator " + q.op);
}

// Free text: case-insensitive substring of any of the columns.
std::string any_contains(statement& st, const std::vector<std::string>& exprs,
                         const std::string& v) {
  if (!searchable(v)) return never;
  // One bound value for all columns.
  std::string param = st.bind(v);
  std::string pattern = "('%' || LOWER(CAST(" + param + " AS TEXT)) || '%')";
  std::string escape = st.kind() == backend::postgres ? " ESCAPE ''" : "";
  std::vector<std::string> parts;
  for (const auto& e : exprs) parts.push_back("LOWER(" + e + ") LIKE " + pattern + escape);
  return "(" + join(parts, " OR ") + ")";
}

bool known_source_type(const std::string& t) {
  return t == "user" || t == "box" || t == "directory" || t == "scp" || t == "import";
}

// docs/api.md#paging-and-listing-parameters: the series is from one of the sources AND has one of
// the types AND one of the tags; an empty group does not count. `series_id` is an SQL expression
// for the series' id.
std::string series_filter_condition(statement& st, const proto::series_filter& f,
                                    const std::string& series_id) {
  std::vector<std::string> parts;
  if (!f.sources.empty()) {
    std::vector<std::string> keys;
    for (const auto& s : f.sources)
      if (known_source_type(s.type)) keys.push_back(s.type + ":" + std::to_string(s.id));
    // Only unknown source types: nothing can match.
    if (keys.empty()) return never;
    parts.push_back(
        "EXISTS (SELECT 1 FROM series_sources ss WHERE ss.series_id = " + series_id + " AND " +
        in_list(st, "(ss.source_type || ':' || CAST(ss.source_id AS TEXT))", keys) + ")");
  }
  if (!f.series_type_ids.empty())
    parts.push_back(
        "EXISTS (SELECT 1 FROM series_series_types sst WHERE sst.series_id = " + series_id +
        " AND " + in_list(st, "sst.series_type_id", f.series_type_ids) + ")");
  if (!f.series_tag_ids.empty())
    parts.push_back(
        "EXISTS (SELECT 1 FROM series_series_tags sstg WHERE sstg.series_id = " + series_id +
        " AND " + in_list(st, "sstg.series_tag_id", f.series_tag_ids) + ")");
  return join(parts, " AND ");
}

// ---------------------------------------------------------------------------------------------
// One SELECT for every listing and query

struct condition {
  level lvl;  // the lowest level whose columns it uses
  std::string sql;
};

struct select_plan {
  level result = level::patient;
  bool flat = false;  // select patient, study and series columns of each series
  std::vector<condition> conditions;
  const proto::series_filter* filter = nullptr;
  std::string order;  // a qualified column; empty = the result's id
  bool ascending = true;
  std::int64_t start = 0;
  std::int64_t count = 0;
};

// The result level's row is joined with its ancestors (one each, so no duplicates) as far up as
// a condition needs; conditions on descendants, and the series filter for patients and
// studies, go into one EXISTS over the descendants, so that one series satisfies all of them
// together (as the original's join does) and every entity appears once without DISTINCT.
std::string select_sql(statement& st, const select_plan& plan) {
  const int r = index_of(plan.result);
  const bool filtering = plan.filter && !plan.filter->empty();
  int top = plan.flat ? index_of(level::patient) : r;
  int bottom = r;
  for (const auto& c : plan.conditions) {
    top = std::min(top, index_of(c.lvl));
    bottom = std::max(bottom, index_of(c.lvl));
  }
  if (filtering) bottom = std::max(bottom, index_of(level::series));

  const auto& res = table_of(r);
  std::string sql = "SELECT ";
  if (plan.flat) {
    sql += std::string(table_of(level::patient).columns) + ", " +
           std::string(table_of(level::study).columns) + ", " +
           std::string(table_of(level::series).columns);
  } else {
    sql += res.columns;
  }
  sql += " FROM " + std::string(res.table) + " " + std::string(res.alias);
  for (int l = r - 1; l >= top; --l) {
    const auto& t = table_of(l);
    const auto& child = table_of(l + 1);
    sql += " JOIN " + std::string(t.table) + " " + std::string(t.alias) + " ON " +
           std::string(t.alias) + ".id = " + std::string(child.alias) + "." +
           std::string(child.parent_column);
  }

  std::vector<std::string> outer;
  std::vector<std::string> inner;
  for (const auto& c : plan.conditions) (index_of(c.lvl) <= r ? outer : inner).push_back(c.sql);
  if (filtering) {
    if (r < index_of(level::series))
      inner.push_back(series_filter_condition(st, *plan.filter, "se.id"));
    else if (r == index_of(level::series))
      outer.push_back(series_filter_condition(st, *plan.filter, "se.id"));
    else
      outer.push_back(series_filter_condition(st, *plan.filter, "im.series_id"));
  }
  if (bottom > r) {
    const auto& first = table_of(r + 1);
    std::string sub =
        "EXISTS (SELECT 1 FROM " + std::string(first.table) + " " + std::string(first.alias);
    for (int l = r + 2; l <= bottom; ++l) {
      const auto& t = table_of(l);
      sub += " JOIN " + std::string(t.table) + " " + std::string(t.alias) + " ON " +
             std::string(t.alias) + "." + std::string(t.parent_column) + " = " +
             std::string(table_of(l - 1).alias) + ".id";
    }
    sub += " WHERE " + std::string(first.alias) + "." + std::string(first.parent_column) + " = " +
           std::string(res.alias) + ".id";
    for (const auto& c : inner) sub += " AND " + c;
    sub += ")";
    outer.push_back(std::move(sub));
  }
  if (!outer.empty()) sql += " WHERE " + join(outer, " AND ");

  // The id breaks ties, so pages are stable.
  const std::string id = std::string(res.alias) + ".id";
  const char* direction = plan.ascending ? " ASC" : " DESC";
  if (plan.order.empty())
    sql += " ORDER BY " + id + " ASC";
  else if (plan.order == id)
    sql += " ORDER BY " + id + direction;
  else
    sql += " ORDER BY " + plan.order + direction + ", " + id + " ASC";

  // PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit"; treat both as empty.
  sql += " LIMIT " + st.bind(std::max<std::int64_t>(plan.count, 0));
  sql += " OFFSET " + st.bind(std::max<std::int64_t>(plan.start, 0));
  return sql;
}

// ---------------------------------------------------------------------------------------------
// Rows to entities

proto::patient to_patient(const row& r, std::size_t i = 0) {
  return {r.int64(i), r.text(i + 1), r.text(i + 2), r.text(i + 3), r.text(i + 4)};
}

proto::study to_study(const row& r, std::size_t i = 0) {
  return {r.int64(i),    r.int64(i + 1), r.text(i + 2), r.text(i + 3),
          r.text(i + 4), r.text(i + 5),  r.text(i + 6), r.text(i + 7)};
}

proto::series to_series(const row& r, std::size_t i = 0) {
  return {r.int64(i),    r.int64(i + 1), r.text(i + 2), r.text(i + 3), r.text(i + 4), r.text(i + 5),
          r.text(i + 6), r.text(i + 7),  r.text(i + 8), r.text(i + 9), r.text(i + 10)};
}

proto::image to_image(const row& r, std::size_t i = 0) {
  return {r.int64(i), r.int64(i + 1), r.text(i + 2), r.text(i + 3), r.text(i + 4)};
}

proto::flat_series to_flat_series(const row& r) {
  return {to_patient(r, 0), to_study(r, patient_width), to_series(r, patient_width + study_width)};
}

template <class T, class F>
std::vector<T> all_of(const result& res, F read) {
  std::vector<T> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(read(r, 0));
  return out;
}

std::vector<proto::flat_series> all_flat(const result& res) {
  std::vector<proto::flat_series> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_flat_series(r));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Query bodies

// Properties are validated against levels [patient, deepest]; orders against the result's own
// table (flat series: the flat mapping).
select_plan query_plan(statement& st, const proto::metadata_query& q, level result, bool flat,
                       level deepest) {
  select_plan plan;
  plan.result = result;
  plan.flat = flat;
  plan.start = q.start;
  plan.count = q.count;
  if (q.order) {
    plan.order =
        flat ? flat_order_column(q.order->property) : order_column(q.order->property, result);
    plan.ascending = q.order->ascending;
  }
  for (const auto& p : q.properties) {
    auto c = unique_column(p.property, level::patient, deepest);
    plan.conditions.push_back({c.lvl, property_condition(st, c, p)});
  }
  plan.filter = &q.series;
  return plan;
}

std::string first_characters(const std::string& s, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (seen == n) return s.substr(0, i);
    ++seen;
  }
  return s;
}

// Finds the row by its identity key and overwrites it, else inserts it. Both statements take the
// same parameters. A concurrent insert of the same key makes the INSERT do nothing (the unique
// index decides), and the UPDATE on the next round then finds the other writer's row.
std::pair<std::int64_t, bool> update_or_insert(database& db, const char* update_sql,
                                               const char* insert_sql,
                                               const std::vector<value>& params) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (auto r = db.exec(update_sql, params); !r.rows.empty()) return {r.rows[0].int64(0), false};
    if (auto r = db.exec(insert_sql, params); !r.rows.empty()) return {r.rows[0].int64(0), true};
  }
  throw database_error(db_failure::other, "upsert kept racing with deletions");
}

constexpr std::size_t delete_batch = 1000;

}  // namespace

// -----------------------------------------------------------------------------------------------
// Upsert

proto::upsert_result metadata_repo::upsert(const proto::image_attributes& a,
                                           const proto::source& source,
                                           const std::string& storage_key) {
  constexpr std::size_t patient_name_length = 180;
  proto::upsert_result out;
  out.pat = a.pat;
  out.pat.patient_name = first_characters(a.pat.patient_name, patient_name_length);
  std::tie(out.pat.id, out.patient_added) = update_or_insert(
      db_,
      "UPDATE patients SET patient_birth_date = $3, patient_sex = $4 "
      "WHERE patient_name = $1 AND patient_id = $2 RETURNING id",
      "INSERT INTO patients (patient_name, patient_id, patient_birth_date, patient_sex) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (patient_name, patient_id) DO NOTHING RETURNING id",
      {out.pat.patient_name, out.pat.patient_id, out.pat.patient_birth_date, out.pat.patient_sex});

  out.stu = a.stu;
  out.stu.patient_id = out.pat.id;
  std::tie(out.stu.id, out.study_added) = update_or_insert(
      db_,
      "UPDATE studies SET study_description = $3, study_date = $4, study_id = $5, "
      "accession_number = $6, patient_age = $7 "
      "WHERE patient_id = $1 AND study_instance_uid = $2 RETURNING id",
      "INSERT INTO studies (patient_id, study_instance_uid, study_description, study_date, "
      "study_id, accession_number, patient_age) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (patient_id, study_instance_uid) DO NOTHING RETURNING id",
      {out.stu.patient_id, out.stu.study_instance_uid, out.stu.study_description,
       out.stu.study_date, out.stu.study_id, out.stu.accession_number, out.stu.patient_age});

  out.ser = a.ser;
  out.ser.study_id = out.stu.id;
  std::tie(out.ser.id, out.series_added) = update_or_insert(
      db_,
      "UPDATE series SET series_description = $3, series_date = $4, modality = $5, "
      "protocol_name = $6, body_part_examined = $7, manufacturer = $8, station_name = $9, "
      "frame_of_reference_uid = $10 "
      "WHERE study_id = $1 AND series_instance_uid = $2 RETURNING id",
      "INSERT INTO series (study_id, series_instance_uid, series_description, series_date, "
      "modality, protocol_name, body_part_examined, manufacturer, station_name, "
      "frame_of_reference_uid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "ON CONFLICT (study_id, series_instance_uid) DO NOTHING RETURNING id",
      {out.ser.study_id, out.ser.series_instance_uid, out.ser.series_description,
       out.ser.series_date, out.ser.modality, out.ser.protocol_name, out.ser.body_part_examined,
       out.ser.manufacturer, out.ser.station_name, out.ser.frame_of_reference_uid});

  out.img = a.img;
  out.img.series_id = out.ser.id;
  // The image also needs its previous storage key, which an UPDATE cannot return in SQLite:
  // read it under a row lock (PostgreSQL; SQLite's writer holds the database lock anyway).
  const std::string select_image =
      std::string(
          "SELECT id, storage_key FROM images WHERE series_id = $1 AND "
          "sop_instance_uid = $2") +
      (db_.kind() == backend::postgres ? " FOR UPDATE" : "");
  for (int attempt = 0;; ++attempt) {
    auto inserted = db_.exec(
        "INSERT INTO images (series_id, sop_instance_uid, image_type, instance_number, "
        "storage_key) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (series_id, sop_instance_uid) DO NOTHING RETURNING id",
        {out.img.series_id, out.img.sop_instance_uid, out.img.image_type, out.img.instance_number,
         storage_key});
    if (!inserted.rows.empty()) {
      out.img.id = inserted.rows[0].int64(0);
      out.image_added = true;
      break;
    }
    auto existing = db_.exec(select_image, {out.img.series_id, out.img.sop_instance_uid});
    if (!existing.rows.empty()) {
      out.img.id = existing.rows[0].int64(0);
      auto previous = existing.rows[0].text(1);
      db_.exec(
          "UPDATE images SET image_type = $2, instance_number = $3, storage_key = $4 "
          "WHERE id = $1",
          {out.img.id, out.img.image_type, out.img.instance_number, storage_key});
      // The same key again means the same file: nothing was replaced.
      if (previous != storage_key) out.replaced_storage_key = previous;
      break;
    }
    if (attempt == 2) throw database_error(db_failure::other, "upsert kept racing with deletions");
  }

  db_.exec(
      "INSERT INTO series_sources (series_id, source_type, source_name, source_id) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (series_id) DO UPDATE SET "
      "source_type = excluded.source_type, source_name = excluded.source_name, "
      "source_id = excluded.source_id",
      {out.ser.id, source.type, source.name, source.id});
  return out;
}

// -----------------------------------------------------------------------------------------------
// Rows by id

std::optional<proto::patient> metadata_repo::patient(std::int64_t id) {
  auto res = db_.exec(std::string("SELECT ") + std::string(table_of(level::patient).columns) +
                          " FROM patients p WHERE p.id = $1",
                      {id});
  if (res.rows.empty()) return std::nullopt;
  return to_patient(res.rows[0]);
}

std::optional<proto::study> metadata_repo::study(std::int64_t id) {
  auto res = db_.exec(std::string("SELECT ") + std::string(table_of(level::study).columns) +
                          " FROM studies st WHERE st.id = $1",
                      {id});
  if (res.rows.empty()) return std::nullopt;
  return to_study(res.rows[0]);
}

std::optional<proto::series> metadata_repo::series(std::int64_t id) {
  auto res = db_.exec(std::string("SELECT ") + std::string(table_of(level::series).columns) +
                          " FROM series se WHERE se.id = $1",
                      {id});
  if (res.rows.empty()) return std::nullopt;
  return to_series(res.rows[0]);
}

std::optional<proto::image> metadata_repo::image(std::int64_t id) {
  auto res = db_.exec(std::string("SELECT ") + std::string(table_of(level::image).columns) +
                          " FROM images im WHERE im.id = $1",
                      {id});
  if (res.rows.empty()) return std::nullopt;
  return to_image(res.rows[0]);
}

std::optional<proto::flat_series> metadata_repo::flat_series(std::int64_t series_id) {
  auto res = db_.exec(std::string("SELECT ") + std::string(table_of(level::patient).columns) +
                          ", " + std::string(table_of(level::study).columns) + ", " +
                          std::string(table_of(level::series).columns) +
                          " FROM series se JOIN studies st ON st.id = se.study_id "
                          "JOIN patients p ON p.id = st.patient_id WHERE se.id = $1",
                      {series_id});
  if (res.rows.empty()) return std::nullopt;
  return to_flat_series(res.rows[0]);
}

std::optional<std::string> metadata_repo::storage_key(std::int64_t image_id) {
  auto res = db_.exec("SELECT storage_key FROM images WHERE id = $1", {image_id});
  if (res.rows.empty()) return std::nullopt;
  return res.rows[0].text(0);
}

std::vector<proto::image_location> metadata_repo::locations(
    const std::vector<std::int64_t>& image_ids) {
  std::unordered_map<std::int64_t, proto::image_location> found;
  statement st(db_.kind());
  auto sql =
      "SELECT i.id, p.id, p.patient_name, p.patient_id, st.id, st.study_date, se.id, "
      "se.series_date, se.modality, i.storage_key FROM images i "
      "JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id "
      "JOIN patients p ON p.id = st.patient_id WHERE " +
      in_list(st, "i.id", image_ids);
  for (const auto& r : db_.exec(sql, st.params()).rows)
    found[r.int64(0)] = {r.int64(0), r.int64(1), r.text(2), r.text(3), r.int64(4),
                         r.text(5),  r.int64(6), r.text(7), r.text(8), r.text(9)};
  std::vector<proto::image_location> out;
  out.reserve(image_ids.size());
  for (auto id : image_ids) {
    auto f = found.find(id);
    if (f == found.end()) break;
    out.push_back(f->second);
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// Listings

std::vector<proto::patient> metadata_repo::list_patients(const proto::listing& l) {
  statement st(db_.kind());
  select_plan plan;
  plan.result = level::patient;
  plan.start = l.start;
  plan.count = l.count;
  if (l.order) {
    plan.order = order_column(l.order->property, level::patient);
    plan.ascending = l.order->ascending;
  }
  if (!l.filter.empty())
    plan.conditions.push_back(
        {level::patient,
         any_contains(st,
                      {"p.patient_name", "p.patient_id", "p.patient_birth_date", "p.patient_sex"},
                      l.filter)});
  plan.filter = &l.series;
  auto sql = select_sql(st, plan);
  return all_of<proto::patient>(db_.exec(sql, st.params()), to_patient);
}

std::vector<proto::study> metadata_repo::list_studies(std::int64_t patient_id,
                                                      const proto::listing& l) {
  statement st(db_.kind());
  select_plan plan;
  plan.result = level::study;
  plan.start = l.start;
  plan.count = l.count;
  plan.conditions.push_back({level::study, "st.patient_id = " + st.bind(patient_id)});
  plan.filter = &l.series;
  auto sql = select_sql(st, plan);
  return all_of<proto::study>(db_.exec(sql, st.params()), to_study);
}

std::vector<proto::series> metadata_repo::list_series(std::int64_t study_id,
                                                      const proto::listing& l) {
  statement st(db_.kind());
  select_plan plan;
  plan.result = level::series;
  plan.start = l.start;
  plan.count = l.count;
  plan.conditions.push_back({level::series, "se.study_id = " + st.bind(study_id)});
  plan.filter = &l.series;
  auto sql = select_sql(st, plan);
  return all_of<proto::series>(db_.exec(sql, st.params()), to_series);
}

std::vector<proto::image> metadata_repo::list_images(std::int64_t series_id,
                                                     const proto::listing& l) {
  statement st(db_.kind());
  select_plan plan;
  plan.result = level::image;
  plan.start = l.start;
  plan.count = l.count;
  if (l.order) {
    plan.order = order_column(l.order->property, level::image);
    plan.ascending = l.order->ascending;
  }
  plan.conditions.push_back({level::image, "im.series_id = " + st.bind(series_id)});
  if (!l.filter.empty())
    plan.conditions.push_back(
        {level::image,
         any_contains(st, {"im.sop_instance_uid", "im.image_type", "im.instance_number"},
                      l.filter)});
  auto sql = select_sql(st, plan);
  return all_of<proto::image>(db_.exec(sql, st.params()), to_image);
}

std::vector<proto::flat_series> metadata_repo::list_flat_series(const proto::listing& l) {
  statement st(db_.kind());
  select_plan plan;
  plan.result = level::series;
  plan.flat = true;
  plan.start = l.start;
  plan.count = l.count;
  if (l.order) {
    plan.order = flat_order_column(l.order->property);
    plan.ascending = l.order->ascending;
  }
  // UIDs are not searched (docs/api.md#metadata).
  if (!l.filter.empty())
    plan.conditions.push_back(
        {level::series,
         any_contains(st,
                      {"CAST(se.id AS TEXT)", "p.patient_name", "p.patient_id",
                       "p.patient_birth_date", "p.patient_sex", "st.study_description",
                       "st.study_date", "st.study_id", "st.accession_number", "st.patient_age",
                       "se.series_description", "se.series_date", "se.modality", "se.protocol_name",
                       "se.body_part_examined", "se.manufacturer", "se.station_name"},
                      l.filter)});
  plan.filter = &l.series;
  auto sql = select_sql(st, plan);
  return all_flat(db_.exec(sql, st.params()));
}

// -----------------------------------------------------------------------------------------------
// Query bodies

std::vector<proto::patient> metadata_repo::query_patients(const proto::metadata_query& q) {
  statement st(db_.kind());
  auto sql = select_sql(st, query_plan(st, q, level::patient, false, level::series));
  return all_of<proto::patient>(db_.exec(sql, st.params()), to_patient);
}

std::vector<proto::study> metadata_repo::query_studies(const proto::metadata_query& q) {
  statement st(db_.kind());
  auto sql = select_sql(st, query_plan(st, q, level::study, false, level::series));
  return all_of<proto::study>(db_.exec(sql, st.params()), to_study);
}

std::vector<proto::series> metadata_repo::query_series(const proto::metadata_query& q) {
  statement st(db_.kind());
  auto sql = select_sql(st, query_plan(st, q, level::series, false, level::series));
  return all_of<proto::series>(db_.exec(sql, st.params()), to_series);
}

std::vector<proto::image> metadata_repo::query_images(const proto::metadata_query& q) {
  statement st(db_.kind());
  auto sql = select_sql(st, query_plan(st, q, level::image, false, level::image));
  return all_of<proto::image>(db_.exec(sql, st.params()), to_image);
}

std::vector<proto::flat_series> metadata_repo::query_flat_series(const proto::metadata_query& q) {
  statement st(db_.kind());
  auto sql = select_sql(st, query_plan(st, q, level::series, true, level::series));
  return all_flat(db_.exec(sql, st.params()));
}

// -----------------------------------------------------------------------------------------------
// Images of a patient or study

std::vector<proto::image> metadata_repo::images_of_patient(std::int64_t patient_id,
                                                           const proto::series_filter& f) {
  statement st(db_.kind());
  std::string sql = std::string("SELECT ") + std::string(table_of(level::image).columns) +
                    " FROM images im JOIN series se ON se.id = im.series_id "
                    "JOIN studies st ON st.id = se.study_id WHERE st.patient_id = " +
                    st.bind(patient_id);
  if (!f.empty()) sql += " AND " + series_filter_condition(st, f, "se.id");
  sql += " ORDER BY st.id, se.id, im.id";
  return all_of<proto::image>(db_.exec(sql, st.params()), to_image);
}

std::vector<proto::image> metadata_repo::images_of_study(std::int64_t study_id,
                                                         const proto::series_filter& f) {
  statement st(db_.kind());
  std::string sql = std::string("SELECT ") + std::string(table_of(level::image).columns) +
                    " FROM images im JOIN series se ON se.id = im.series_id "
                    "WHERE se.study_id = " +
                    st.bind(study_id);
  if (!f.empty()) sql += " AND " + series_filter_condition(st, f, "se.id");
  sql += " ORDER BY se.id, im.id";
  return all_of<proto::image>(db_.exec(sql, st.params()), to_image);
}

std::optional<proto::source> metadata_repo::series_source(std::int64_t series_id) {
  auto res = db_.exec(
      "SELECT source_type, source_name, source_id FROM series_sources WHERE series_id = $1",
      {series_id});
  if (res.rows.empty()) return std::nullopt;
  const auto& r = res.rows[0];
  return proto::source{r.text(0), r.text(1), r.int64(2)};
}

// -----------------------------------------------------------------------------------------------
// Series tags

namespace {

proto::series_tag to_tag(const row& r, std::size_t i = 0) { return {r.int64(i), r.text(i + 1)}; }

}  // namespace

std::vector<proto::series_tag> metadata_repo::list_series_tags(const proto::listing& l) {
  statement st(db_.kind());
  std::string sql = "SELECT id, name FROM series_tags";
  if (!l.filter.empty()) sql += " WHERE " + contains(st, "name", l.filter, /*ignore_case=*/false);
  // Only id and name are honoured; any other order is ignored
  // (GET /api/metadata/seriestags).
  const char* direction = !l.order || l.order->ascending ? " ASC" : " DESC";
  if (l.order && l.order->property == "name")
    sql += std::string(" ORDER BY name") + direction + ", id ASC";
  else if (l.order && l.order->property == "id")
    sql += std::string(" ORDER BY id") + direction;
  else
    sql += " ORDER BY id ASC";
  sql += " LIMIT " + st.bind(std::max<std::int64_t>(l.count, 0));
  sql += " OFFSET " + st.bind(std::max<std::int64_t>(l.start, 0));
  return all_of<proto::series_tag>(db_.exec(sql, st.params()), to_tag);
}

proto::series_tag metadata_repo::insert_series_tag(const std::string& name) {
  auto res = db_.exec("INSERT INTO series_tags (name) VALUES ($1) RETURNING id", {name});
  return {res.rows.at(0).int64(0), name};
}

std::optional<proto::series_tag> metadata_repo::series_tag(std::int64_t id) {
  auto res = db_.exec("SELECT id, name FROM series_tags WHERE id = $1", {id});
  if (res.rows.empty()) return std::nullopt;
  return to_tag(res.rows[0]);
}

bool metadata_repo::rename_series_tag(std::int64_t id, const std::string& name) {
  return db_.exec("UPDATE series_tags SET name = $2 WHERE id = $1", {id, name}).affected > 0;
}

void metadata_repo::delete_series_tag(std::int64_t id) {
  db_.exec("DELETE FROM series_tags WHERE id = $1", {id});
}

std::vector<proto::series_tag> metadata_repo::tags_of_series(std::int64_t series_id) {
  return all_of<proto::series_tag>(
      db_.exec("SELECT t.id, t.name FROM series_series_tags l "
               "JOIN series_tags t ON t.id = l.series_tag_id WHERE l.series_id = $1 ORDER BY t.id",
               {series_id}),
      to_tag);
}

std::optional<proto::series_tag> metadata_repo::add_tag_to_series(std::int64_t series_id,
                                                                  const std::string& name) {
  if (db_.exec("SELECT 1 FROM series WHERE id = $1", {series_id}).rows.empty()) return std::nullopt;
  // The unique index settles concurrent creations of the same name; a tag deleted between the
  // two statements is created again on the next round.
  for (int attempt = 0; attempt < 3; ++attempt) {
    db_.exec("INSERT INTO series_tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", {name});
    auto res = db_.exec("SELECT id, name FROM series_tags WHERE name = $1", {name});
    if (res.rows.empty()) continue;
    auto tag = to_tag(res.rows[0]);
    db_.exec(
        "INSERT INTO series_series_tags (series_id, series_tag_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING",
        {series_id, tag.id});
    return tag;
  }
  throw database_error(db_failure::other, "series tag kept vanishing: " + name);
}

void metadata_repo::remove_tag_from_series(std::int64_t series_id, std::int64_t tag_id) {
  db_.exec("DELETE FROM series_series_tags WHERE series_id = $1 AND series_tag_id = $2",
           {series_id, tag_id});
}

// -----------------------------------------------------------------------------------------------
// Deletion

namespace {

std::vector<std::int64_t> distinct(std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Deletes those of `ids` (rows of `l`) that have no children left; returns (id, parent id) of
// each deleted row. In PostgreSQL the candidates are locked first, so that an upsert adding a
// child concurrently either finishes before the emptiness check (which then sees the child) or
// waits and afterwards inserts a fresh parent.
std::vector<std::pair<std::int64_t, std::int64_t>> delete_if_empty(
    database& db, level l, const std::vector<std::int64_t>& ids) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (ids.empty()) return out;
  const auto& t = table_of(l);
  const auto& child = table_of(index_of(l) + 1);
  const std::string table(t.table);
  if (db.kind() == backend::postgres) {
    statement lock(db.kind());
    auto sql = "SELECT id FROM " + table + " WHERE " + in_list(lock, "id", ids) +
               " ORDER BY id FOR UPDATE";
    db.exec(sql, lock.params());
  }
  statement st(db.kind());
  const std::string parent = t.parent_column.empty() ? "id" : std::string(t.parent_column);
  auto sql = "DELETE FROM " + table + " WHERE " + in_list(st, "id", ids) +
             " AND NOT EXISTS (SELECT 1 FROM " + std::string(child.table) + " c WHERE c." +
             std::string(child.parent_column) + " = " + table + ".id) RETURNING id, " + parent;
  for (const auto& r : db.exec(sql, st.params()).rows) out.emplace_back(r.int64(0), r.int64(1));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

proto::deletion metadata_repo::delete_images(const std::vector<std::int64_t>& image_ids) {
  proto::deletion out;
  for (std::size_t begin = 0; begin < image_ids.size(); begin += delete_batch) {
    auto end = std::min(image_ids.size(), begin + delete_batch);
    std::vector<std::int64_t> batch(image_ids.begin() + static_cast<std::ptrdiff_t>(begin),
                                    image_ids.begin() + static_cast<std::ptrdiff_t>(end));

    statement st(db_.kind());
    auto sql = "DELETE FROM images WHERE " + in_list(st, "id", distinct(std::move(batch))) +
               " RETURNING id, series_id, storage_key";
    auto deleted = db_.exec(sql, st.params());
    if (deleted.rows.empty()) continue;

    std::vector<std::pair<std::int64_t, std::string>> images;
    std::vector<std::int64_t> series_ids;
    for (const auto& r : deleted.rows) {
      images.emplace_back(r.int64(0), r.text(2));
      series_ids.push_back(r.int64(1));
    }
    std::sort(images.begin(), images.end());
    for (auto& [id, key] : images) {
      out.image_ids.push_back(id);
      out.storage_keys.push_back(std::move(key));
    }

    std::vector<std::int64_t> study_ids;
    std::vector<std::int64_t> deleted_series;
    for (auto [id, study] : delete_if_empty(db_, level::series, distinct(series_ids))) {
      deleted_series.push_back(id);
      study_ids.push_back(study);
    }
    if (deleted_series.empty()) continue;
    out.series_ids.insert(out.series_ids.end(), deleted_series.begin(), deleted_series.end());
    // No foreign key there (docs/architecture.md#deletion); dropping the links now leaves none
    // dangling even if the MetaDataDeleted event is lost.
    {
      statement links(db_.kind());
      auto links_sql =
          "DELETE FROM series_series_types WHERE " + in_list(links, "series_id", deleted_series);
      db_.exec(links_sql, links.params());
    }

    std::vector<std::int64_t> patient_ids;
    for (auto [id, patient] : delete_if_empty(db_, level::study, distinct(study_ids))) {
      out.study_ids.push_back(id);
      patient_ids.push_back(patient);
    }
    for (auto [id, unused] : delete_if_empty(db_, level::patient, distinct(patient_ids)))
      out.patient_ids.push_back(id);
  }
  return out;
}

void metadata_repo::add_unflushed(const unflushed_file& f) {
  db_.exec(
      "INSERT INTO unflushed_files (storage_key, image_id, previous_key, bytes) "
      "VALUES ($1, $2, $3, $4)",
      {f.storage_key, f.image_id, f.previous_key, f.bytes});
}

void metadata_repo::remove_unflushed(const std::vector<std::string>& keys) {
  for (const auto& key : keys)
    db_.exec("DELETE FROM unflushed_files WHERE storage_key = $1", {key});
}

std::vector<unflushed_file> metadata_repo::unflushed_files() {
  std::vector<unflushed_file> out;
  for (const auto& r :
       db_.exec("SELECT storage_key, image_id, previous_key, bytes FROM unflushed_files "
                "ORDER BY id DESC")
           .rows)
    out.push_back({r.text(0), r.int64(1), r.text(2), r.int64(3)});
  return out;
}

proto::deletion metadata_repo::undo_upsert(const unflushed_file& f, bool restore) {
  if (storage_key(f.image_id) != f.storage_key) return {};
  if (!restore) return delete_images({f.image_id});
  db_.exec("UPDATE images SET storage_key = $2 WHERE id = $1", {f.image_id, f.previous_key});
  return {};
}

std::vector<std::string> metadata_repo::all_storage_keys() {
  std::vector<std::string> out;
  for (const auto& r : db_.exec("SELECT storage_key FROM images ORDER BY id").rows)
    out.push_back(r.text(0));
  return out;
}

}  // namespace sbx::persistence
