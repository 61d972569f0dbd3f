// SPDX-License-Identifier: Apache-2.0
#include "persistence/box_repo.hpp"

#include <algorithm>

#include "persistence/statement.hpp"

namespace sbx::persistence {

namespace {

constexpr const char* box_columns =
    "SELECT id, name, token, base_url, send_method, default_profile, online FROM boxes ";

constexpr const char* outgoing_columns =
    "SELECT t.id, t.box_id, t.box_name, t.profile, t.sent_image_count, t.total_image_count, "
    "t.created, t.updated, t.status, t.skipped_image_count, t.last_error, t.last_contact "
    "FROM outgoing_transactions t ";

constexpr const char* incoming_columns =
    "SELECT id, box_id, box_name, outgoing_transaction_id, received_image_count, "
    "added_image_count, total_image_count, created, updated, status, last_error "
    "FROM incoming_transactions ";

std::vector<proto::confidentiality_option_info> names_of(const std::string& csv) {
  std::vector<proto::confidentiality_option_info> out;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto end = csv.find(',', start);
    if (end == std::string::npos) end = csv.size();
    if (end > start) out.push_back({csv.substr(start, end - start), {}, {}, 0});
    start = end + 1;
  }
  return out;
}

std::string csv_of(const std::vector<std::string>& names) { return sql::join(names, ","); }

std::string csv_of(const std::vector<proto::confidentiality_option_info>& options) {
  std::vector<std::string> names;
  for (const auto& o : options) names.push_back(o.name);
  return csv_of(names);
}

proto::box to_box(const row& r) {
  return {r.int64(0), r.text(1),           r.text(2),      r.text(3),
          r.text(4),  names_of(r.text(5)), r.int64(6) != 0};
}

/// An outgoing transaction from the first 12 columns of `r`, starting at `at`.
proto::outgoing_transaction to_outgoing(const row& r, std::size_t at = 0) {
  proto::outgoing_transaction t;
  t.id = r.int64(at);
  t.box_id = r.int64(at + 1);
  t.box_name = r.text(at + 2);
  t.profile = names_of(r.text(at + 3));
  t.sent_image_count = r.int64(at + 4);
  t.total_image_count = r.int64(at + 5);
  t.created = r.int64(at + 6);
  t.updated = r.int64(at + 7);
  t.status = r.text(at + 8);
  t.skipped_image_count = r.int64(at + 9);
  t.last_error = r.text(at + 10);
  t.last_contact = r.int64(at + 11);
  return t;
}

proto::outgoing_image to_outgoing_image(const row& r, std::size_t at = 0) {
  return {r.int64(at), r.int64(at + 1), r.int64(at + 2), r.int64(at + 3), r.int64(at + 4) != 0};
}

proto::incoming_transaction to_incoming(const row& r) {
  proto::incoming_transaction t;
  t.id = r.int64(0);
  t.box_id = r.int64(1);
  t.box_name = r.text(2);
  t.outgoing_transaction_id = r.int64(3);
  t.received_image_count = r.int64(4);
  t.added_image_count = r.int64(5);
  t.total_image_count = r.int64(6);
  t.created = r.int64(7);
  t.updated = r.int64(8);
  t.status = r.text(9);
  t.last_error = r.text(10);
  return t;
}

template <class T, class F>
std::vector<T> all(const result& res, F convert) {
  std::vector<T> out;
  out.reserve(res.rows.size());
  for (const auto& r : res.rows) out.push_back(convert(r));
  return out;
}

std::optional<proto::box> first_box(const result& res) {
  if (res.rows.empty()) return std::nullopt;
  return to_box(res.rows.front());
}

std::int64_t page_count(std::int64_t count) { return std::max<std::int64_t>(count, 0); }
std::int64_t page_start(std::int64_t start) { return std::max<std::int64_t>(start, 0); }

constexpr const char* outgoing_image_columns =
    "i.id, i.outgoing_transaction_id, i.image_id, i.sequence_number, i.sent ";

/// An outgoing image (columns 0-4) with its transaction (columns 5-16).
constexpr const char* transaction_image_select =
    "SELECT i.id, i.outgoing_transaction_id, i.image_id, i.sequence_number, i.sent, "
    "t.id, t.box_id, t.box_name, t.profile, t.sent_image_count, t.total_image_count, "
    "t.created, t.updated, t.status, t.skipped_image_count, t.last_error, t.last_contact "
    "FROM outgoing_transactions t JOIN outgoing_images i ON i.outgoing_transaction_id = t.id ";

/// Recounts a transaction from its image rows; WAITING becomes PROCESSING.
void recount_outgoing(database& db, std::int64_t transaction_id, std::int64_t now) {
  db.exec(
      "UPDATE outgoing_transactions SET "
      "sent_image_count = (SELECT COUNT(*) FROM outgoing_images WHERE outgoing_transaction_id = $1 "
      "AND sent = 1), "
      "skipped_image_count = (SELECT COUNT(*) FROM outgoing_images WHERE "
      "outgoing_transaction_id = $1 AND skipped = 1 AND sent = 0), "
      "updated = $2, last_contact = $2, "
      "status = CASE WHEN status = 'WAITING' THEN 'PROCESSING' ELSE status END "
      "WHERE id = $1",
      {transaction_id, now});
}

}  // namespace

