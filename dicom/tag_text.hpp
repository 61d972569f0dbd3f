// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace sbx::dicom {

/// A tag as DICOM writes it in text: "(0010,0010)", upper-case hex.
inline std::string tag_text(std::uint32_t tag) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", tag >> 16, tag & 0xffff);
  return buf;
}

}  // namespace sbx::dicom
