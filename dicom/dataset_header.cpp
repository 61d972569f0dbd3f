// SPDX-License-Identifier: Apache-2.0
#include "dicom/dataset_header.hpp"

#include <gdcmDataSet.h>
#include <gdcmReader.h>
#include <gdcmTag.h>
#include <gdcmTrace.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "dicom/charset.hpp"
#include "dicom/in_memory.hpp"
#include "dicom/tag_text.hpp"
#include "dicom/tags.hpp"

namespace sbx::dicom {

namespace {

using tags::tag_of;
constexpr std::uint32_t pixel_data_tag = tags::pixel_data;
constexpr std::uint32_t item_tag = tags::item;
constexpr std::uint32_t item_delimiter_tag = tags::item_delimiter;
constexpr std::uint32_t sequence_delimiter_tag = tags::sequence_delimiter;
constexpr std::uint32_t undefined_length = 0xffffffff;
// Deeper nesting than this is garbage, not data; it would only exhaust the stack.
constexpr int max_depth = 64;

constexpr std::string_view implicit_le_ts = "1.2.840.10008.1.2";
constexpr std::string_view explicit_be_ts = "1.2.840.10008.1.2.2";
constexpr std::string_view deflated_ts = "1.2.840.10008.1.2.1.99";

/// Strips trailing spaces and NULs (DICOM value padding) and leading spaces.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Structure walk. Debian's GDCM is built with assertions enabled, and several of them fire on
// malformed input (an element header cut short, a bad VR, pixel data as a sequence, ...), which
// would abort the node; a truncated deflate stream even makes it allocate without end. So before
// GDCM sees a file, its whole structure is walked: every element header, sequence item and pixel
// data fragment must be well formed and lie inside the file (or the inflated dataset). This is
// also the completeness check of ingest (docs/architecture.md#how-an-image-flows).
// ---------------------------------------------------------------------------------------------

struct encoding {
  bool explicit_vr = true;
  bool big_endian = false;
};

/// Forward-only reads over a byte stream of known size, with bounds checks: every read that
/// would pass the end throws invalid_dicom naming what was cut short.
class byte_source {
 public:
  virtual ~byte_source() = default;

  std::uint64_t size() const { return size_; }
  std::uint64_t pos() const { return pos_; }
  std::uint64_t remaining() const { return size_ - pos_; }

  /// Reads exactly `n` bytes, or throws with `what` naming the structure that is cut short.
  void read(void* out, std::size_t n, const char* what) {
    if (remaining() < n) {
      throw invalid_dicom(std::string("the file ends inside ") + what + " at offset " +
                          std::to_string(pos_) + " (size " + std::to_string(size_) + ")");
    }
    auto* dst = static_cast<char*>(out);
    while (n > 0) {
      if (begin_ == end_) refill();
      const auto k = std::min(n, end_ - begin_);
      std::copy_n(buffer_.data() + begin_, k, dst);
      begin_ += k;
      pos_ += k;
      dst += k;
      n -= k;
    }
  }

  std::string read_string(std::size_t n, const char* what) {
    std::string s(n, '\0');
    read(s.data(), n, what);
    return s;
  }

  /// Skips `n` bytes, which must lie inside the stream.
  void skip(std::uint64_t n) {
    if (n > remaining()) throw invalid_dicom("a value passes the end of the file");
    const auto buffered = std::min<std::uint64_t>(n, end_ - begin_);
    begin_ += buffered;
    if (n > buffered) discard(n - buffered);
    pos_ += n;
  }

  /// Copies the next `n` (at most 8) bytes without consuming them; false if fewer remain.
  bool peek(void* out, std::size_t n) {
    if (remaining() < n) return false;
    if (end_ - begin_ < n) {
      std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
      end_ -= begin_;
      begin_ = 0;
      while (end_ < n) {
        const auto got = fill(buffer_.data() + end_, buffer_.size() - end_);
        if (got == 0) throw invalid_dicom("the file is shorter than it was");
        end_ += got;
      }
    }
    std::copy_n(buffer_.data() + begin_, n, static_cast<char*>(out));
    return true;
  }

