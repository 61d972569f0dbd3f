// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/import_session.hpp"
#include "proto/ingest_actor.hpp"
#include "proto/user.hpp"

namespace sbx::proto {

/// Import sessions (spec §11.5): named batches of uploads with counters. Unknown session:
/// errc::not_found; a name owned by another user: errc::bad_request.
using import_actor = caf::typed_actor<
    // A page of sessions in id order (start, count).
    caf::replies_to<list_atom, std::int64_t, std::int64_t>::with<std::vector<import_session>>,
    caf::replies_to<get_atom, std::int64_t>::with<import_session>,
    // Creates a session for the user, or returns the user's session of that name.
    caf::replies_to<add_atom, std::string, api_user>::with<import_session>,
    caf::replies_to<delete_atom, std::int64_t>::with<bool>,
    // Ingests a received file into the session (session id, file, original file name or "").
    caf::replies_to<upload_atom, std::int64_t, std::string, std::string>::with<ingest_result>,
    // The images added through the session (link order, deleted images skipped).
    caf::replies_to<images_atom, std::int64_t>::with<std::vector<image>>>;

}  // namespace sbx::proto
