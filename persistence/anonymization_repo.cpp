// SPDX-License-Identifier: Apache-2.0
#include "persistence/anonymization_repo.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "persistence/statement.hpp"

namespace sbx::persistence {

using sql::never;
using sql::searchable;
using sql::statement;

namespace {

constexpr const char* key_columns =
    "k.id, k.created, k.image_id, k.patient_name, k.anon_patient_name, k.patient_id, "
    "k.anon_patient_id, k.study_instance_uid, k.anon_study_instance_uid, k.series_instance_uid, "
    "k.anon_series_instance_uid, k.sop_instance_uid, k.anon_sop_instance_uid";
constexpr std::size_t key_width = 13;

// API property names (the JSON field names of AnonymizationKey) and their columns.
// Only names found here ever reach SQL text.
struct property_column {
  std::string_view property;
  std::string_view column;
  bool integer = false;
};

constexpr property_column property_columns[] = {
    {"id", "k.id", true},
    {"created", "k.created", true},
    {"imageId", "k.image_id", true},
    {"patientName", "k.patient_name"},
    {"anonPatientName", "k.anon_patient_name"},
    {"patientID", "k.patient_id"},
    {"anonPatientID", "k.anon_patient_id"},
    {"studyInstanceUID", "k.study_instance_uid"},
    {"anonStudyInstanceUID", "k.anon_study_instance_uid"},
    {"seriesInstanceUID", "k.series_instance_uid"},
    {"anonSeriesInstanceUID", "k.anon_series_instance_uid"},
    {"sopInstanceUID", "k.sop_instance_uid"},
    {"anonSOPInstanceUID", "k.anon_sop_instance_uid"},
};

// The ten value columns the free-text filter searches.
constexpr std::string_view filter_columns[] = {
    "k.patient_name",         "k.anon_patient_name",        "k.patient_id",
    "k.anon_patient_id",      "k.study_instance_uid",       "k.anon_study_instance_uid",
    "k.series_instance_uid",  "k.anon_series_instance_uid", "k.sop_instance_uid",
    "k.anon_sop_instance_uid"};

const property_column& column_of(const std::string& property) {
  for (const auto& c : property_columns)
    if (c.property == property) return c;
  throw invalid_property(property);
}

proto::anonymization_key to_key(const row& r, std::size_t o = 0) {
  return {r.int64(o),     r.int64(o + 1), r.int64(o + 2), r.text(o + 3), r.text(o + 4),
          r.text(o + 5),  r.text(o + 6),  r.text(o + 7),  r.text(o + 8), r.text(o + 9),
          r.text(o + 10), r.text(o + 11), r.text(o + 12)};
}

proto::anonymization_key_value to_value(const row& r, std::size_t o = 0) {
  return {r.int64(o), r.int64(o + 1), r.text(o + 2), r.text(o + 3), r.text(o + 4)};
}

// PostgreSQL's LIKE treats a backslash as an escape; ESCAPE '' keeps values such as A\B intact
// (SQLite has no default escape character). The value's own % and _ stay wildcards.
std::string escape_clause(const statement& st) {
  return st.kind() == backend::postgres ? " ESCAPE ''" : "";
}

std::string property_condition(statement& st, const proto::query_property& q) {
  const auto& c = column_of(q.property);
  const std::string column(c.column);
  if (q.op == "=") {
    if (c.integer) {
      std::int64_t n = 0;
      const char* end = q.value.data() + q.value.size();
      auto [ptr, ec] = std::from_chars(q.value.data(), end, n);
      if (ec != std::errc() || ptr != end) return never;
      return column + " = " + st.bind(n);
    }
    if (!searchable(q.value)) return never;
    return column + " = " + st.bind(q.value);
  }
  if (q.op == "like") {
    if (!searchable(q.value)) return never;
    std::string lhs = c.integer ? "CAST(" + column + " AS TEXT)" : column;
    return lhs + " LIKE ('%' || CAST(" + st.bind(q.value) + " AS TEXT) || '%')" + escape_clause(st);
  }
  throw std::invalid_argument("Unsupported query operator " + q.op);
}

// Case-insensitive prefix of any of the ten value columns (GET /api/anonymization/keys?filter=).
std::string prefix_filter(statement& st, const std::string& v) {
  if (!searchable(v)) return never;
  std::string pattern = "(LOWER(CAST(" + st.bind(v) + " AS TEXT)) || '%')";
  std::string out;
  for (auto c : filter_columns) {
    if (!out.empty()) out += " OR ";
    out += "LOWER(" + std::string(c) + ") LIKE " + pattern + escape_clause(st);
  }
  return "(" + out + ")";
}

std::string order_clause(const std::optional<proto::order_by>& order) {
  if (!order) return " ORDER BY k.id";
  const auto& c = column_of(order->property);
  const char* dir = order->ascending ? " ASC" : " DESC";
  return " ORDER BY " + std::string(c.column) + dir + ", k.id" + dir;
}

std::vector<proto::anonymization_key> run_keys(database& db, statement& st,
                                               const std::vector<std::string>& conditions,
                                               const std::optional<proto::order_by>& order,
                                               std::int64_t start, std::int64_t count) {
  std::string sql = std::string("SELECT ") + key_columns + " FROM anonymization_keys k";
  for (std::size_t i = 0; i < conditions.size(); ++i)
    sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  sql += order_clause(order);
  // PostgreSQL rejects a negative LIMIT/OFFSET and SQLite reads a negative LIMIT as "no
  // limit"; the API accepts any int64 here (docs/api.md#quirks-kept), so clamp both to 0.
  sql += " LIMIT " + st.bind(std::max<std::int64_t>(count, 0));
  sql += " OFFSET " + st.bind(std::max<std::int64_t>(start, 0));
  const auto res = db.exec(sql, st.params());
  std::vector<proto::anonymization_key> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_key(r));
  return out;
}

// Ids per DELETE statement; each batch travels as one bound parameter.
constexpr std::size_t delete_batch = 500;

}  // namespace