 protected:
  explicit byte_source(std::uint64_t size) : size_(size) {}
  /// Reads up to `cap` next bytes of the underlying stream; 0 only at its end.
  virtual std::size_t fill(char* buf, std::size_t cap) = 0;
  /// Skips `n` bytes of the underlying stream (past what is buffered).
  virtual void discard(std::uint64_t n) = 0;

 private:
  void refill() {
    begin_ = 0;
    end_ = fill(buffer_.data(), buffer_.size());
    if (end_ == 0) throw invalid_dicom("the file is shorter than it was");
  }

  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  std::vector<char> buffer_ = std::vector<char>(1 << 16);
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// The bytes of a file from `offset` on.
class file_source : public byte_source {
 public:
  file_source(const std::filesystem::path& file, std::uint64_t offset = 0)
      : byte_source(size_from(file, offset)), in_(file, std::ios::binary) {
    if (!in_) throw invalid_dicom("the file cannot be opened");
    in_.seekg(static_cast<std::streamoff>(offset));
  }

 private:
  static std::uint64_t size_from(const std::filesystem::path& file, std::uint64_t offset) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) throw invalid_dicom("the file cannot be opened");
    return size > offset ? size - offset : 0;
  }

  std::size_t fill(char* buf, std::size_t cap) override {
    in_.read(buf, static_cast<std::streamsize>(cap));
    return static_cast<std::size_t>(in_.gcount());
  }

  void discard(std::uint64_t n) override {
    in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
  }

  std::ifstream in_;
};

/// The inflated bytes of a raw deflate stream that starts at `offset` in a file.
class inflate_source : public byte_source {
 public:
  /// Inflates the whole stream once to learn its size; throws unless it is complete and valid.
  static std::unique_ptr<inflate_source> open(const std::filesystem::path& file,
                                              std::uint64_t offset) {
    std::uint64_t size = 0;
    {
      inflate_source counter(file, offset, 0);
      std::vector<char> scratch(1 << 16);
      while (const auto n = counter.fill(scratch.data(), scratch.size())) size += n;
    }
    return std::unique_ptr<inflate_source>(new inflate_source(file, offset, size));
  }

  ~inflate_source() override { inflateEnd(&z_); }
  inflate_source(const inflate_source&) = delete;
  inflate_source& operator=(const inflate_source&) = delete;

 private:
  inflate_source(const std::filesystem::path& file, std::uint64_t offset, std::uint64_t size)
      : byte_source(size), in_(file, std::ios::binary) {
    if (!in_) throw invalid_dicom("the file cannot be opened");
    in_.seekg(static_cast<std::streamoff>(offset));
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }

  std::size_t fill(char* buf, std::size_t cap) override {
    if (done_) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(cap);
    while (z_.avail_out == cap) {
      if (z_.avail_in == 0) {
        in_.read(input_.data(), static_cast<std::streamsize>(input_.size()));
        z_.next_in = reinterpret_cast<Bytef*>(input_.data());
        z_.avail_in = static_cast<uInt>(in_.gcount());
        if (z_.avail_in == 0) throw invalid_dicom("the deflated dataset is truncated");
      }
      const int r = inflate(&z_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        done_ = true;
        break;
      }
      if (r != Z_OK) throw invalid_dicom("the deflated dataset is corrupt");
    }
    return cap - z_.avail_out;
  }

  void discard(std::uint64_t n) override {
    std::vector<char> scratch(1 << 16);
    while (n > 0) {
      const auto got = fill(scratch.data(),
                            static_cast<std::size_t>(std::min<std::uint64_t>(n, scratch.size())));
      if (got == 0) throw invalid_dicom("the deflated dataset is truncated");
      n -= got;
    }
  }

