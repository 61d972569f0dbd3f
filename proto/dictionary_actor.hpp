// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"

namespace sbx::proto {

/// A value representation: its letters and those letters as a big-endian 16-bit number.
struct dictionary_vr {
  std::string name;
  int code = 0;
};

/// A value multiplicity; max < 0 means unbounded.
struct dictionary_vm {
  int min = 1;
  int max = -1;
};

/// Which keywords to list.
enum class keyword_filter : std::uint8_t { all, sequence, non_sequence };

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dictionary_vr& x) {
  return f(x.name, x.code);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dictionary_vm& x) {
  return f(x.min, x.max);
}

/// DICOM dictionary look-ups (`/api/dicom/dictionary/...`). Unknown keyword or tag:
/// errc::not_found.
using dictionary_actor = caf::typed_actor<
    caf::replies_to<keywords_atom, std::string, keyword_filter>::with<std::vector<std::string>>,
    caf::replies_to<keyword_atom, std::uint32_t>::with<std::string>,
    caf::replies_to<tag_atom, std::string>::with<std::uint32_t>,
    caf::replies_to<vr_atom, std::uint32_t>::with<dictionary_vr>,
    caf::replies_to<vm_atom, std::uint32_t>::with<dictionary_vm>>;

}  // namespace sbx::proto
