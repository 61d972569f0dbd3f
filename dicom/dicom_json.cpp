// SPDX-License-Identifier: Apache-2.0
#include "dicom/dicom_json.hpp"

#include <gdcmDataSet.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTransferSyntax.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "dicom/charset.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/in_memory.hpp"
#include "dicom/tags.hpp"

namespace sbx::dicom {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;
using tags::tag_of;

constexpr std::size_t max_inline_binary = 4096;

std::uint32_t tag_number(const gdcm::Tag& t) { return tag_of(t.GetGroup(), t.GetElement()); }

std::string hex8(std::uint32_t v) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = digits[v & 0xf];
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                   (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(n >> s) & 0x3f];
  }
  if (i < in.size()) {
    std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) n |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += alphabet[(n >> 18) & 0x3f];
    out += alphabet[(n >> 12) & 0x3f];
    out += i + 1 < in.size() ? alphabet[(n >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

/// Bulk data /metadata leaves out: pixel data of any kind, overlays, curves, audio, spectroscopy,
/// waveform samples and encapsulated documents.
bool is_bulk(std::uint32_t tag) {
  const auto high = tag & 0xffe00000;
  const auto normalized = high == 0x50000000 || high == 0x60000000 ? tag & 0xffe0ffff : tag;
  switch (normalized) {
    case tag_of(0x7fe0, 0x0008):
    case tag_of(0x7fe0, 0x0009):
    case tag_of(0x7fe0, 0x0010):
    case tag_of(0x5000, 0x200c):
    case tag_of(0x5000, 0x3000):
    case tag_of(0x5600, 0x0020):
    case tag_of(0x6000, 0x3000):
    case tag_of(0x5400, 0x1010):
    case tag_of(0x0042, 0x0011):
      return true;
    default:
      return false;
  }
}

std::string vr_name(const gdcm::DataElement& de, std::uint32_t tag) {
  const auto vr = de.GetVR();
  if (vr != gdcm::VR::INVALID) {
    const char* text = gdcm::VR::GetVRString(vr);
    if (text != nullptr && std::strlen(text) == 2) return text;
  }
  auto name = vr_of(tag).name;  // implicit VR: the dictionary's
  // Dictionary entries such as "US or SS" or "OB or OW": the first reading.
  return name.size() == 2 ? name : name.substr(0, 2);
}

bool is_text_in_charset(std::string_view vr) {
  return vr == "SH" || vr == "LO" || vr == "ST" || vr == "PN" || vr == "LT" || vr == "UC" ||
         vr == "UT";
}

bool is_single_text(std::string_view vr) {
  return vr == "LT" || vr == "ST" || vr == "UT" || vr == "UR";
}

std::string_view trim(std::string_view s, bool leading) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  while (leading && !s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

template <class T>
void numbers(json_writer& w, std::string_view bytes) {
  for (std::size_t i = 0; i + sizeof(T) <= bytes.size(); i += sizeof(T)) {
    T v;
    std::memcpy(&v, bytes.data() + i, sizeof(T));
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isfinite(v))
        w.Double(static_cast<double>(v));
      else
        w.Null();
    } else if constexpr (std::is_signed_v<T>) {
      w.Int64(static_cast<std::int64_t>(v));
    } else {
      w.Uint64(static_cast<std::uint64_t>(v));
    }
  }
}

void number_string(json_writer& w, std::string_view text, bool integer) {
  text = trim(text, true);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return w.Null(), void();
  if (integer) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc{} && ptr == text.data() + text.size()) return w.Int64(v), void();
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec == std::errc{} && ptr == text.data() + text.size() && std::isfinite(d))
    return w.Double(d), void();
  w.Null();
}

void person_name(json_writer& w, std::string_view value) {
  if (value.empty()) return w.Null(), void();
  static constexpr const char* groups[] = {"Alphabetic", "Ideographic", "Phonetic"};
  w.StartObject();
  auto parts = split(value, '=');
  for (std::size_t i = 0; i < parts.size() && i < 3; ++i) {
    if (parts[i].empty()) continue;
    w.Key(groups[i]);
    w.String(parts[i].data(), static_cast<rapidjson::SizeType>(parts[i].size()));
  }
  w.EndObject();
}

class json_walk {
 public:
  explicit json_walk(json_writer& w) : w_(w) {}

