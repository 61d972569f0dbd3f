// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace sbx::dicom {

namespace charset_detail {
/// What bytes of each half (G0: 0x00-0x7F, G1: 0x80-0xFF) currently mean.
enum class g0_set { ascii, jis_x0208, jis_x0212 };
enum class g1_set { raw, single_byte, jis_katakana, ks_x1001, gb2312 };

struct code_state {
  g0_set g0 = g0_set::ascii;
  g1_set g1 = g1_set::raw;
  const char* single_byte = nullptr;  // iconv name when g1 == single_byte
};

}  // namespace charset_detail

/// Decodes text values (PS3.5 6.1) of one dataset's SpecificCharacterSet to UTF-8; bytes that
/// cannot be decoded become U+FFFD.
class text_decoder {
 public:
  /// `specific_character_set` is the raw value of (0008,0005); empty means the default repertoire.
  explicit text_decoder(std::string_view specific_character_set);

  std::string decode(std::string_view bytes) const;

 private:
  const char* whole_ = nullptr;  // a charset without code extensions, decoded in one go
  charset_detail::code_state initial_;
};

/// `s` as valid UTF-8: every byte that is not part of a well-formed sequence becomes U+FFFD.
std::string sanitized_utf8(std::string_view s);

}  // namespace sbx::dicom
