// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/atoms.hpp"

namespace sbx::persistence {
class byte_stream;
class file_store;
}  // namespace sbx::persistence

namespace sbx::proto {

/// The bytes of an image for GET /api/images/{id}: a stream from the store when it has one for
/// it (an S3 object not cached), else the path of its file.
struct image_bytes {
  std::string path;
  std::shared_ptr<persistence::byte_stream> stream;
};

/// One file of an export: its name inside the archive and its storage key.
struct export_entry {
  std::string name;
  std::string key;
};

/// What to write for an export set (GET /api/images/export): its entries in request order, and
/// the store to read them from while the archive is sent (streamed from S3 when not cached).
struct export_plan {
  std::vector<export_entry> entries;
  std::shared_ptr<const persistence::file_store> store;
};

/// The image files and the export sets (kept in memory, each for a limited time). Missing image,
/// file or export set: errc::not_found.
using storage_actor = caf::typed_actor<
    // The path of an image's file, checked to exist.
    caf::replies_to<file_atom, std::int64_t>::with<std::string>,
    // The bytes of an image's file, streamed from S3 when not cached; checked to exist (a
    // missing object: not_found; S3 unreachable: unavailable, before any byte).
    caf::replies_to<get_atom, file_atom, std::int64_t>::with<image_bytes>,
    // How many image files are stored and their total size in bytes (GET /metrics).
    caf::replies_to<get_atom, all_atom>::with<std::int64_t, std::int64_t>,
    // A new export set of these image ids (not checked yet); its id.
    caf::replies_to<add_atom, export_atom, std::vector<std::int64_t>>::with<std::int64_t>,
    // What to write for an export set; not_found as well if one of its images no longer exists
    // (checked before the download starts, so the client gets 404, not a truncated archive).
    caf::replies_to<get_atom, export_atom, std::int64_t>::with<export_plan>>;

}  // namespace sbx::proto

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::proto::image_bytes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::proto::export_plan)
