// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "proto/atoms.hpp"
#include "proto/metadata.hpp"
#include "proto/metadata_messages.hpp"
#include "proto/source.hpp"

namespace sbx::proto {

/// Which presentation contexts a route accepts (docs/api.md#accepted-data); `any` skips the check
/// (modify).
enum class context_set : std::uint8_t { image_data, extended, any };

/// A complete file waiting in the store's tmp/ folder, and where it came from.
struct ingest_request {
  std::string file;
  source src;
  context_set contexts = context_set::extended;
  bool reverse_anonymization = true;  ///< restore identities (docs/api.md#reverse-anonymization)
  /// The image this file replaces (in-place anonymization, modify), or -1: its row is deleted in
  /// the commit that writes the new one, so a crash leaves one of the two, never both or neither.
  std::int64_t replaces = -1;
};

/// The stored image and whether its row is new (201) or existed (200).
struct ingest_result {
  image img;
  bool added = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_request& x) {
  return f(x.file, x.src, x.contexts, x.reverse_anonymization, x.replaces);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_result& x) {
  return f(x.img, x.added);
}

/// The one ingest path: validate, store the bytes, index, publish image_added. The file is
/// consumed (moved into the store or deleted) whatever the outcome. Invalid data:
/// errc::bad_request with the reason (no prefix).
using ingest_actor =
    caf::typed_actor<caf::replies_to<ingest_atom, ingest_request>::with<ingest_result>>;

}  // namespace sbx::proto
