// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

// Helpers shared by the libFuzzer targets (tests/fuzz/run.sh).
namespace sbx::fuzz {

/// The input as text.
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// A file of this process under the temporary folder, rewritten with each input (the parsers
/// that read files are fuzzed through it).
inline std::filesystem::path file_with(std::string_view bytes, const char* name = "input") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("sbx-fuzz-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

}  // namespace sbx::fuzz
