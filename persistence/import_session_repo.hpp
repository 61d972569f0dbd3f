// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/import_session.hpp"

namespace sbx::persistence {

/// Import sessions and the images they brought in (tables import_sessions,
/// import_session_images).
class import_session_repo {
 public:
  explicit import_session_repo(database& db) : db_(db) {}

  /// A page of sessions in id order.
  std::vector<proto::import_session> list(std::int64_t start, std::int64_t count);
  /// The session with this id, if any.
  std::optional<proto::import_session> by_id(std::int64_t id);
  /// The session with this name (exact match), if any.
  std::optional<proto::import_session> by_name(const std::string& name);
  /// Inserts a session (id ignored) and returns it with its new id; a taken name throws
  /// database_error(unique_violation).
  proto::import_session insert(const proto::import_session& s);
  /// Deletes a session and its image links (not the images); false if there was none.
  bool remove(std::int64_t id);

  /// Counts an imported file: files_imported + 1, files_added + 1 if `new_image`, links the
  /// image to the session unless it already is, and sets last_updated = `now`. One transaction
  /// (so not to be called inside another); false if there is no such session.
  bool record_added(std::int64_t session_id, std::int64_t image_id, bool new_image,
                    std::int64_t now);
  /// Counts a rejected file: files_rejected + 1, last_updated = `now`; false if there is no
  /// such session.
  bool record_rejected(std::int64_t session_id, std::int64_t now);
  /// The ids of the images linked to the session, in the order they were linked.
  std::vector<std::int64_t> image_ids(std::int64_t session_id);

 private:
  database& db_;
};

}  // namespace sbx::persistence
