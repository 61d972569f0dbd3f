// SPDX-License-Identifier: Apache-2.0
// The configuration file and environment readers: a bad file may only be a config_error (the
// node stops with a message naming the key), never a crash.
#include <string>
#include <vector>

#include "app/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text{sbx::fuzz::text_of(data, size)};
  sbx::app::config c;
  try {
    sbx::app::apply_toml(c, text, "fuzz.toml");
  } catch (const sbx::app::config_error&) {
  }
  std::vector<std::string> env;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    env.push_back("SBX_" + text.substr(start, end - start));
    start = end + 1;
  }
  try {
    sbx::app::apply_environment(c, env);
  } catch (const sbx::app::config_error&) {
  }
  return 0;
}