proto::anonymization_key anonymization_repo::insert(
    const proto::anonymization_key& key,
    const std::vector<proto::anonymization_key_value>& values) {
  const auto res = db_.exec(
      "INSERT INTO anonymization_keys (created, image_id, patient_name, anon_patient_name, "
      "patient_id, anon_patient_id, study_instance_uid, anon_study_instance_uid, "
      "series_instance_uid, anon_series_instance_uid, sop_instance_uid, anon_sop_instance_uid) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
      {key.created, key.image_id, key.patient_name, key.anon_patient_name, key.patient_id,
       key.anon_patient_id, key.study_instance_uid, key.anon_study_instance_uid,
       key.series_instance_uid, key.anon_series_instance_uid, key.sop_instance_uid,
       key.anon_sop_instance_uid});
  auto out = key;
  out.id = res.rows.at(0).int64(0);
  for (const auto& v : values)
    db_.exec(
        "INSERT INTO anonymization_key_values (anonymization_key_id, tag_path, value, "
        "anonymized_value) VALUES ($1, $2, $3, $4)",
        {out.id, v.tag_path, v.value, v.anonymized_value});
  return out;
}

std::optional<proto::anonymization_key> anonymization_repo::by_id(std::int64_t id) {
  const auto res = db_.exec(
      std::string("SELECT ") + key_columns + " FROM anonymization_keys k WHERE k.id = $1", {id});
  if (res.rows.empty()) return std::nullopt;
  return to_key(res.rows.front());
}

std::vector<proto::anonymization_key> anonymization_repo::list(
    std::int64_t start, std::int64_t count, const std::optional<proto::order_by>& order,
    const std::string& filter) {
  statement st(db_.kind());
  std::vector<std::string> conditions;
  if (!filter.empty()) conditions.push_back(prefix_filter(st, filter));
  return run_keys(db_, st, conditions, order, start, count);
}

