// SPDX-License-Identifier: Apache-2.0
// The zlib payload of images another box sends (`POST /api/transactions/{token}/image`):
// anything may arrive; it is complete, truncated or corrupt, never a crash.
#include <filesystem>

#include "actors/box_payload.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = sbx::fuzz::file_with(sbx::fuzz::text_of(data, size), "payload");
  const auto out = sbx::fuzz::file_with({}, "inflated");
  std::string why;
  auto state = sbx::actors::inflate_payload(in, out, why);
  if (state != sbx::actors::payload_state::complete && why.empty()) __builtin_trap();
  return 0;
}
