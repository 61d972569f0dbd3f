// SPDX-License-Identifier: Apache-2.0
#include "persistence/series_type_repo.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "persistence/statement.hpp"

namespace sbx::persistence {

using sql::in_list;
using sql::statement;

namespace {

constexpr const char* attribute_columns =
    "SELECT id, series_type_rule_id, tag, name, tag_path, name_path, attribute_values "
    "FROM series_type_rule_attributes ";

proto::series_type_rule_attribute to_attribute(const row& r) {
  proto::series_type_rule_attribute a{r.int64(0), r.int64(1), r.int64(2), r.text(3),
                                      {},         {},         r.text(6)};
  if (!r.is_null(4)) a.tag_path = r.text(4);
  if (!r.is_null(5)) a.name_path = r.text(5);
  return a;
}

value optional_text(const std::optional<std::string>& s) {
  if (s) return *s;
  return std::monostate{};
}

std::vector<proto::series_type> to_types(const result& res) {
  std::vector<proto::series_type> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back({r.int64(0), r.text(1)});
  return out;
}

/// Runs a write that names a taken series-type name; turns the unique violation into the
/// client's error.
template <class F>
auto with_unique_name(const std::string& name, F&& f) {
  try {
    return f();
  } catch (const database_error& e) {
    if (e.kind() != db_failure::unique_violation) throw;
    throw std::invalid_argument("A series type with name " + name + " already exists");
  }
}

}  // namespace

std::vector<proto::series_type> series_type_repo::list_types(std::int64_t start,
                                                             std::int64_t count) {
  return to_types(db_.exec("SELECT id, name FROM series_types ORDER BY id LIMIT $1 OFFSET $2",
                           {std::max<std::int64_t>(count, 0), std::max<std::int64_t>(start, 0)}));
}

std::optional<proto::series_type> series_type_repo::type(std::int64_t id) {
  auto types = to_types(db_.exec("SELECT id, name FROM series_types WHERE id = $1", {id}));
  if (types.empty()) return std::nullopt;
  return types.front();
}

proto::series_type series_type_repo::insert_type(const std::string& name) {
  return with_unique_name(name, [&] {
    auto res = db_.exec("INSERT INTO series_types (name) VALUES ($1) RETURNING id", {name});
    return proto::series_type{res.rows.at(0).int64(0), name};
  });
}

bool series_type_repo::rename_type(const proto::series_type& t) {
  return with_unique_name(t.name, [&] {
    return db_.exec("UPDATE series_types SET name = $2 WHERE id = $1", {t.id, t.name}).affected > 0;
  });
}

bool series_type_repo::remove_type(std::int64_t id) {
  return db_.exec("DELETE FROM series_types WHERE id = $1", {id}).affected > 0;
}

std::vector<proto::series_type_rule> series_type_repo::rules_of(std::int64_t type_id) {
  std::vector<proto::series_type_rule> out;
  for (const auto& r : db_.exec("SELECT id, series_type_id FROM series_type_rules "
                                "WHERE series_type_id = $1 ORDER BY id",
                                {type_id})
                           .rows)
    out.push_back({r.int64(0), r.int64(1)});
  return out;
}

proto::series_type_rule series_type_repo::insert_rule(std::int64_t type_id) {
  auto res = db_.exec(
      "INSERT INTO series_type_rules (series_type_id) SELECT id FROM series_types WHERE id = $1 "
      "RETURNING id",
      {type_id});
  if (res.rows.empty())
    throw std::invalid_argument("Series type " + std::to_string(type_id) + " does not exist");
  return {res.rows.front().int64(0), type_id};
}

bool series_type_repo::remove_rule(std::int64_t id) {
  return db_.exec("DELETE FROM series_type_rules WHERE id = $1", {id}).affected > 0;
}

std::vector<proto::series_type_rule_attribute> series_type_repo::attributes_of(
    std::int64_t rule_id) {
  std::vector<proto::series_type_rule_attribute> out;
  for (const auto& r :
       db_.exec(std::string(attribute_columns) + "WHERE series_type_rule_id = $1 ORDER BY id",
                {rule_id})
           .rows)
    out.push_back(to_attribute(r));
  return out;
}

proto::series_type_rule_attribute series_type_repo::insert_attribute(
    const proto::series_type_rule_attribute& a) {
  auto res = db_.exec(
      "INSERT INTO series_type_rule_attributes (series_type_rule_id, tag, name, tag_path, "
      "name_path, attribute_values) SELECT id, CAST($2 AS BIGINT), CAST($3 AS TEXT), "
      "CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT) FROM series_type_rules "
      "WHERE id = $1 RETURNING id",
      {a.rule_id, a.tag, a.name, optional_text(a.tag_path), optional_text(a.name_path), a.values});
  if (res.rows.empty())
    throw std::invalid_argument("Series type rule " + std::to_string(a.rule_id) +
                                " does not exist");
  auto out = a;
  out.id = res.rows.front().int64(0);
  return out;
}

bool series_type_repo::remove_attribute(std::int64_t id) {
  return db_.exec("DELETE FROM series_type_rule_attributes WHERE id = $1", {id}).affected > 0;
}

proto::series_type_rules series_type_repo::all_rules() {
  proto::series_type_rules out;
  std::map<std::int64_t, std::size_t> type_index;
  for (const auto& r : db_.exec("SELECT id FROM series_types ORDER BY id").rows) {
    type_index[r.int64(0)] = out.types.size();
    out.types.push_back({r.int64(0), {}});
  }
  std::map<std::int64_t, std::pair<std::size_t, std::size_t>> rule_index;  // type, rule
  for (const auto& r :
       db_.exec("SELECT id, series_type_id FROM series_type_rules ORDER BY id").rows) {
    auto t = type_index.find(r.int64(1));
    if (t == type_index.end()) continue;
    auto& rules = out.types[t->second].rules;
    rule_index[r.int64(0)] = {t->second, rules.size()};
    rules.emplace_back();
  }
  for (const auto& r : db_.exec(std::string(attribute_columns) + "ORDER BY id").rows) {
    auto a = to_attribute(r);
    auto at = rule_index.find(a.rule_id);
    if (at == rule_index.end()) continue;
    out.types[at->second.first].rules[at->second.second].attributes.push_back(std::move(a));
  }
  return out;
}

std::vector<proto::series_type> series_type_repo::types_of_series(std::int64_t series_id) {
  return to_types(
      db_.exec("SELECT t.id, t.name FROM series_series_types l JOIN series_types t "
               "ON t.id = l.series_type_id WHERE l.series_id = $1 ORDER BY t.id",
               {series_id}));
}

std::vector<proto::series_id_series_type> series_type_repo::links_of(
    const std::vector<std::int64_t>& series_ids) {
  statement st(db_.kind());
  auto sql =
      "SELECT l.series_id, t.id, t.name FROM series_series_types l JOIN series_types t "
      "ON t.id = l.series_type_id WHERE " +
      in_list(st, "l.series_id", series_ids) + " ORDER BY l.series_id, t.id";
  std::vector<proto::series_id_series_type> out;
  for (const auto& r : db_.exec(sql, st.params()).rows)
    out.push_back({r.int64(0), {r.int64(1), r.text(2)}});
  return out;
}

bool series_type_repo::link(std::int64_t series_id, std::int64_t type_id) {
  auto exists = db_.exec(
      "SELECT (SELECT COUNT(*) FROM series WHERE id = $1), "
      "(SELECT COUNT(*) FROM series_types WHERE id = $2)",
      {series_id, type_id});
  const auto& r = exists.rows.at(0);
  if (r.int64(0) == 0 || r.int64(1) == 0) return false;
  db_.exec(
      "INSERT INTO series_series_types (series_id, series_type_id) VALUES ($1, $2) "
      "ON CONFLICT (series_id, series_type_id) DO NOTHING",
      {series_id, type_id});
  return true;
}

void series_type_repo::unlink(std::int64_t series_id, std::int64_t type_id) {
  db_.exec("DELETE FROM series_series_types WHERE series_id = $1 AND series_type_id = $2",
           {series_id, type_id});
}

void series_type_repo::unlink_all(std::int64_t series_id) {
  db_.exec("DELETE FROM series_series_types WHERE series_id = $1", {series_id});
}

void series_type_repo::replace_links(
    const std::vector<std::int64_t>& series_ids,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& links,
    const std::vector<std::int64_t>& pending_done) {
  if (series_ids.empty() && pending_done.empty()) return;
  transaction tx(db_);
  if (!pending_done.empty()) {
    statement done(db_.kind());
    db_.exec("DELETE FROM series_type_pending WHERE " + in_list(done, "id", pending_done),
             done.params());
  }
  if (series_ids.empty()) return tx.commit();
  statement st(db_.kind());
  db_.exec("DELETE FROM series_series_types WHERE " + in_list(st, "series_id", series_ids),
           st.params());
  // A series deleted meanwhile gets no links (they have no foreign key to series).
  for (const auto& [series_id, type_id] : links)
    db_.exec(
        "INSERT INTO series_series_types (series_id, series_type_id) SELECT id, CAST($2 AS BIGINT) "
        "FROM series "
        "WHERE id = $1 AND EXISTS (SELECT 1 FROM series_types WHERE id = $2) "
        "ON CONFLICT (series_id, series_type_id) DO NOTHING",
        {series_id, type_id});
  tx.commit();
}

void series_type_repo::queue_series_of(const std::vector<std::int64_t>& image_ids) {
  constexpr std::size_t chunk = 500;  // bound parameters per statement
  for (std::size_t from = 0; from < image_ids.size(); from += chunk) {
    std::vector<std::int64_t> part(
        image_ids.begin() + static_cast<std::ptrdiff_t>(from),
        image_ids.begin() + static_cast<std::ptrdiff_t>(std::min(from + chunk, image_ids.size())));
    statement st(db_.kind());
    db_.exec(
        "INSERT INTO series_type_pending (series_id) SELECT DISTINCT i.series_id FROM images i "
        "WHERE " +
            in_list(st, "i.id", part) +
            " AND EXISTS (SELECT 1 FROM series_types) AND NOT EXISTS (SELECT 1 FROM "
            "series_type_pending p WHERE p.series_id = i.series_id) ORDER BY i.series_id",
        st.params());
  }
}

void series_type_repo::queue_all_series() {
  db_.exec("INSERT INTO series_type_pending (series_id) SELECT id FROM series ORDER BY id");
}

std::vector<std::pair<std::int64_t, std::int64_t>> series_type_repo::pending(std::int64_t limit) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& r :
       db_.exec("SELECT id, series_id FROM series_type_pending ORDER BY id LIMIT $1", {limit}).rows)
    out.emplace_back(r.int64(0), r.int64(1));
  return out;
}

bool series_type_repo::any_pending() {
  return !db_.exec("SELECT 1 FROM series_type_pending LIMIT 1").rows.empty();
}

std::int64_t series_type_repo::pending_series() {
  return db_.exec("SELECT COUNT(DISTINCT series_id) FROM series_type_pending").rows.at(0).int64(0);
}

std::vector<std::pair<std::int64_t, std::string>> series_type_repo::first_images(
    const std::vector<std::int64_t>& series_ids) {
  statement st(db_.kind());
  auto sql =
      "SELECT i.series_id, i.storage_key FROM images i WHERE i.id IN (SELECT MIN(id) FROM "
      "images WHERE " +
      in_list(st, "series_id", series_ids) + " GROUP BY series_id)";
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const auto& r : db_.exec(sql, st.params()).rows) out.emplace_back(r.int64(0), r.text(1));
  return out;
}

}  // namespace sbx::persistence
