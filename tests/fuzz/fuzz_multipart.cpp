// SPDX-License-Identifier: Apache-2.0
// The multipart/form-data reader of uploads (`POST /api/images`): a malformed body may only be
// std::invalid_argument (400), never a crash or a part file left behind.
#include <filesystem>
#include <stdexcept>

#include "fuzz_input.hpp"
#include "http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = sbx::fuzz::text_of(data, size);
  // The first line is a Content-Type header value, the rest the body.
  const auto newline = text.find('\n');
  const auto type = text.substr(0, newline);
  const auto body =
      newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  const auto boundary = sbx::http::multipart_boundary(type).value_or("sbxfuzz");
  const auto in = sbx::fuzz::file_with(body, "body");
  const auto out = sbx::fuzz::file_with({}, "part");
  std::filesystem::remove(out);
  try {
    sbx::http::extract_part(in, boundary, "file", out);
  } catch (const std::invalid_argument&) {
    if (std::filesystem::exists(out)) __builtin_trap();  // a refused body leaves nothing
  }
  std::filesystem::remove(out);
  return 0;
}