  std::ifstream in_;
  std::vector<char> input_ = std::vector<char>(1 << 16);
  z_stream z_{};
  bool done_ = false;
};

std::uint16_t u16(const unsigned char* p, bool big_endian) {
  return big_endian ? static_cast<std::uint16_t>((p[0] << 8) | p[1])
                    : static_cast<std::uint16_t>((p[1] << 8) | p[0]);
}

std::uint32_t u32(const unsigned char* p, bool big_endian) {
  return big_endian ? (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | p[3]
                    : (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) |
                          (std::uint32_t{p[1]} << 8) | p[0];
}

bool is_vr_char(unsigned char c) { return c >= 'A' && c <= 'Z'; }

/// VRs whose explicit encoding has two reserved bytes and a 32-bit length.
bool has_long_length(std::string_view vr) {
  static constexpr std::array<std::string_view, 13> long_vrs = {
      "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
  return std::ranges::find(long_vrs, vr) != long_vrs.end();
}

bool is_short_length_vr(std::string_view vr) {
  static constexpr std::array<std::string_view, 21> short_vrs = {
      "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO",
      "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"};
  return std::ranges::find(short_vrs, vr) != short_vrs.end();
}

struct element_header {
  std::uint32_t tag = 0;
  std::string vr;  // "" in implicit VR and for item/delimiter tags
  std::uint32_t length = 0;
  bool zero_reserved = true;  // the two reserved bytes of a long explicit header are zero
};

/// The value size of a fixed-size binary VR (a value must be a whole number of them), else 0.
std::size_t binary_unit(std::string_view vr) {
  if (vr == "US" || vr == "SS" || vr == "OW") return 2;
  if (vr == "UL" || vr == "SL" || vr == "FL" || vr == "AT" || vr == "OF" || vr == "OL") return 4;
  if (vr == "FD" || vr == "OD" || vr == "SV" || vr == "UV" || vr == "OV") return 8;
  return 0;
}

/// Walks the element structure the way a strict DICOM parser does. GDCM, on anything unusual,
/// retries with heuristics for broken files, and some of those paths assert; so whatever this
/// walker accepts must be plain, well-formed DICOM: ascending tags, values that fit, undefined
/// lengths only where the standard allows them.
class structure_walker {
 public:
  explicit structure_walker(byte_source& in) : in_(in) {}

  /// Where the root pixel data element starts if it is the last root element walked so far and
  /// is plain (is_plain_pixel_data, even lengths).
  std::optional<std::uint64_t> trailing_pixel_data() const { return trailing_pixel_data_; }

  /// Walks a dataset until `end` (bounded) or, unbounded, until the end of the file (root) or
  /// an item delimiter (items of undefined length).
  void dataset(encoding enc, std::optional<std::uint64_t> end, bool undefined_item, int depth) {
    if (depth > max_depth) throw invalid_dicom("sequences are nested too deeply");
    std::optional<std::uint32_t> previous;
    for (;;) {
      if (end) {
        if (in_.pos() == *end) return;
      } else if (in_.remaining() == 0) {
        if (undefined_item) throw invalid_dicom("the file ends inside a sequence item");
        return;
      }
      const auto at = in_.pos();
      const auto h = header(enc);
      if (end && in_.pos() > *end) throw invalid_dicom("an element overruns its sequence item");
      if (h.tag == item_delimiter_tag) {
        if (undefined_item && h.length == 0) return;
        throw invalid_dicom("unexpected item delimiter at offset " + std::to_string(at));
      }
      if ((h.tag >> 16) == 0xfffe) {
        throw invalid_dicom("unexpected " + tag_text(h.tag) + " at offset " + std::to_string(at));
      }
      if (depth == 0 && (h.tag >> 16) == 0x0002) {
        throw invalid_dicom("file meta information element " + tag_text(h.tag) +
                            " inside the dataset");
      }
      // Duplicates are tolerated (GDCM keeps the first).
      if (previous && h.tag < *previous) {
        throw invalid_dicom("element " + tag_text(h.tag) + " at offset " + std::to_string(at) +
                            " is out of order (after " + tag_text(*previous) + ")");
      }
      previous = h.tag;
      const bool even = value(enc, h, end, depth);
      if (depth == 0) {
        trailing_pixel_data_.reset();
        if (h.tag == pixel_data_tag && even && is_plain_pixel_data(enc, h))
          trailing_pixel_data_ = at;
      }
    }
  }

 private:
  element_header header(encoding enc) {
    unsigned char b[8];
    in_.read(b, 4, "an element header");
    element_header h;
    h.tag = (std::uint32_t{u16(b, enc.big_endian)} << 16) | u16(b + 2, enc.big_endian);
    // Items and delimiters never have a VR, whatever the transfer syntax.
    if (!enc.explicit_vr || (h.tag >> 16) == 0xfffe) {
      in_.read(b + 4, 4, "an element header");
      h.length = u32(b + 4, enc.big_endian);
      return h;
    }
    in_.read(b + 4, 2, "an element header");
    h.vr.assign(reinterpret_cast<const char*>(b + 4), 2);
    if (has_long_length(h.vr)) {
      in_.read(b, 6, "an element header");  // 2 reserved bytes, then the length
      h.zero_reserved = b[0] == 0 && b[1] == 0;
      h.length = u32(b + 2, enc.big_endian);
    } else if (is_short_length_vr(h.vr)) {
      in_.read(b, 2, "an element header");
      h.length = u16(b, enc.big_endian);
    } else {
      throw invalid_dicom("invalid VR in element " + tag_text(h.tag) + " at offset " +
                          std::to_string(in_.pos() - 6));
    }
    return h;
  }

  /// Pixel data that GDCM writes back byte for byte: OB or OW (OB if encapsulated) with zero
  /// reserved bytes, or native pixel data in implicit VR.
  static bool is_plain_pixel_data(encoding enc, const element_header& h) {
    if (!enc.explicit_vr) return h.length != undefined_length;
    return h.zero_reserved && (h.vr == "OB" || (h.vr == "OW" && h.length != undefined_length));
  }

  /// Walks the value of `h`; true if it is not a sequence and it (or every fragment of
  /// encapsulated pixel data) has an even length.
  bool value(encoding enc, const element_header& h, std::optional<std::uint64_t> end, int depth) {
    if (h.length == undefined_length) {
      // Undefined length: a sequence of datasets, or encapsulated (fragmented) pixel data.
      if (h.tag == pixel_data_tag &&
          (!enc.explicit_vr || h.vr == "OB" || h.vr == "OW" || h.vr == "UN")) {
        return fragments(enc);
      }
      if (enc.explicit_vr && h.vr != "SQ" && h.vr != "UN") {
        throw invalid_dicom("element " + tag_text(h.tag) + " with VR " + h.vr +
                            " has an undefined length");
      }
      // A UN sequence of undefined length is implicit VR (CP-246); GDCM keeps the byte order.
      const encoding inner = h.vr == "UN" ? encoding{false, enc.big_endian} : enc;
      sequence(inner, std::nullopt, depth + 1);
      return false;
    }
    const auto bound = end.value_or(in_.size());
    if (h.length > bound - in_.pos()) {
      throw invalid_dicom(
          "the value of " + tag_text(h.tag) + " (" + std::to_string(h.length) +
          " bytes at offset " + std::to_string(in_.pos()) + ") does not fit in the " +
          (end ? std::string("enclosing item") : "file (size " + std::to_string(in_.size()) + ")"));
    }
    // GDCM reads an implicit VR length of 13 as 10 (a workaround for one vendor's files), which
    // would put it out of step with the file. Other odd lengths are tolerated, as GDCM does.
    if (!enc.explicit_vr && h.length == 13 && h.tag != tag_of(0x0008, 0x0070) &&
        h.tag != tag_of(0x0008, 0x0080)) {
      throw invalid_dicom("element " + tag_text(h.tag) + " has an odd length (13)");
    }
    if (const auto unit = binary_unit(h.vr); unit != 0 && h.length % unit != 0) {
      throw invalid_dicom("element " + tag_text(h.tag) + " with VR " + h.vr + " has length " +
                          std::to_string(h.length));
    }
    if (h.vr == "SQ") {
      if (h.tag == pixel_data_tag) throw invalid_dicom("pixel data encoded as a sequence");
      sequence(enc, in_.pos() + h.length, depth + 1);
      return false;
    }
    if (!enc.explicit_vr && looks_like_sequence(h.length, enc)) {
      sequence(enc, in_.pos() + h.length, depth + 1);
      return false;
    }
    in_.skip(h.length);
    return h.length % 2 == 0;
  }

  /// In implicit VR a defined-length sequence is only recognisable by its first item tag; other
  /// code parses it as one, so it must be well formed too.
  bool looks_like_sequence(std::uint32_t length, encoding enc) {
    if (length < 8) return false;
    unsigned char b[4];
    if (!in_.peek(b, 4)) return false;
    return ((std::uint32_t{u16(b, enc.big_endian)} << 16) | u16(b + 2, enc.big_endian)) == item_tag;
  }

  void sequence(encoding enc, std::optional<std::uint64_t> end, int depth) {
    if (depth > max_depth) throw invalid_dicom("sequences are nested too deeply");
    for (;;) {
      if (end && in_.pos() == *end) return;
      const auto at = in_.pos();
      if (end && *end - at < 8) throw invalid_dicom("an item overruns its sequence");
      unsigned char b[8];
      in_.read(b, 8, "a sequence item header");
      const auto tag = (std::uint32_t{u16(b, enc.big_endian)} << 16) | u16(b + 2, enc.big_endian);
      const auto length = u32(b + 4, enc.big_endian);
      if (tag == sequence_delimiter_tag && !end && length == 0) return;
      if (tag != item_tag) {
        throw invalid_dicom("expected a sequence item at offset " + std::to_string(at) +
                            ", found " + tag_text(tag));
      }
      if (length == undefined_length) {
        dataset(enc, std::nullopt, true, depth);
        if (end && in_.pos() > *end) throw invalid_dicom("an item overruns its sequence");
        continue;
      }
      const auto bound = end.value_or(in_.size());
      if (length > bound - in_.pos()) {
        throw invalid_dicom("a sequence item of " + std::to_string(length) + " bytes at offset " +
                            std::to_string(at) + " does not fit");
      }
      dataset(enc, in_.pos() + length, false, depth);
    }
  }

  bool fragments(encoding enc) {
    bool even = true;
    for (;;) {
      const auto at = in_.pos();
      unsigned char b[8];
      in_.read(b, 8, "an encapsulated pixel data item header");
      const auto tag = (std::uint32_t{u16(b, enc.big_endian)} << 16) | u16(b + 2, enc.big_endian);
      const auto length = u32(b + 4, enc.big_endian);
      if (tag == sequence_delimiter_tag && length == 0) return even;
      if (tag != item_tag || length == undefined_length) {
        throw invalid_dicom("malformed encapsulated pixel data at offset " + std::to_string(at));
      }
      if (length > in_.remaining()) {
        throw invalid_dicom("a pixel data fragment of " + std::to_string(length) +
                            " bytes at offset " + std::to_string(at) +
                            " does not fit in the file (size " + std::to_string(in_.size()) + ")");
      }
      even = even && length % 2 == 0;
      in_.skip(length);
    }
  }

  byte_source& in_;
  std::optional<std::uint64_t> trailing_pixel_data_;
};

/// What the file meta information says, and where the dataset starts.
struct file_layout {
  std::string transfer_syntax;
  std::string media_storage_sop_class;
  std::string media_storage_sop_instance;
  std::uint64_t dataset_start = 0;
  /// Where the root pixel data starts if it ends the file (a dataset that is not deflated).
  std::optional<std::uint64_t> trailing_pixel_data;
};

/// Reads the File Meta Information group (always explicit VR little endian; required after a
/// DICM prefix) from the current position.
file_layout read_meta(byte_source& in, bool preamble) {
  file_layout layout;
  unsigned char b[8];
  auto peek_group = [&](bool big_endian) -> std::optional<std::uint16_t> {
    if (!in.peek(b, 2)) return std::nullopt;
    return u16(b, big_endian);
  };
  if (!preamble) {
    // Without a preamble only a dataset that starts like one is taken for DICOM.
    const auto le = peek_group(false);
    const auto be = peek_group(true);
    if (!le || (*le != 0x0002 && *le != 0x0008 && *be != 0x0008)) {
      throw invalid_dicom("not a DICOM file (no DICM prefix and no DICOM dataset at the start)");
    }
  }
  if (preamble && peek_group(false) != std::uint16_t{0x0002}) {
    throw invalid_dicom("no file meta information after the DICM prefix");
  }
  std::optional<std::uint64_t> declared_end;  // by the group length (0002,0000), if present
  std::uint32_t previous = 0;
  while (peek_group(false) == std::uint16_t{0x0002}) {
    in.read(b, 4, "a file meta information element header");
    const auto tag = (std::uint32_t{u16(b, false)} << 16) | u16(b + 2, false);
    if (previous != 0 && tag <= previous) {
      throw invalid_dicom("file meta information element " + tag_text(tag) + " is out of order");
    }
    previous = tag;
    std::uint32_t length = 0;
    unsigned char h[6];
    in.read(h, 2, "a file meta information element header");
    const std::string_view vr(reinterpret_cast<char*>(h), 2);
    if (has_long_length(vr)) {
      in.read(h, 6, "a file meta information element header");
      length = u32(h + 2, false);
    } else if (is_short_length_vr(vr)) {
      in.read(h, 2, "a file meta information element header");
      length = u16(h, false);
    } else {
      throw invalid_dicom("invalid VR in file meta information element " + tag_text(tag));
    }
    if (length == undefined_length || length > in.remaining()) {
      throw invalid_dicom("the file meta information element " + tag_text(tag) +
                          " does not fit in the file");
    }
    if (tag == tag_of(0x0002, 0x0000) && length == 4) {
      in.read(h, 4, "the file meta information group length");
      declared_end = in.pos() + u32(h, false);
    } else if (auto* uid = tag == tag_of(0x0002, 0x0010)   ? &layout.transfer_syntax
                           : tag == tag_of(0x0002, 0x0002) ? &layout.media_storage_sop_class
                           : tag == tag_of(0x0002, 0x0003) ? &layout.media_storage_sop_instance
                                                           : nullptr) {
      if (length > 1024) throw invalid_dicom("oversized UID in " + tag_text(tag));
      *uid = std::string(trim(in.read_string(length, "a file meta information value")));
    } else {
      in.skip(length);
    }
  }
  // GDCM trusts the group length; a file cut inside the meta information must not reach it.
  if (declared_end && *declared_end != in.pos()) {
    throw invalid_dicom("the file meta information group length says it ends at offset " +
                        std::to_string(*declared_end) + " but its elements end at offset " +
                        std::to_string(in.pos()));
  }
  if (in.remaining() == 0) throw invalid_dicom("the file has no dataset");
  layout.dataset_start = in.pos();
  return layout;
}

/// The dataset encoding of a file without a transfer syntax, guessed from its first element.
encoding guess_encoding(byte_source& in) {
  unsigned char b[6];
  if (!in.peek(b, 6)) return {false, false};
  const bool big_endian = u16(b, false) > 0x00ff && u16(b, true) <= 0x00ff;
  const bool explicit_vr =
      is_vr_char(b[4]) && is_vr_char(b[5]) &&
      (has_long_length(std::string_view(reinterpret_cast<char*>(b + 4), 2)) ||
       is_short_length_vr(std::string_view(reinterpret_cast<char*>(b + 4), 2)));
  return {explicit_vr, big_endian};
}

/// Reads the preamble (if any) and the meta information of a file; `in` is left at the start
/// of the dataset.
file_layout read_layout(const std::filesystem::path& file, file_source& in) {
  bool preamble = false;
  {
    file_source head(file);
    if (head.size() == 0) throw invalid_dicom("the file is empty");
    if (head.size() >= 132) {
      char magic[4];
      head.skip(128);
      head.read(magic, 4, "the preamble");
      preamble = std::string_view(magic, 4) == "DICM";
    }
  }
  if (preamble) in.skip(132);
  return read_meta(in, preamble);
}

/// Checks the structure of the whole file (not the content of deflated datasets) and returns
/// what its meta information says.
file_layout check_structure(const std::filesystem::path& file) {
  file_source in(file);
  auto layout = read_layout(file, in);
  const auto& ts = layout.transfer_syntax;
  if (ts == deflated_ts) {
    auto inflated = inflate_source::open(file, layout.dataset_start);
    if (inflated->size() == 0) throw invalid_dicom("the deflated dataset is empty");
    structure_walker(*inflated).dataset(encoding{true, false}, std::nullopt, false, 0);
    return layout;
  }
  encoding enc;
  if (ts.empty()) {
    enc = guess_encoding(in);
  } else if (ts == implicit_le_ts) {
    enc = {false, false};
  } else if (ts == explicit_be_ts) {
    enc = {true, true};
  }
  structure_walker walker(in);
  walker.dataset(enc, std::nullopt, false, 0);
  layout.trailing_pixel_data = walker.trailing_pixel_data();
  return layout;
}

// ---------------------------------------------------------------------------------------------
// Value extraction with GDCM.
// ---------------------------------------------------------------------------------------------

std::string raw_value(const gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return {};
  const auto* bv = ds.GetDataElement(tag).GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr) return {};
  return std::string(bv->GetPointer(), bv->GetLength());
}

std::vector<std::string> components(const std::string& utf8) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto sep = utf8.find('\\', start);
    out.emplace_back(trim(std::string_view(utf8).substr(start, sep - start)));
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return out;
}

struct value_reader {
  const gdcm::DataSet& ds;
  const text_decoder& decoder;