std::vector<proto::box> box_repo::list(std::int64_t start, std::int64_t count) {
  return all<proto::box>(db_.exec(std::string(box_columns) + "ORDER BY id LIMIT $1 OFFSET $2",
                                  {page_count(count), page_start(start)}),
                         to_box);
}

std::optional<proto::box> box_repo::by_id(std::int64_t id) {
  return first_box(db_.exec(std::string(box_columns) + "WHERE id = $1", {id}));
}

std::optional<proto::box> box_repo::by_name(const std::string& name) {
  return first_box(db_.exec(std::string(box_columns) + "WHERE name = $1", {name}));
}

std::optional<proto::box> box_repo::poll_box_by_token(const std::string& token) {
  return first_box(db_.exec(
      std::string(box_columns) + "WHERE token = $1 AND send_method = 'POLL' ORDER BY id LIMIT 1",
      {token}));
}

proto::box box_repo::insert(const proto::box& b) {
  const auto res = db_.exec(
      "INSERT INTO boxes (name, token, base_url, send_method, default_profile, online) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      {b.name, b.token, b.base_url, b.send_method, csv_of(b.default_profile),
       std::int64_t{b.online}});
  auto out = b;
  out.id = res.rows.at(0).int64(0);
  return out;
}

bool box_repo::remove(std::int64_t id) {
  return db_.exec("DELETE FROM boxes WHERE id = $1", {id}).affected > 0;
}

void box_repo::set_online(std::int64_t id, bool online) {
  db_.exec("UPDATE boxes SET online = $2 WHERE id = $1 AND online <> $2",
           {id, std::int64_t{online}});
}

void box_repo::touch(std::int64_t id, std::int64_t now) {
  db_.exec("UPDATE boxes SET online = 1, last_contact = $2 WHERE id = $1", {id, now});
}

void box_repo::mark_offline(std::int64_t before) {
  db_.exec(
      "UPDATE boxes SET online = 0 WHERE online = 1 AND send_method = 'POLL' AND "
      "last_contact < $1",
      {before});
}

