// SPDX-License-Identifier: Apache-2.0
#include "persistence/tag_filter_repo.hpp"

#include <stdexcept>

#include "persistence/statement.hpp"

namespace sbx::persistence {

namespace {

/// Runs a paged SELECT (`sql` ends with `LIMIT $n OFFSET $n+1`, after `params`) and converts
/// each row. PostgreSQL rejects a negative LIMIT and SQLite reads it as "no limit": both are
/// treated as an empty page.
template <class T, class F>
std::vector<T> page(database& db, const std::string& sql, std::vector<value> params,
                    std::int64_t start, std::int64_t count, F&& convert) {
  if (start < 0 || count < 0) return {};
  params.emplace_back(count);
  params.emplace_back(start);
  const auto res = db.exec(sql, params);
  std::vector<T> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(convert(r));
  return out;
}

proto::tag_filter_type type_of(const std::string& text) {
  return proto::parse_tag_filter_type(text).value_or(proto::tag_filter_type::whitelist);
}

std::string text_of(proto::tag_filter_type t) { return std::string(proto::to_string(t)); }

/// Text no column can hold (PostgreSQL refuses NUL and invalid UTF-8) is the client's mistake.
const std::string& storable(const std::string& text, const char* what) {
  if (!sql::searchable(text))
    throw std::invalid_argument(std::string(what) + " must be UTF-8 text without NUL characters");
  return text;
}

}  // namespace

std::vector<proto::tag_filter> tag_filter_repo::filters(std::int64_t start, std::int64_t count) {
  return page<proto::tag_filter>(
      db_, "SELECT id, name, tag_filter_type FROM tag_filters ORDER BY id LIMIT $1 OFFSET $2", {},
      start, count, [](const row& r) {
        return proto::tag_filter{r.int64(0), r.text(1), type_of(r.text(2))};
      });
}

proto::tag_filter tag_filter_repo::insert_filter(const proto::tag_filter& f) {
  const auto res =
      db_.exec("INSERT INTO tag_filters (name, tag_filter_type) VALUES ($1, $2) RETURNING id",
               {storable(f.name, "name"), text_of(f.type)});
  auto out = f;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool tag_filter_repo::remove_filter(std::int64_t id) {
  return db_.exec("DELETE FROM tag_filters WHERE id = $1", {id}).affected > 0;
}

std::vector<stored_tag_path> tag_filter_repo::tag_paths(std::int64_t filter_id, std::int64_t start,
                                                        std::int64_t count) {
  return page<stored_tag_path>(
      db_,
      "SELECT id, tag_filter_id, tag_path FROM tag_filter_tag_paths WHERE tag_filter_id = $1 "
      "ORDER BY id LIMIT $2 OFFSET $3",
      {filter_id}, start, count, [](const row& r) {
        return stored_tag_path{r.int64(0), r.int64(1), r.text(2)};
      });
}

stored_tag_path tag_filter_repo::insert_tag_path(const stored_tag_path& p) {
  const auto res = db_.exec(
      "INSERT INTO tag_filter_tag_paths (tag_filter_id, tag_path) VALUES ($1, $2) RETURNING id",
      {p.tag_filter_id, p.tree});
  auto out = p;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool tag_filter_repo::remove_tag_path(std::int64_t id) {
  return db_.exec("DELETE FROM tag_filter_tag_paths WHERE id = $1", {id}).affected > 0;
}

std::vector<proto::source_tag_filter> tag_filter_repo::associations(std::int64_t start,
                                                                    std::int64_t count) {
  return page<proto::source_tag_filter>(
      db_,
      "SELECT id, source_type, source_name, source_id, tag_filter_id, tag_filter_name "
      "FROM source_tag_filters ORDER BY id LIMIT $1 OFFSET $2",
      {}, start, count, [](const row& r) {
        return proto::source_tag_filter{r.int64(0), r.text(1),  r.text(2),
                                        r.int64(3), r.int64(4), r.text(5)};
      });
}

proto::source_tag_filter tag_filter_repo::insert_association(const proto::source_tag_filter& a) {
  const auto res = db_.exec(
      "INSERT INTO source_tag_filters (source_type, source_name, source_id, tag_filter_id, "
      "tag_filter_name) VALUES ($1, $2, $3, $4, $5) RETURNING id",
      {storable(a.source_type, "sourceType"), storable(a.source_name, "sourceName"), a.source_id,
       a.tag_filter_id, storable(a.tag_filter_name, "tagFilterName")});
  auto out = a;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool tag_filter_repo::remove_association(std::int64_t id) {
  return db_.exec("DELETE FROM source_tag_filters WHERE id = $1", {id}).affected > 0;
}

std::int64_t tag_filter_repo::remove_associations_of(const std::string& source_type,
                                                     std::int64_t source_id) {
  return db_
      .exec("DELETE FROM source_tag_filters WHERE source_type = $1 AND source_id = $2",
            {source_type, source_id})
      .affected;
}

std::vector<source_filter_tree> tag_filter_repo::source_filter_trees() {
  const auto res = db_.exec(
      "SELECT a.source_type, a.source_id, f.tag_filter_type, p.tag_path "
      "FROM source_tag_filters a JOIN tag_filters f ON f.id = a.tag_filter_id "
      "JOIN tag_filter_tag_paths p ON p.tag_filter_id = f.id ORDER BY a.id, p.id");
  std::vector<source_filter_tree> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows)
    out.push_back({r.text(0), r.int64(1), type_of(r.text(2)), r.text(3)});
  return out;
}

}  // namespace sbx::persistence