  void dataset(const gdcm::DataSet& ds, const text_decoder& outer) {
    std::optional<text_decoder> own;
    const gdcm::Tag charset(0x0008, 0x0005);
    if (ds.FindDataElement(charset)) {
      const auto* bv = ds.GetDataElement(charset).GetByteValue();
      own.emplace(bv && bv->GetPointer() ? std::string_view(bv->GetPointer(), bv->GetLength())
                                         : std::string_view{});
    }
    const auto& decoder = own ? *own : outer;
    w_.StartObject();
    for (const auto& de : ds.GetDES()) {
      const auto tag = tag_number(de.GetTag());
      const auto group = tag >> 16;
      if (group == 0x0002 || group == 0xfffe || (tag & 0xffff) == 0 || is_bulk(tag)) continue;
      element(de, tag, decoder);
    }
    w_.EndObject();
  }

 private:
  void element(const gdcm::DataElement& de, std::uint32_t tag, const text_decoder& decoder) {
    auto vr = vr_name(de, tag);
    const auto* bytes = de.GetByteValue();
    if (bytes == nullptr && !de.IsEmpty() && de.GetSequenceOfFragments() != nullptr) return;
    const bool sequence =
        vr == "SQ" || (bytes == nullptr && !de.IsEmpty() &&
                       dynamic_cast<const gdcm::SequenceOfItems*>(&de.GetValue()) != nullptr);
    const auto key = hex8(tag);
    if (sequence) {
      w_.Key(key.c_str());
      w_.StartObject();
      w_.Key("vr");
      w_.String("SQ");
      auto items = de.GetValueAsSQ();
      if (items && items->GetNumberOfItems() > 0) {
        w_.Key("Value");
        w_.StartArray();
        for (gdcm::SequenceOfItems::SizeType i = 1; i <= items->GetNumberOfItems(); ++i)
          dataset(items->GetItem(i).GetNestedDataSet(), decoder);
        w_.EndArray();
      }
      w_.EndObject();
      return;
    }
    std::string_view raw;
    if (bytes != nullptr && bytes->GetPointer() != nullptr)
      raw = std::string_view(bytes->GetPointer(), bytes->GetLength());
    const bool binary = vr == "OB" || vr == "OW" || vr == "OF" || vr == "OD" || vr == "OL" ||
                        vr == "OV" || vr == "UN";
    if (binary && raw.size() > max_inline_binary) return;
    w_.Key(key.c_str());
    w_.StartObject();
    w_.Key("vr");
    w_.String(vr.c_str());
    if (raw.empty() && tag != tags::specific_character_set) return w_.EndObject(), void();
    if (binary) {
      w_.Key("InlineBinary");
      w_.String(base64(raw).c_str());
      return w_.EndObject(), void();
    }
    w_.Key("Value");
    w_.StartArray();
    if (tag == tags::specific_character_set) {
      w_.String("ISO_IR 192");  // every text below is UTF-8
    } else if (vr == "US") {
      numbers<std::uint16_t>(w_, raw);
    } else if (vr == "SS") {
      numbers<std::int16_t>(w_, raw);
    } else if (vr == "UL") {
      numbers<std::uint32_t>(w_, raw);
    } else if (vr == "SL") {
      numbers<std::int32_t>(w_, raw);
    } else if (vr == "UV") {
      numbers<std::uint64_t>(w_, raw);
    } else if (vr == "SV") {
      numbers<std::int64_t>(w_, raw);
    } else if (vr == "FL") {
      numbers<float>(w_, raw);
    } else if (vr == "FD") {
      numbers<double>(w_, raw);
    } else if (vr == "AT") {
      for (std::size_t i = 0; i + 4 <= raw.size(); i += 4) {
        std::uint16_t g = 0, e = 0;
        std::memcpy(&g, raw.data() + i, 2);
        std::memcpy(&e, raw.data() + i + 2, 2);
        w_.String(hex8(tag_of(g, e)).c_str());
      }
    } else {
      const auto text = is_text_in_charset(vr) ? decoder.decode(raw) : sanitized_utf8(raw);
      const auto single = is_single_text(vr);
      const auto values =
          single ? std::vector<std::string_view>{std::string_view(text)} : split(text, '\\');
      for (auto v : values) {
        v = trim(v, !single);
        if (vr == "IS" || vr == "DS") {
          number_string(w_, v, vr == "IS");
        } else if (vr == "PN") {
          person_name(w_, v);
        } else if (v.empty()) {
          w_.Null();
        } else {
          w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
        }
      }
    }
    w_.EndArray();
    w_.EndObject();
  }

  json_writer& w_;
};