proto::outgoing_transaction box_repo::insert_outgoing(
    const proto::box& b, const std::vector<std::string>& profile,
    const std::vector<outgoing_request_image>& images, std::int64_t now) {
  transaction tx(db_);
  proto::outgoing_transaction t;
  t.box_id = b.id;
  t.box_name = b.name;
  for (const auto& name : profile) t.profile.push_back({name, {}, {}, 0});
  t.total_image_count = static_cast<std::int64_t>(images.size());
  t.created = t.updated = now;
  t.id = db_.exec(
                "INSERT INTO outgoing_transactions (box_id, box_name, profile, total_image_count, "
                "created, updated, status) VALUES ($1, $2, $3, $4, $5, $5, 'WAITING') RETURNING id",
                {b.id, b.name, csv_of(profile), t.total_image_count, now})
             .rows.at(0)
             .int64(0);
  std::int64_t sequence = 0;
  for (const auto& image : images) {
    const auto row_id =
        db_.exec(
               "INSERT INTO outgoing_images (outgoing_transaction_id, image_id, sequence_number) "
               "VALUES ($1, $2, $3) RETURNING id",
               {t.id, image.image_id, ++sequence})
            .rows.at(0)
            .int64(0);
    for (const auto& [path, value] : image.tag_values)
      db_.exec(
          "INSERT INTO outgoing_tag_values (outgoing_image_id, tag_path, value) VALUES ($1, $2, "
          "$3)",
          {row_id, path, value});
  }
  tx.commit();
  return t;
}

std::vector<proto::outgoing_transaction> box_repo::list_outgoing(std::int64_t start,
                                                                 std::int64_t count) {
  return all<proto::outgoing_transaction>(
      db_.exec(
          std::string(outgoing_columns) + "ORDER BY t.updated DESC, t.id DESC LIMIT $1 OFFSET $2",
          {page_count(count), page_start(start)}),
      [](const row& r) { return to_outgoing(r); });
}

std::optional<proto::outgoing_transaction> box_repo::outgoing_by_id(std::int64_t id) {
  auto res = db_.exec(std::string(outgoing_columns) + "WHERE t.id = $1", {id});
  if (res.rows.empty()) return std::nullopt;
  return to_outgoing(res.rows.front());
}

bool box_repo::remove_outgoing(std::int64_t id) {
  return db_.exec("DELETE FROM outgoing_transactions WHERE id = $1", {id}).affected > 0;
}

std::vector<proto::outgoing_image> box_repo::outgoing_images(std::int64_t transaction_id) {
  return all<proto::outgoing_image>(
      db_.exec(std::string("SELECT ") + outgoing_image_columns +
                   "FROM outgoing_images i WHERE i.outgoing_transaction_id = $1 "
                   "ORDER BY i.sequence_number",
               {transaction_id}),
      [](const row& r) { return to_outgoing_image(r); });
}

std::vector<std::int64_t> box_repo::sent_image_ids(std::int64_t transaction_id) {
  return all<std::int64_t>(
      db_.exec("SELECT image_id FROM outgoing_images WHERE outgoing_transaction_id = $1 AND "
               "sent = 1 ORDER BY sequence_number",
               {transaction_id}),
      [](const row& r) { return r.int64(0); });
}

std::vector<proto::outgoing_transaction_image> box_repo::pending(std::int64_t box_id,
                                                                 std::int64_t n, std::int64_t now) {
  auto res = db_.exec(
      std::string(transaction_image_select) +
          "WHERE t.box_id = $1 AND t.status IN ('WAITING', 'PROCESSING') AND i.sent = 0 AND "
          "i.skipped = 0 AND i.next_attempt <= $3 "
          "ORDER BY t.created, t.id, i.sequence_number LIMIT $2",
      {box_id, page_count(n), now});
  return all<proto::outgoing_transaction_image>(res, [](const row& r) {
    return proto::outgoing_transaction_image{to_outgoing(r, 5), to_outgoing_image(r, 0)};
  });
}

std::optional<proto::outgoing_transaction_image> box_repo::outgoing_image(
    std::int64_t box_id, std::int64_t transaction_id, std::int64_t image_row_id) {
  auto res = db_.exec(
      std::string(transaction_image_select) + "WHERE t.box_id = $1 AND t.id = $2 AND i.id = $3",
      {box_id, transaction_id, image_row_id});
  if (res.rows.empty()) return std::nullopt;
  const auto& r = res.rows.front();
  return proto::outgoing_transaction_image{to_outgoing(r, 5), to_outgoing_image(r, 0)};
}

