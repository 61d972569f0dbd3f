// SPDX-License-Identifier: Apache-2.0
#include "dicom/attributes.hpp"

#include <gdcmDataSet.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dicom/charset.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/in_memory.hpp"
#include "dicom/tags.hpp"

namespace sbx::dicom {

namespace {

using tags::tag_of;
constexpr std::uint32_t pixel_data = tags::pixel_data;
constexpr std::uint32_t specific_character_set = tags::specific_character_set;
constexpr std::uint32_t waveform_sequence = tag_of(0x5400, 0x0100);
constexpr std::uint32_t waveform_data = tag_of(0x5400, 0x1010);

std::uint32_t tag_number(const gdcm::Tag& t) { return tag_of(t.GetGroup(), t.GetElement()); }

/// Bulk data the listing leaves out (as the original's bulk data filter): overlay and curve
/// groups (60xx, 50xx) count as their first group.
bool is_bulk_data(std::uint32_t tag, bool root, std::uint32_t sequence) {
  const auto high = tag & 0xffe00000;
  const auto normalized = high == 0x50000000 || high == 0x60000000 ? tag & 0xffe0ffff : tag;
  switch (normalized) {
    case tag_of(0x0028, 0x7fe0):  // PixelDataProviderURL
    case tag_of(0x5000, 0x200c):  // AudioSampleData
    case tag_of(0x5000, 0x3000):  // CurveData
    case tag_of(0x5600, 0x0020):  // SpectroscopyData
    case tag_of(0x6000, 0x3000):  // OverlayData
    case tag_of(0x0042, 0x0011):  // EncapsulatedDocument
    case tag_of(0x7fe0, 0x0008):  // FloatPixelData
    case tag_of(0x7fe0, 0x0009):  // DoubleFloatPixelData
      return true;
    default:
      break;
  }
  if (tag == pixel_data) return root;
  return tag == waveform_data && sequence == waveform_sequence;
}

void quiet_gdcm() {
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
  });
}

// ---------------------------------------------------------------------------------------------
// Value to strings, as the original's Value.toStrings.
// ---------------------------------------------------------------------------------------------

/// Java's String.trim: strips characters up to U+0020 on both ends.
std::string_view java_trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

