// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"

namespace sbx::proto {

/// One file of an export: its name inside the archive and its path on disk.
struct export_entry {
  std::string name;
  std::string path;
};

/// What to write for an export set (GET /api/images/export): its entries in request order.
struct export_plan {
  std::vector<export_entry> entries;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, export_entry& x) {
  return f(x.name, x.path);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, export_plan& x) {
  return f(x.entries);
}

/// The image files and the export sets (kept in memory, each for a limited time). Missing image,
/// file or export set: errc::not_found.
using storage_actor = caf::typed_actor<
    // The path of an image's file, checked to exist.
    caf::replies_to<file_atom, std::int64_t>::with<std::string>,
    // How many image files are stored and their total size in bytes (GET /metrics).
    caf::replies_to<get_atom, all_atom>::with<std::int64_t, std::int64_t>,
    // A new export set of these image ids (not checked yet); its id.
    caf::replies_to<add_atom, export_atom, std::vector<std::int64_t>>::with<std::int64_t>,
    // What to write for an export set; not_found as well if one of its images no longer exists
    // (checked before the download starts, so the client gets 404, not a truncated archive).
    caf::replies_to<get_atom, export_atom, std::int64_t>::with<export_plan>>;

}  // namespace sbx::proto