std::vector<std::pair<std::string, std::string>> box_repo::tag_values(std::int64_t image_row_id) {
  return all<std::pair<std::string, std::string>>(
      db_.exec("SELECT tag_path, value FROM outgoing_tag_values WHERE outgoing_image_id = $1 "
               "ORDER BY id",
               {image_row_id}),
      [](const row& r) {
        return std::pair{r.text(0), r.text(1)};
      });
}

bool box_repo::mark_sent(std::int64_t transaction_id, std::int64_t image_row_id, std::int64_t now) {
  transaction tx(db_);
  const auto changed = db_.exec(
                              "UPDATE outgoing_images SET sent = 1, last_error = '' WHERE id = $1 "
                              "AND outgoing_transaction_id = $2 AND sent = 0",
                              {image_row_id, transaction_id})
                           .affected > 0;
  if (changed) recount_outgoing(db_, transaction_id, now);
  tx.commit();
  return changed;
}

std::vector<std::int64_t> box_repo::mark_sent(
    const std::vector<std::pair<std::int64_t, std::int64_t>>& images, std::int64_t now) {
  std::vector<std::int64_t> changed;
  if (images.empty()) return changed;
  transaction tx(db_);
  for (const auto& [transaction_id, image_row_id] : images) {
    const bool now_sent =
        db_.exec(
               "UPDATE outgoing_images SET sent = 1, last_error = '' WHERE id = $1 "
               "AND outgoing_transaction_id = $2 AND sent = 0",
               {image_row_id, transaction_id})
            .affected > 0;
    if (now_sent && std::find(changed.begin(), changed.end(), transaction_id) == changed.end())
      changed.push_back(transaction_id);
  }
  for (const auto id : changed) recount_outgoing(db_, id, now);
  tx.commit();
  return changed;
}

send_failure box_repo::record_failure(std::int64_t transaction_id, std::int64_t image_row_id,
                                      const std::string& error, std::int64_t backoff,
                                      std::int64_t max_backoff, std::int64_t max_attempts,
                                      std::int64_t now) {
  transaction tx(db_);
  send_failure out;
  auto res = db_.exec(
      "SELECT attempts FROM outgoing_images WHERE id = $1 AND outgoing_transaction_id = $2 AND "
      "sent = 0",
      {image_row_id, transaction_id});
  if (res.rows.empty()) return out;
  out.attempts = res.rows.front().int64(0) + 1;
  out.skipped = out.attempts >= max_attempts;
  std::int64_t wait = std::max<std::int64_t>(backoff, 1);
  for (std::int64_t i = 1; i < out.attempts && wait < max_backoff; ++i) wait *= 2;
  db_.exec(
      "UPDATE outgoing_images SET attempts = $2, next_attempt = $3, last_error = $4, skipped = $5 "
      "WHERE id = $1",
      {image_row_id, out.attempts, now + std::min(wait, max_backoff), error,
       std::int64_t{out.skipped}});
  db_.exec("UPDATE outgoing_transactions SET last_error = $2, updated = $3 WHERE id = $1",
           {transaction_id, error, now});
  if (out.skipped) recount_outgoing(db_, transaction_id, now);
  tx.commit();
  return out;
}

bool box_repo::finish_if_complete(std::int64_t transaction_id, std::int64_t now) {
  return db_.exec(
                "UPDATE outgoing_transactions SET status = 'FINISHED', updated = $2 "
                "WHERE id = $1 AND status IN ('WAITING', 'PROCESSING') AND total_image_count > 0 "
                "AND sent_image_count + skipped_image_count >= total_image_count",
                {transaction_id, now})
             .affected > 0;
}

bool box_repo::fail_outgoing(std::int64_t box_id, std::int64_t transaction_id,
                             const std::string& message, std::int64_t now) {
  return db_.exec(
                "UPDATE outgoing_transactions SET status = 'FAILED', last_error = $3, updated = $4 "
                "WHERE id = $1 AND box_id = $2 AND status IN ('WAITING', 'PROCESSING')",
                {transaction_id, box_id, message, now})
             .affected > 0;
}