std::vector<proto::anonymization_key> anonymization_repo::query(
    std::int64_t start, std::int64_t count, const std::optional<proto::order_by>& order,
    const std::vector<proto::query_property>& properties) {
  statement st(db_.kind());
  std::vector<std::string> conditions;
  for (const auto& p : properties) conditions.push_back(property_condition(st, p));
  return run_keys(db_, st, conditions, order, start, count);
}

bool anonymization_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM anonymization_keys WHERE id = $1", {id}).affected > 0;
}

std::int64_t anonymization_repo::remove_for_images(const std::vector<std::int64_t>& image_ids) {
  std::int64_t removed = 0;
  for (std::size_t i = 0; i < image_ids.size(); i += delete_batch) {
    std::vector<std::int64_t> batch(image_ids.begin() + static_cast<std::ptrdiff_t>(i),
                                    image_ids.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                            i + delete_batch, image_ids.size())));
    statement st(db_.kind());
    std::string sql = "DELETE FROM anonymization_keys WHERE " + sql::in_list(st, "image_id", batch);
    removed += db_.exec(sql, st.params()).affected;
  }
  return removed;
}

std::vector<proto::anonymization_key_value> anonymization_repo::values_of(std::int64_t key_id) {
  const auto res = db_.exec(
      "SELECT id, anonymization_key_id, tag_path, value, anonymized_value "
      "FROM anonymization_key_values WHERE anonymization_key_id = $1 ORDER BY id",
      {key_id});
  std::vector<proto::anonymization_key_value> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(to_value(r));
  return out;
}

std::optional<key_match> anonymization_repo::best_match(const key_lookup& l, bool anonymous) {
  const std::string prefix = anonymous ? "anon_" : "";
  const std::string columns[] = {prefix + "patient_name", prefix + "patient_id",
                                 prefix + "study_instance_uid", prefix + "series_instance_uid",
                                 prefix + "sop_instance_uid"};
  const std::string* values[] = {&l.patient_name, &l.patient_id, &l.study_instance_uid,
                                 &l.series_instance_uid, &l.sop_instance_uid};
  // Stored text never contains a NUL or invalid UTF-8; such a value cannot match.
  std::size_t usable = 0;
  while (usable < 5 && searchable(*values[usable])) ++usable;
  // Image level compares all five columns, series four, study three, patient two.
  for (int lvl = static_cast<int>(key_level::image); lvl >= static_cast<int>(key_level::patient);
       --lvl) {
    const std::size_t n = static_cast<std::size_t>(lvl) + 2;
    if (n > usable) continue;
    std::string sql = std::string("SELECT ") + key_columns + " FROM anonymization_keys k WHERE ";
    std::vector<value> params;
    for (std::size_t i = 0; i < n; ++i) {
      params.emplace_back(*values[i]);
      if (i > 0) sql += " AND ";
      sql += "k." + columns[i] + " = $" + std::to_string(i + 1);
    }
    sql += " ORDER BY k.created DESC, k.id DESC LIMIT 1";
    const auto res = db_.exec(sql, params);
    if (!res.rows.empty()) return key_match{to_key(res.rows.front()), static_cast<key_level>(lvl)};
  }
  return std::nullopt;
}

std::optional<key_match> anonymization_repo::best_match_by_real(const key_lookup& real) {
  return best_match(real, /*anonymous=*/false);
}

std::optional<key_match> anonymization_repo::best_match_by_anon(const key_lookup& anon) {
  return best_match(anon, /*anonymous=*/true);
}

std::vector<key_export_row> anonymization_repo::export_rows() {
  const auto res =
      db_.exec(std::string("SELECT ") + key_columns +
               ", v.id, v.anonymization_key_id, v.tag_path, v.value, v.anonymized_value "
               "FROM anonymization_keys k LEFT JOIN anonymization_key_values v "
               "ON v.anonymization_key_id = k.id ORDER BY k.id, v.id");
  std::vector<key_export_row> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) {
    key_export_row e{to_key(r), std::nullopt};
    if (!r.is_null(key_width)) e.value = to_value(r, key_width);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sbx::persistence