/// Strips trailing padding (spaces and NULs).
std::string_view trim_padding(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

/// Java's String.split on '\': trailing empty strings are dropped.
std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto sep = s.find('\\', start);
    out.emplace_back(s.substr(start, sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

template <class T>
std::vector<T> numbers(std::string_view bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

/// A float or double as Java's toString writes it ("1.0", "0.5", "1.0E10", "NaN").
template <class T>
std::string java_number(T v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto a = std::fabs(v);
  if (v == 0 || (a >= T(1e-3) && a < T(1e7))) {
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string s(buf, r.ptr);
  const auto e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  int exponent = std::stoi(s.substr(e + 1));
  return mantissa + "E" + std::to_string(exponent);
}

std::string hex(std::uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

template <class T>
std::string hex_words(std::string_view bytes) {
  std::string out;
  for (const auto w : numbers<T>(bytes)) {
    if (!out.empty()) out.push_back(' ');
    out += hex(w, 2 * sizeof(T));
  }
  return out;
}

template <class T, class F>
std::vector<std::string> each(std::string_view bytes, F&& f) {
  std::vector<std::string> out;
  for (const auto x : numbers<T>(bytes)) out.push_back(f(x));
  return out;
}

template <class T>
std::string joined(std::string_view bytes) {
  std::string out;
  for (const auto x : numbers<T>(bytes)) {
    if (!out.empty()) out.push_back(' ');
    out += java_number(x);
  }
  return out;
}

/// The VRs whose text is in the SpecificCharacterSet (others are the default repertoire).
bool uses_character_set(std::string_view vr) {
  return vr == "SH" || vr == "LO" || vr == "ST" || vr == "PN" || vr == "LT" || vr == "UC" ||
         vr == "UT";
}

std::vector<std::string> to_strings(std::string_view vr, std::string_view bytes,
                                    const text_decoder& decoder) {
  if (bytes.empty()) return {};
  if ((vr == "OB" || vr == "OW" || vr == "OF" || vr == "OD") && bytes.size() > 20) {
    return {"< Binary data >"};
  }
  const auto decimal = [](auto x) { return std::to_string(x); };
  if (vr == "AT") {
    std::vector<std::string> out;
    const auto words = numbers<std::uint16_t>(bytes);
    for (std::size_t i = 0; i + 1 < words.size(); i += 2) {
      out.push_back("(" + hex(words[i], 4) + "," + hex(words[i + 1], 4) + ")");
    }
    return out;
  }
  if (vr == "FL") return each<float>(bytes, [](float x) { return java_number(x); });
  if (vr == "FD") return each<double>(bytes, [](double x) { return java_number(x); });
  if (vr == "SL") return each<std::int32_t>(bytes, decimal);
  if (vr == "SS") return each<std::int16_t>(bytes, decimal);
  if (vr == "UL") return each<std::uint32_t>(bytes, decimal);
  if (vr == "US") return each<std::uint16_t>(bytes, decimal);
  if (vr == "SV") return each<std::int64_t>(bytes, decimal);
  if (vr == "UV") return each<std::uint64_t>(bytes, decimal);
  if (vr == "OB") return {hex_words<std::uint8_t>(bytes)};
  if (vr == "OW") return {hex_words<std::uint16_t>(bytes)};
  if (vr == "OL") return {hex_words<std::uint32_t>(bytes)};
  if (vr == "OV") return {hex_words<std::uint64_t>(bytes)};
  if (vr == "OF") return {joined<float>(bytes)};
  if (vr == "OD") return {joined<double>(bytes)};
  const auto text = uses_character_set(vr) ? decoder.decode(bytes) : sanitized_utf8(bytes);
  if (vr == "ST" || vr == "LT" || vr == "UT" || vr == "UR") {
    return {std::string(trim_padding(text))};
  }
  if (vr == "UC") return split(trim_padding(text));
  auto parts = split(text);
  for (auto& p : parts) p = std::string(java_trim(p));
  return parts;
}

// ---------------------------------------------------------------------------------------------
// The depth-first walk.
// ---------------------------------------------------------------------------------------------

std::string vr_text(const gdcm::DataElement& de, std::uint32_t tag) {
  const auto vr = de.GetVR();
  if (vr != gdcm::VR::INVALID) {
    const char* text = gdcm::VR::GetVRString(vr);
    if (text != nullptr && std::strlen(text) == 2) return text;
  }
  return vr_of(tag).name;  // implicit VR: the dictionary's
}

std::string raw_value(const gdcm::DataSet& ds, std::uint32_t tag) {
  const gdcm::Tag t(static_cast<std::uint16_t>(tag >> 16), static_cast<std::uint16_t>(tag));
  if (!ds.FindDataElement(t)) return {};
  const auto* bv = ds.GetDataElement(t).GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr) return {};
  return std::string(bv->GetPointer(), bv->GetLength());
}

class attribute_walk {
 public:
  explicit attribute_walk(std::vector<proto::image_attribute>& out) : out_(out) {}

  void dataset(const gdcm::DataSet& ds, const proto::tag_path& trunk, const text_decoder& outer,
               std::uint32_t sequence) {
    // An item's own SpecificCharacterSet applies inside it.
    std::optional<text_decoder> own;
    if (ds.FindDataElement(gdcm::Tag(0x0008, 0x0005))) {
      own.emplace(raw_value(ds, specific_character_set));
    }
    const auto& decoder = own ? *own : outer;
    for (const auto& de : ds.GetDES()) {
      const auto tag = tag_number(de.GetTag());
      if ((tag >> 16) == 0xfffe) continue;  // items and delimiters
      if (is_bulk_data(tag, trunk.empty(), sequence)) continue;
      element(de, tag, trunk, decoder);
    }
  }

 private:
  void element(const gdcm::DataElement& de, std::uint32_t tag, const proto::tag_path& trunk,
               const text_decoder& decoder) {
    proto::image_attribute a;
    a.tag_path = trunk;
    a.tag_path.push_back({tag, keyword_of(tag).value_or(""), false, 0});
    for (const auto& step : a.tag_path) a.name_path.push_back(step.name);
    a.vr = vr_text(de, tag);
    const auto& vl = de.GetVL();
    const std::int64_t declared = vl.IsUndefined() ? -1 : std::int64_t{vl};

    const auto* bytes = de.GetByteValue();
    const gdcm::SequenceOfItems* items = nullptr;
    if (bytes == nullptr && !de.IsEmpty()) {
      if (de.GetSequenceOfFragments() != nullptr) {
        a.length = -1;
        a.values = {"< Fragments >"};
        out_.push_back(std::move(a));
        return;
      }
      items = dynamic_cast<const gdcm::SequenceOfItems*>(&de.GetValue());
    }
    if (items != nullptr || a.vr == "SQ") {
      a.vr = "SQ";
      a.length = declared;
      const auto item_trunk = a.tag_path.back();
      out_.push_back(std::move(a));
      if (items == nullptr) return;
      auto trunk_of_items = trunk;
      trunk_of_items.push_back({tag, item_trunk.name, true, 0});
      for (std::size_t i = 1; i <= items->GetNumberOfItems(); ++i) {
        trunk_of_items.back().item = static_cast<int>(i);
        dataset(items->GetItem(i).GetNestedDataSet(), trunk_of_items, decoder, tag);
      }
      return;
    }
    a.length = declared < 0 ? 0 : declared;
    a.values = listed_values(de, decoder);
    out_.push_back(std::move(a));
  }

  std::vector<proto::image_attribute>& out_;
};

/// The first integer of an integer string (IS) element, if it has one.
std::optional<std::int64_t> integer_string(const gdcm::DataSet& ds, std::uint32_t tag) {
  const auto parts = split(raw_value(ds, tag));
  if (parts.empty()) return std::nullopt;
  auto text = java_trim(parts.front());
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

/// The first value of a US or SS element: its explicit VR, else signed when PixelRepresentation
/// says the pixels are.
std::optional<std::int64_t> pixel_value(const gdcm::DataSet& ds, std::uint32_t tag) {
  const gdcm::Tag t(static_cast<std::uint16_t>(tag >> 16), static_cast<std::uint16_t>(tag));
  if (!ds.FindDataElement(t)) return std::nullopt;
  const auto& de = ds.GetDataElement(t);
  const auto* bv = de.GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr || bv->GetLength() < 2) return std::nullopt;
  bool is_signed = de.GetVR() == gdcm::VR::SS;
  if (de.GetVR() == gdcm::VR::INVALID) {
    const auto rep = raw_value(ds, tag_of(0x0028, 0x0103));
    is_signed = rep.size() >= 2 && rep[0] == 1 && rep[1] == 0;
  }
  std::uint16_t raw = 0;
  std::memcpy(&raw, bv->GetPointer(), 2);
  return is_signed ? std::int64_t{static_cast<std::int16_t>(raw)} : std::int64_t{raw};
}

int clamp_int(std::int64_t v) {
  return static_cast<int>(std::clamp<std::int64_t>(v, std::numeric_limits<int>::min(),
                                                   std::numeric_limits<int>::max()));
}

}  // namespace

void read_up_to(gdcm::Reader& reader, const std::filesystem::path& file, std::uint32_t stop) {
  quiet_gdcm();
  reader.SetFileName(file.c_str());
  const gdcm::Tag tag(static_cast<std::uint16_t>(stop >> 16), static_cast<std::uint16_t>(stop));
  if (!reader.ReadUpToTag(tag, {tag})) {
    throw std::runtime_error("cannot read DICOM file " + file.string());
  }
}

std::vector<std::string> listed_values(const gdcm::DataElement& de, const text_decoder& decoder) {
  const auto* bytes = de.GetByteValue();
  if (bytes == nullptr || bytes->GetPointer() == nullptr) {
    if (!de.IsEmpty() && de.GetSequenceOfFragments() != nullptr) return {"< Fragments >"};
    return {};
  }
  const auto vr = vr_text(de, tag_number(de.GetTag()));
  if (vr == "SQ") return {};
  return to_strings(vr, std::string_view(bytes->GetPointer(), bytes->GetLength()), decoder);
}

std::vector<proto::image_attribute> read_attributes(const std::filesystem::path& file) {
  gdcm::Reader reader;
  read_up_to(reader, file, pixel_data);
  const auto& ds = reader.GetFile().GetDataSet();
  const text_decoder decoder(raw_value(ds, specific_character_set));
  std::vector<proto::image_attribute> out;
  attribute_walk walk(out);
  walk.dataset(reader.GetFile().GetHeader(), {}, decoder, 0);
  walk.dataset(ds, {}, decoder, 0);
  return out;
}

proto::image_information read_image_information(const std::filesystem::path& file) {
  gdcm::Reader reader;
  read_up_to(reader, file, tag_of(0x0028, 0x0108));
  const auto& ds = reader.GetFile().GetDataSet();
  proto::image_information info;
  info.number_of_frames = clamp_int(integer_string(ds, tag_of(0x0028, 0x0008)).value_or(1));
  // ImageIndex (0054,1330) lies beyond the read limit, so it is always absent here (as in 2.1.1).
  info.frame_index =
      clamp_int(std::max<std::int64_t>(integer_string(ds, tag_of(0x0020, 0x0013)).value_or(1),
                                       integer_string(ds, tag_of(0x0054, 0x1330)).value_or(1)));
  info.minimum_pixel_value = pixel_value(ds, tag_of(0x0028, 0x0106)).value_or(0);
  info.maximum_pixel_value = pixel_value(ds, tag_of(0x0028, 0x0107)).value_or(0);
  return info;
}

}  // namespace sbx::dicom
