// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbx::dicom {

/// A value representation: its two letters and those letters as a big-endian 16-bit number.
struct value_representation {
  std::string name;  ///< e.g. "PN"; "UN" for unknown tags
  int code = 0;      ///< e.g. 0x504E = 20558
};

/// A value multiplicity; no max means unbounded (1-n).
struct multiplicity {
  int min = 1;
  std::optional<int> max;
};

/// Which dictionary keywords to list.
enum class keyword_kind { all, sequence, non_sequence };

/// Dictionary keywords (public dictionary) whose keyword contains `filter` (case-insensitive;
/// empty = all), sorted, of the asked kind.
std::vector<std::string> keywords(std::string_view filter, keyword_kind kind);

/// The keyword of a tag (group << 16 | element), if the public dictionary knows it.
std::optional<std::string> keyword_of(std::uint32_t tag);

/// The tag of a keyword, if known.
std::optional<std::uint32_t> tag_of(std::string_view keyword);

/// The VR of a tag; "UN" (21838) when unknown.
value_representation vr_of(std::uint32_t tag);

/// The VM of a tag; {1, unbounded} when unknown.
multiplicity vm_of(std::uint32_t tag);

}  // namespace sbx::dicom
