// SPDX-License-Identifier: Apache-2.0
#include "persistence/statement.hpp"

namespace sbx::persistence::sql {

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string in_list(statement& st, const std::string& expr, const std::vector<std::int64_t>& ids) {
  std::string text;
  for (auto id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  if (st.kind() == backend::sqlite)
    return expr + " IN (SELECT value FROM json_each(" + st.bind("[" + text + "]") + "))";
  return expr + " = ANY (CAST(" + st.bind("{" + text + "}") + " AS BIGINT[]))";
}

std::string in_list(statement& st, const std::string& expr, const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) {
    if (!text.empty()) text += ',';
    text += '"' + w + '"';
  }
  if (st.kind() == backend::sqlite)
    return expr + " IN (SELECT value FROM json_each(" + st.bind("[" + text + "]") + "))";
  return expr + " = ANY (CAST(" + st.bind("{" + text + "}") + " AS TEXT[]))";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += extra + 1;
  }
  return true;
}

bool searchable(const std::string& v) { return v.find('\0') == std::string::npos && valid_utf8(v); }

}  // namespace sbx::persistence::sql
