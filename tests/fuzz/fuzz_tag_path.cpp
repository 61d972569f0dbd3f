// SPDX-License-Identifier: Apache-2.0
// The text form of tag paths (tag filters, series type rules): bad input may only be
// std::invalid_argument (400), never a crash.
#include <stdexcept>

#include "dicom/tag_path.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = sbx::fuzz::text_of(data, size);
  for (bool tree : {false, true}) {
    try {
      auto path = sbx::dicom::parse_tag_path(text, tree);
      sbx::dicom::to_string(path);
      sbx::dicom::resolve_names(path);
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
