// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/anonymization_key.hpp"
#include "proto/atoms.hpp"
#include "proto/events.hpp"
#include "proto/metadata_actor.hpp"
#include "proto/tag_path.hpp"

namespace sbx::proto {

/// A stored key value with its tag path parsed (for the JSON form).
struct key_value_entry {
  anonymization_key_value value;
  tag_path path;
};

/// A confidentiality option as `GET /anonymization/options` shows it.
struct confidentiality_option_info {
  std::string name;
  std::string title;
  std::string description;
  int rank = 0;
};

/// Which keys to list (`GET /anonymization/keys`); an empty `order_by` keeps id order.
struct key_listing {
  std::int64_t start = 0;
  std::int64_t count = 20;
  std::string order_by;
  bool ascending = true;
  std::string filter;
};

/// What an anonymization produced: the bytes to send (`anonymized`) or the stored image (in
/// place). The bytes are `head` followed by `file` from `offset` to its end; a `temporary` file
/// is the caller's to remove once sent.
struct anonymization_output {
  std::string file;
  image img;
  std::string head;
  std::uint64_t offset = 0;
  bool temporary = true;
};

/// One image of a bulk anonymization and its custom tag values (`ImageTagValues`).
struct image_tag_values {
  std::int64_t image_id = -1;
  std::vector<tag_value> values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_tag_values& x) {
  return f(x.image_id, x.values);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anonymization_output& x) {
  return f(x.file, x.img, x.head, x.offset, x.temporary);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_value_entry& x) {
  return f(x.value, x.path);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, confidentiality_option_info& x) {
  return f(x.name, x.title, x.description, x.rank);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_listing& x) {
  return f(x.start, x.count, x.order_by, x.ascending, x.filter);
}

/// The key side of the anonymization service (spec §7.5-§7.9): listing, querying, deleting and
/// exporting keys. Unknown key: errc::not_found; unknown property: errc::bad_request.
using anonymization_key_actor = caf::typed_actor<
    caf::replies_to<list_atom, keys_atom, key_listing>::with<std::vector<anonymization_key>>,
    caf::replies_to<get_atom, keys_atom, std::int64_t>::with<anonymization_key>,
    caf::replies_to<delete_atom, keys_atom, std::int64_t>::with<bool>,
    caf::replies_to<values_atom, std::int64_t>::with<std::vector<key_value_entry>>,
    caf::replies_to<query_atom, keys_atom, metadata_query>::with<std::vector<anonymization_key>>,
    // The options a client may choose, BASIC_PROFILE excepted, in rank order.
    caf::replies_to<options_atom>::with<std::vector<confidentiality_option_info>>,
    // Every key and value as the CSV of spec §7.9.
    caf::replies_to<csv_atom>::with<std::string>,
    // Event: keys of deleted images are purged (anonymization.purge_empty_keys).
    caf::reacts_to<images_deleted>>;

/// The anonymization service (spec §7, §11.4): keys, options and the anonymization of images.
using anonymization_actor = anonymization_key_actor::extend<
    // Anonymizes an image with a profile (option names) and custom tag values, recording a key
    // (spec §7.5). In place (true): the result is stored through ingest and the original
    // deleted; otherwise the result is a temporary file for the caller to send and remove.
    caf::replies_to<anonymize_atom, std::int64_t, std::vector<std::string>, std::vector<tag_value>,
                    bool>::with<anonymization_output>,
    // Anonymizes images in place (`POST /anonymization/anonymize`); BASIC_PROFILE is added when
    // missing; answers the new images of those that existed.
    caf::replies_to<anonymize_atom, std::vector<std::string>,
                    std::vector<image_tag_values>>::with<std::vector<image>>,
    // Reverse anonymization (spec §7.8) of an anonymous file about to be ingested: answers the
    // file to ingest instead (a new file with the real identities, or the same one if no key).
    caf::replies_to<reverse_atom, std::string>::with<std::string>>;

}  // namespace sbx::proto