std::optional<std::int64_t> us_value(const gdcm::DataSet& ds, std::uint16_t g, std::uint16_t e) {
  const gdcm::Tag t(g, e);
  if (!ds.FindDataElement(t)) return std::nullopt;
  const auto* bv = ds.GetDataElement(t).GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr || bv->GetLength() < 2) return std::nullopt;
  std::uint16_t v = 0;
  std::memcpy(&v, bv->GetPointer(), 2);
  return v;
}

std::int64_t frame_count(const gdcm::DataSet& ds) {
  const gdcm::Tag t(0x0028, 0x0008);
  if (!ds.FindDataElement(t)) return 1;
  const auto* bv = ds.GetDataElement(t).GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr) return 1;
  auto text = trim(std::string_view(bv->GetPointer(), bv->GetLength()), true);
  std::int64_t n = 1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc{} && n > 0 ? n : 1;
}

}  // namespace

std::string dicom_json(const std::filesystem::path& file) {
  gdcm::Reader reader;
  read_up_to(reader, file, tags::pixel_data);
  const text_decoder none{std::string_view{}};
  rapidjson::StringBuffer out;
  json_writer w(out);
  json_walk(w).dataset(reader.GetFile().GetDataSet(), none);
  return {out.GetString(), out.GetSize()};
}

frame_set read_frames(const std::filesystem::path& file, const std::vector<std::int64_t>& numbers,
                      bool keep_compressed) {
  gdcm::ImageReader reader;
  reader.SetFileName(file.c_str());
  if (!reader.Read()) throw std::runtime_error("cannot read DICOM file " + file.string());
  const auto& ds = reader.GetFile().GetDataSet();
  const gdcm::Tag pixel(0x7fe0, 0x0010);
  if (!ds.FindDataElement(pixel)) throw std::runtime_error("the image has no pixel data");
  const auto frames = frame_count(ds);
  for (auto n : numbers)
    if (n < 1 || n > frames)
      throw std::out_of_range("Frame " + std::to_string(n) + " does not exist (the image has " +
                              std::to_string(frames) + (frames == 1 ? " frame)" : " frames)"));
  frame_set out{{}, uncompressed_syntax};
  const auto& element = ds.GetDataElement(pixel);
  std::string all;
  std::string_view data;
  if (const auto* bv = element.GetByteValue(); bv && bv->GetPointer()) {
    data = std::string_view(bv->GetPointer(), bv->GetLength());  // uncompressed: as stored
  } else if (const auto* fragments = element.GetSequenceOfFragments();
             keep_compressed && fragments != nullptr &&
             (frames == 1 ||
              fragments->GetNumberOfFragments() == static_cast<std::size_t>(frames))) {
    // The stored syntax: one frame is all fragments, or one fragment per frame.
    const auto* ts =
        gdcm::TransferSyntax::GetTSString(reader.GetFile().GetHeader().GetDataSetTransferSyntax());
    out.transfer_syntax = ts ? ts : "";
    for (auto n : numbers) {
      std::string frame;
      const auto first = frames == 1 ? 0 : static_cast<std::size_t>(n - 1);
      const auto last = frames == 1 ? fragments->GetNumberOfFragments() : first + 1;
      for (auto f = first; f < last; ++f) {
        const auto* bv = fragments->GetFragment(f).GetByteValue();
        if (bv && bv->GetPointer()) frame.append(bv->GetPointer(), bv->GetLength());
      }
      out.frames.push_back(std::move(frame));
    }
    return out;
  } else {
    const auto& image = reader.GetImage();
    all.resize(image.GetBufferLength());
    if (all.empty() || !image.GetBuffer(all.data()))
      throw std::runtime_error("the pixel data cannot be decoded");
    data = all;
  }
  const auto rows = us_value(ds, 0x0028, 0x0010).value_or(0);
  const auto columns = us_value(ds, 0x0028, 0x0011).value_or(0);
  const auto samples = us_value(ds, 0x0028, 0x0002).value_or(1);
  const auto bits = us_value(ds, 0x0028, 0x0100).value_or(8);
  auto size = static_cast<std::size_t>((rows * columns * samples * bits + 7) / 8);
  if (size == 0 || size * static_cast<std::size_t>(frames) > data.size())
    size = data.size() / static_cast<std::size_t>(frames);
  for (auto n : numbers)
    out.frames.emplace_back(data.substr(static_cast<std::size_t>(n - 1) * size, size));
  return out;
}

}  // namespace sbx::dicom
