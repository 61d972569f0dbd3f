// SPDX-License-Identifier: Apache-2.0
#include "dicom/charset.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace sbx::dicom {

using namespace charset_detail;

namespace {

/// Strips trailing spaces and NULs (DICOM value padding) and leading spaces.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

/// Appends `s` to `out` as valid UTF-8: every byte that is not part of a well-formed sequence
/// becomes U+FFFD.
void append_sanitized_utf8(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Lead byte: number of continuation bytes and the smallest code point (no overlongs).
    std::size_t n = 0;
    std::uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      min = 0x10000;
    }
    bool ok = n > 0 && i + n < s.size();
    std::uint32_t cp = c & (0x3fu >> n);
    for (std::size_t k = 1; ok && k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    ok = ok && cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    if (!ok) {
      out.append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.append(s.substr(i, n + 1));
    i += n + 1;
  }
}

/// Decodes `bytes` from the iconv charset `from` to UTF-8; undecodable bytes become U+FFFD.
void append_converted(std::string& out, std::string_view bytes, const char* from) {
  if (bytes.empty()) return;
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    append_sanitized_utf8(out, bytes);
    return;
  }
  std::string in(bytes);
  char* src = in.data();
  std::size_t src_left = in.size();
  std::string buf(in.size() * 4 + 16, '\0');
  while (src_left > 0) {
    char* dst = buf.data();
    std::size_t dst_left = buf.size();
    const auto r = iconv(cd, &src, &src_left, &dst, &dst_left);
    out.append(buf.data(), buf.size() - dst_left);
    if (r != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) continue;
    // EILSEQ or EINVAL (a truncated multi-byte character): replace one byte and go on.
    out.append("\xEF\xBF\xBD");
    ++src;
    --src_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  iconv_close(cd);
}

/// The ISO 8859 (or similar) iconv name of a single-byte DICOM term, e.g. "ISO_IR 100".
const char* single_byte_charset(std::string_view ir_number) {
  static constexpr std::array<std::pair<std::string_view, const char*>, 11> table = {{
      {"100", "ISO-8859-1"},
      {"101", "ISO-8859-2"},
      {"109", "ISO-8859-3"},
      {"110", "ISO-8859-4"},
      {"144", "ISO-8859-5"},
      {"127", "ISO-8859-6"},
      {"126", "ISO-8859-7"},
      {"138", "ISO-8859-8"},
      {"148", "ISO-8859-9"},
      {"203", "ISO-8859-15"},
      {"166", "TIS-620"},
  }};
  for (const auto& [ir, name] : table) {
    if (ir == ir_number) return name;
  }
  return nullptr;
}

/// The code state a DICOM defined term selects; nullopt for terms that are not ISO 2022 based.
std::optional<code_state> initial_state(std::string_view term) {
  std::string_view ir;
  if (term.starts_with("ISO_IR ")) {
    ir = term.substr(7);
  } else if (term.starts_with("ISO 2022 IR ")) {
    ir = term.substr(12);
  } else {
    return std::nullopt;
  }
  code_state s;
  if (ir == "6") return s;
  if (ir == "13") {
    s.g1 = g1_set::jis_katakana;
    return s;
  }
  if (ir == "149") {
    s.g1 = g1_set::ks_x1001;
    return s;
  }
  if (ir == "58") {
    s.g1 = g1_set::gb2312;
    return s;
  }
  if (ir == "87" || ir == "159") return s;  // multi-byte sets are only invoked by escapes
  if (const auto* name = single_byte_charset(ir)) {
    s.g1 = g1_set::single_byte;
    s.single_byte = name;
    return s;
  }
  return std::nullopt;
}

/// Applies the escape sequence at the start of `esc` (which begins with ESC); returns its length,
/// or 0 if it is not one this decoder knows.
std::size_t apply_escape(std::string_view esc, code_state& s) {
  struct known {
    std::string_view seq;
    void (*apply)(code_state&);
  };
  static const std::array<known, 8> table = {{
      {"\x1b(B", [](code_state& c) { c.g0 = g0_set::ascii; }},
      {"\x1b(J", [](code_state& c) { c.g0 = g0_set::ascii; }},  // JIS X 0201 romaji
      {"\x1b)I", [](code_state& c) { c.g1 = g1_set::jis_katakana; }},
      {"\x1b$B", [](code_state& c) { c.g0 = g0_set::jis_x0208; }},
      {"\x1b$(D", [](code_state& c) { c.g0 = g0_set::jis_x0212; }},
      {"\x1b$)C", [](code_state& c) { c.g1 = g1_set::ks_x1001; }},
      {"\x1b$)A", [](code_state& c) { c.g1 = g1_set::gb2312; }},
      {"\x1b-", nullptr},
  }};
  for (const auto& k : table) {
    if (!esc.starts_with(k.seq)) continue;
    if (k.apply) {
      k.apply(s);
      return k.seq.size();
    }
    // ESC - F: a single-byte G1 set by its final byte.
    if (esc.size() < 3) return 0;
    static constexpr std::array<std::pair<char, const char*>, 11> finals = {{
        {'A', "ISO-8859-1"},
        {'B', "ISO-8859-2"},
        {'C', "ISO-8859-3"},
        {'D', "ISO-8859-4"},
        {'L', "ISO-8859-5"},
        {'G', "ISO-8859-6"},
        {'F', "ISO-8859-7"},
        {'H', "ISO-8859-8"},
        {'M', "ISO-8859-9"},
        {'b', "ISO-8859-15"},
        {'T', "TIS-620"},
    }};
    for (const auto& [final_byte, name] : finals) {
      if (esc[2] == final_byte) {
        s.g1 = g1_set::single_byte;
        s.single_byte = name;
        return 3;
      }
    }
    return 0;
  }
  return 0;
}

/// Decodes an ISO 2022 text (DICOM code extensions) to UTF-8: runs of bytes in one set are
/// re-encoded into an EUC form iconv knows, then converted.
std::string decode_iso2022(std::string_view bytes, const code_state& initial) {
  std::string out;
  std::string run;
  const char* run_charset = nullptr;  // nullptr = raw (sanitized UTF-8)
  auto flush = [&] {
    if (run.empty()) return;
    if (run_charset) {
      append_converted(out, run, run_charset);
    } else {
      append_sanitized_utf8(out, run);
    }
    run.clear();
  };
  auto emit = [&](const char* charset, std::string_view b) {
    if (charset != run_charset) {
      flush();
      run_charset = charset;
    }
    run.append(b);
  };
  code_state s = initial;
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == 0x1b) {
      if (const auto n = apply_escape(bytes.substr(i), s)) {
        i += n;
        continue;
      }
      ++i;  // an unknown escape: drop the ESC byte
      continue;
    }
    if (c < 0x80) {
      const bool two_byte = s.g0 != g0_set::ascii && c > 0x20 && c < 0x7f;
      if (!two_byte) {
        emit(nullptr, bytes.substr(i, 1));
        // The value's first set is active again after these delimiters (PS3.5 6.1.2.5.3).
        if (c == '^' || c == '=' || c == '\\' || c == '\r' || c == '\n' || c == '\t' || c == '\f') {
          s = initial;
        }
        ++i;
        continue;
      }
      if (i + 1 >= bytes.size()) {
        emit(nullptr, "\xEF\xBF\xBD");
        break;
      }
      std::string euc;
      if (s.g0 == g0_set::jis_x0212) euc.push_back(static_cast<char>(0x8f));
      euc.push_back(static_cast<char>(c | 0x80));
      euc.push_back(static_cast<char>(static_cast<unsigned char>(bytes[i + 1]) | 0x80));
      emit("EUC-JP", euc);
      i += 2;
      continue;
    }
    switch (s.g1) {
      case g1_set::raw:
        emit(nullptr, bytes.substr(i, 1));
        ++i;
        break;
      case g1_set::single_byte:
        emit(s.single_byte, bytes.substr(i, 1));
        ++i;
        break;
      case g1_set::jis_katakana: {
        const char euc[2] = {static_cast<char>(0x8e), static_cast<char>(c)};
        emit("EUC-JP", std::string_view(euc, 2));
        ++i;
        break;
      }
      case g1_set::ks_x1001:
      case g1_set::gb2312: {
        const std::size_t n = i + 1 < bytes.size() ? 2 : 1;
        emit(s.g1 == g1_set::ks_x1001 ? "EUC-KR" : "GB2312", bytes.substr(i, n));
        i += n;
        break;
      }
    }
  }
  flush();
  return out;
}

}  // namespace

text_decoder::text_decoder(std::string_view specific_character_set) {
  std::vector<std::string_view> terms;
  std::size_t start = 0;
  for (;;) {
    const auto sep = specific_character_set.find('\\', start);
    terms.push_back(trim(specific_character_set.substr(start, sep - start)));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  const auto first = terms.front();
  if (first == "ISO_IR 192") {
    whole_ = "UTF-8";
  } else if (first == "GB18030" || first == "GBK") {
    whole_ = first == "GB18030" ? "GB18030" : "GBK";
  } else if (auto s = initial_state(first)) {
    initial_ = *s;
  }
  // Anything else (unknown terms): bytes are kept, invalid UTF-8 replaced.
}

std::string text_decoder::decode(std::string_view bytes) const {
  if (whole_ != nullptr && std::string_view(whole_) == "UTF-8") {
    std::string out;
    append_sanitized_utf8(out, bytes);
    return out;
  }
  if (whole_) {
    std::string out;
    append_converted(out, bytes, whole_);
    return out;
  }
  return decode_iso2022(bytes, initial_);
}

std::string sanitized_utf8(std::string_view s) {
  std::string out;
  append_sanitized_utf8(out, s);
  return out;
}

}  // namespace sbx::dicom