void box_repo::note_outgoing_error(std::int64_t box_id, const std::string& error,
                                   std::int64_t now) {
  db_.exec(
      "UPDATE outgoing_transactions SET last_error = $2, updated = $3 WHERE box_id = $1 AND "
      "status IN ('WAITING', 'PROCESSING') AND last_error <> $2",
      {box_id, error, now});
}

proto::incoming_transaction box_repo::record_incoming(const incoming_delivery& d,
                                                      std::int64_t now) {
  transaction tx(db_);
  auto out = record_one(d, now);
  tx.commit();
  return out;
}

std::vector<proto::incoming_transaction> box_repo::record_incoming(
    const std::vector<incoming_delivery>& deliveries, std::int64_t now) {
  std::vector<proto::incoming_transaction> out;
  if (deliveries.empty()) return out;
  transaction tx(db_);
  for (const auto& d : deliveries) out.push_back(record_one(d, now));
  tx.commit();
  return out;
}

proto::incoming_transaction box_repo::record_one(const incoming_delivery& d, std::int64_t now) {
  db_.exec(
      "INSERT INTO incoming_transactions (box_id, box_name, outgoing_transaction_id, "
      "total_image_count, created, updated, status) VALUES ($1, $2, $3, $4, $5, $5, 'WAITING') "
      "ON CONFLICT (box_id, outgoing_transaction_id) DO NOTHING",
      {d.box_id, d.box_name, d.transaction_id, d.total_image_count, now});
  const auto id = db_.exec(
                         "SELECT id FROM incoming_transactions WHERE box_id = $1 AND "
                         "outgoing_transaction_id = $2",
                         {d.box_id, d.transaction_id})
                      .rows.at(0)
                      .int64(0);
  const value image = d.image_id ? value{*d.image_id} : value{};
  auto existing = db_.exec(
      "SELECT id, image_id FROM incoming_images WHERE incoming_transaction_id = $1 AND "
      "sequence_number = $2",
      {id, d.sequence_number});
  if (existing.rows.empty()) {
    db_.exec(
        "INSERT INTO incoming_images (incoming_transaction_id, image_id, sequence_number, "
        "overwrite) VALUES ($1, $2, $3, $4)",
        {id, image, d.sequence_number, std::int64_t{d.image_id && !d.added}});
  } else if (d.image_id && existing.rows.front().is_null(1)) {
    // A delivery that was rejected before and now arrived whole.
    db_.exec("UPDATE incoming_images SET image_id = $2, overwrite = $3 WHERE id = $1",
             {existing.rows.front().int64(0), image, std::int64_t{!d.added}});
  }
  db_.exec(
      "UPDATE incoming_transactions SET total_image_count = $2, updated = $3, "
      "received_image_count = (SELECT COUNT(*) FROM incoming_images WHERE "
      "incoming_transaction_id = $1), "
      "added_image_count = (SELECT COUNT(*) FROM incoming_images WHERE incoming_transaction_id = "
      "$1 AND image_id IS NOT NULL AND overwrite = 0), "
      "last_error = CASE WHEN $4 = '' THEN last_error ELSE $4 END WHERE id = $1",
      {id, d.total_image_count, now, d.error});
  db_.exec(
      "UPDATE incoming_transactions SET status = CASE WHEN received_image_count >= "
      "total_image_count THEN 'FINISHED' ELSE 'PROCESSING' END WHERE id = $1 AND status <> "
      "'FAILED'",
      {id});
  return to_incoming(db_.exec(std::string(incoming_columns) + "WHERE id = $1", {id}).rows.at(0));
}

std::vector<proto::incoming_transaction> box_repo::list_incoming(std::int64_t start,
                                                                 std::int64_t count) {
  return all<proto::incoming_transaction>(
      db_.exec(std::string(incoming_columns) + "ORDER BY updated DESC, id DESC LIMIT $1 OFFSET $2",
               {page_count(count), page_start(start)}),
      to_incoming);
}