  std::string first(std::uint16_t group, std::uint16_t element) const {
    const auto raw = raw_value(ds, group, element);
    if (raw.empty()) return {};
    return components(decoder.decode(raw)).front();
  }

  std::string all(std::uint16_t group, std::uint16_t element) const {
    const auto raw = raw_value(ds, group, element);
    if (raw.empty()) return {};
    const auto parts = components(decoder.decode(raw));
    std::string out = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) out.append("\\").append(parts[i]);
    return out;
  }
};

proto::image_attributes extract(const gdcm::DataSet& ds) {
  const text_decoder decoder(raw_value(ds, 0x0008, 0x0005));
  const value_reader v{ds, decoder};
  proto::image_attributes a;
  a.pat.patient_name = v.first(0x0010, 0x0010);
  a.pat.patient_id = v.first(0x0010, 0x0020);
  a.pat.patient_birth_date = v.first(0x0010, 0x0030);
  a.pat.patient_sex = v.first(0x0010, 0x0040);
  a.stu.study_instance_uid = v.first(0x0020, 0x000d);
  a.stu.study_description = v.first(0x0008, 0x1030);
  a.stu.study_date = v.first(0x0008, 0x0020);
  a.stu.study_id = v.first(0x0020, 0x0010);
  a.stu.accession_number = v.first(0x0008, 0x0050);
  a.stu.patient_age = v.first(0x0010, 0x1010);
  a.ser.series_instance_uid = v.first(0x0020, 0x000e);
  a.ser.series_description = v.first(0x0008, 0x103e);
  a.ser.series_date = v.first(0x0008, 0x0021);
  a.ser.modality = v.first(0x0008, 0x0060);
  a.ser.protocol_name = v.first(0x0018, 0x1030);
  a.ser.body_part_examined = v.first(0x0018, 0x0015);
  a.ser.manufacturer = v.first(0x0008, 0x0070);
  a.ser.station_name = v.first(0x0008, 0x1010);
  a.ser.frame_of_reference_uid = v.first(0x0020, 0x0052);
  a.img.sop_instance_uid = v.first(0x0008, 0x0018);
  a.img.image_type = v.all(0x0008, 0x0008);
  a.img.instance_number = v.first(0x0020, 0x0013);
  return a;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch; };
    return lower(x) == lower(y);
  });
}

}  // namespace

