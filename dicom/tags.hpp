// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

// Tags as 32-bit numbers (group << 16 | element), for the code that walks datasets itself.
namespace sbx::dicom::tags {

/// The tag number of (group, element).
constexpr std::uint32_t tag_of(std::uint16_t group, std::uint16_t element) {
  return (std::uint32_t{group} << 16) | element;
}

inline constexpr std::uint32_t pixel_data = tag_of(0x7fe0, 0x0010);
inline constexpr std::uint32_t specific_character_set = tag_of(0x0008, 0x0005);
inline constexpr std::uint32_t item = tag_of(0xfffe, 0xe000);
inline constexpr std::uint32_t item_delimiter = tag_of(0xfffe, 0xe00d);
inline constexpr std::uint32_t sequence_delimiter = tag_of(0xfffe, 0xe0dd);

}  // namespace sbx::dicom::tags