std::vector<proto::box_queue> box_repo::queues() {
  auto res = db_.exec(
      "SELECT 'outgoing', status, COUNT(*), "
      "COALESCE(SUM(total_image_count - sent_image_count - skipped_image_count), 0) "
      "FROM outgoing_transactions GROUP BY status "
      "UNION ALL SELECT 'incoming', status, COUNT(*), "
      "COALESCE(SUM(total_image_count - received_image_count), 0) "
      "FROM incoming_transactions GROUP BY status ORDER BY 1, 2",
      {});
  std::vector<proto::box_queue> out;
  for (const auto& row : res.rows)
    out.push_back(
        {row.text(0), row.text(1), row.int64(2), std::max<std::int64_t>(0, row.int64(3))});
  return out;
}

std::optional<proto::incoming_transaction> box_repo::incoming_of(std::int64_t box_id,
                                                                 std::int64_t transaction_id) {
  auto res =
      db_.exec(std::string(incoming_columns) + "WHERE box_id = $1 AND outgoing_transaction_id = $2",
               {box_id, transaction_id});
  if (res.rows.empty()) return std::nullopt;
  return to_incoming(res.rows.front());
}

bool box_repo::set_incoming_status(std::int64_t box_id, std::int64_t transaction_id,
                                   const std::string& status, std::int64_t now) {
  return db_.exec(
                "UPDATE incoming_transactions SET status = $3, updated = $4, "
                "received_image_count = CASE WHEN $3 = 'FINISHED' THEN total_image_count ELSE "
                "received_image_count END WHERE box_id = $1 AND outgoing_transaction_id = $2",
                {box_id, transaction_id, status, now})
             .affected > 0;
}

bool box_repo::remove_incoming(std::int64_t id) {
  return db_.exec("DELETE FROM incoming_transactions WHERE id = $1", {id}).affected > 0;
}

std::vector<std::int64_t> box_repo::incoming_image_ids(std::int64_t transaction_id) {
  return all<std::int64_t>(
      db_.exec("SELECT image_id FROM incoming_images WHERE incoming_transaction_id = $1 AND "
               "image_id IS NOT NULL ORDER BY id",
               {transaction_id}),
      [](const row& r) { return r.int64(0); });
}

std::int64_t box_repo::reset_stale(std::int64_t before) {
  std::int64_t n = 0;
  for (const char* table : {"outgoing_transactions", "incoming_transactions"})
    n += db_.exec(std::string("UPDATE ") + table +
                      " SET status = 'WAITING' WHERE status = 'PROCESSING' AND updated < $1",
                  {before})
             .affected;
  return n;
}

std::vector<std::int64_t> box_repo::remove_images(const std::vector<std::int64_t>& image_ids,
                                                  std::int64_t now) {
  std::vector<std::int64_t> touched;
  if (image_ids.empty()) return touched;
  transaction tx(db_);
  {
    sql::statement st(db_.kind());
    auto where = sql::in_list(st, "image_id", image_ids);
    touched = all<std::int64_t>(
        db_.exec("SELECT DISTINCT outgoing_transaction_id FROM outgoing_images WHERE sent = 0 "
                 "AND skipped = 0 AND " +
                     where,
                 st.params()),
        [](const row& r) { return r.int64(0); });
  }
  {
    sql::statement st(db_.kind());
    auto where = sql::in_list(st, "image_id", image_ids);
    db_.exec(
        "UPDATE outgoing_images SET skipped = 1, last_error = 'the image was deleted' "
        "WHERE sent = 0 AND " +
            where,
        st.params());
  }
  for (const char* sql :
       {"DELETE FROM outgoing_images WHERE sent = 1 AND ", "DELETE FROM incoming_images WHERE "}) {
    sql::statement st(db_.kind());
    auto where = sql::in_list(st, "image_id", image_ids);
    db_.exec(std::string(sql) + where, st.params());
  }
  for (auto id : touched) {
    recount_outgoing(db_, id, now);
    db_.exec("UPDATE outgoing_transactions SET last_error = 'an image was deleted' WHERE id = $1",
             {id});
  }
  tx.commit();
  return touched;
}

}  // namespace sbx::persistence