file_meta read_file_meta(const std::filesystem::path& file) {
  file_source in(file);
  auto layout = read_layout(file, in);
  return {std::move(layout.transfer_syntax), std::move(layout.media_storage_sop_class),
          std::move(layout.media_storage_sop_instance), layout.dataset_start};
}

header_info read_header(const std::filesystem::path& file) {
  gdcm::Reader reader;
  return read_header(file, reader).info;
}

read_header_result read_header(const std::filesystem::path& file, gdcm::Reader& reader) {
  const auto layout = check_structure(file);

  // GDCM reports what it tolerates on stderr; the caller reports what is rejected.
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
  });

  reader.SetFileName(file.c_str());
  const gdcm::Tag pixel_data(0x7fe0, 0x0010);
  bool ok = false;
  try {
    ok = reader.ReadUpToTag(pixel_data, {pixel_data});
  } catch (const std::exception& e) {
    throw invalid_dicom(std::string("the dataset cannot be parsed: ") + e.what());
  } catch (...) {
    ok = false;
  }
  if (!ok) throw invalid_dicom("the dataset cannot be parsed");
  const auto& ds = reader.GetFile().GetDataSet();
  if (layout.transfer_syntax == deflated_ts && ds.IsEmpty()) {
    throw invalid_dicom("the deflated dataset cannot be inflated");
  }

  header_info h;
  h.transfer_syntax_uid = layout.transfer_syntax;
  h.sop_class_uid = layout.media_storage_sop_class;
  if (h.sop_class_uid.empty()) h.sop_class_uid = std::string(trim(raw_value(ds, 0x0008, 0x0016)));
  h.attributes = extract(ds);
  h.patient_identity_removed = equals_ignore_case(trim(raw_value(ds, 0x0012, 0x0062)), "YES");
  return {std::move(h), layout.trailing_pixel_data};
}

void check_context(const header_info& h, const accepted_contexts& accepted) {
  if (accepted.sop_classes.contains(h.sop_class_uid) &&
      accepted.transfer_syntaxes.contains(h.transfer_syntax_uid)) {
    return;
  }
  auto shown = [](const std::string& s) { return s.empty() ? std::string("<empty>") : s; };
  throw invalid_dicom("The presentation context [SOPClassUID = " + shown(h.sop_class_uid) +
                      ", TransferSyntaxUID = " + shown(h.transfer_syntax_uid) +
                      "] is not supported");
}

namespace {

std::set<std::string> transfer_syntaxes(context_defaults d) {
  std::set<std::string> ts = {
      "1.2.840.10008.1.2",       // Implicit VR Little Endian
      "1.2.840.10008.1.2.1",     // Explicit VR Little Endian
      "1.2.840.10008.1.2.2",     // Explicit VR Big Endian
      "1.2.840.10008.1.2.1.99",  // Deflated Explicit VR Little Endian
      "1.2.840.10008.1.2.4.50",  // JPEG Baseline
  };
  if (d == context_defaults::node) {
    ts.insert({
        "1.2.840.10008.1.2.4.51",  // JPEG Extended (Process 2 and 4)
        "1.2.840.10008.1.2.4.57",  // JPEG Lossless (Process 14)
        "1.2.840.10008.1.2.4.70",  // JPEG Lossless, first-order prediction
        "1.2.840.10008.1.2.4.80",  // JPEG-LS Lossless
        "1.2.840.10008.1.2.4.81",  // JPEG-LS Near-Lossless
        "1.2.840.10008.1.2.4.90",  // JPEG 2000 Lossless Only
        "1.2.840.10008.1.2.4.91",  // JPEG 2000
        "1.2.840.10008.1.2.5",     // RLE Lossless
    });
  }
  return ts;
}

std::set<std::string> image_data_sop_classes(context_defaults d) {
  static constexpr std::array<std::string_view, 37> suffixes = {
      "1",      "1.1",    "501.2.2", "1.2",    "1.2.1",  "1.3",      "1.3.1",    "2",
      "2.1",    "3",      "3.1",     "4",      "4.1",    "4.2",      "6",        "6.1",
      "12.1",   "12.1.1", "12.2",    "12.2.1", "13.1.1", "13.1.2",   "13.1.3",   "14.1",
      "14.2",   "20",     "77.1.1",  "77.1.2", "77.1.3", "77.1.5.1", "77.1.5.2", "77.1.5.4",
      "77.1.6", "128",    "130",     "481.1",  "66.4"};
  std::set<std::string> out;
  for (const auto s : suffixes) out.insert("1.2.840.10008.5.1.4.1.1." + std::string(s));
  // The real DX For Processing class, missing from 2.1.1's list (it has `501.2.2` instead).
  if (d == context_defaults::node) out.insert("1.2.840.10008.5.1.4.1.1.1.1.1");
  return out;
}

}  // namespace

accepted_contexts image_data_contexts(context_defaults d) {
  return {transfer_syntaxes(d), image_data_sop_classes(d)};
}

accepted_contexts extended_contexts(context_defaults d) {
  auto c = image_data_contexts(d);
  for (const auto* s : {"7", "7.1", "7.2", "7.3", "7.4"}) {
    c.sop_classes.insert(std::string("1.2.840.10008.5.1.4.1.1.") + s);
  }
  return c;
}

}  // namespace sbx::dicom
