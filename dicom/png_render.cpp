// SPDX-License-Identifier: Apache-2.0
#include "dicom/png_render.hpp"

#include <gdcmBoxRegion.h>
#include <gdcmDataSet.h>
#include <gdcmImage.h>
#include <gdcmImageApplyLookupTable.h>
#include <gdcmImageChangePhotometricInterpretation.h>
#include <gdcmImageReader.h>
#include <gdcmImageRegionReader.h>
#include <gdcmReader.h>
#include <gdcmTransferSyntax.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace sbx::dicom {

namespace {

using kind = render_error::kind;

[[noreturn]] void undecodable(const std::string& why) {
  throw render_error(kind::undecodable, "cannot render pixel data: " + why);
}

/// An 8-bit picture ready for PNG: `channels` interleaved samples per pixel.
struct picture {
  std::size_t width = 0;
  std::size_t height = 0;
  int channels = 1;
  std::vector<std::uint8_t> pixels;
};

/// How the decoded buffer stores one sample.
struct sample_format {
  unsigned bits_allocated = 0;
  unsigned bits_stored = 0;
  unsigned high_bit = 0;
  bool is_signed = false;
};

sample_format format_of(const gdcm::PixelFormat& pf) {
  sample_format f;
  f.bits_allocated = pf.GetBitsAllocated();
  f.bits_stored = pf.GetBitsStored();
  f.high_bit = pf.GetHighBit();
  f.is_signed = pf.GetPixelRepresentation() == 1;
  if (f.bits_stored == 0 || f.bits_stored > f.bits_allocated) f.bits_stored = f.bits_allocated;
  if (f.high_bit + 1 < f.bits_stored || f.high_bit >= f.bits_allocated)
    f.high_bit = f.bits_stored - 1;
  return f;
}

/// Calls fn(i, value) for samples [first, first + n) of the buffer, each value masked to
/// BitsStored and sign-extended (decoders differ in whether they already did either).
template <typename Raw, typename Fn>
void for_each_value(const std::vector<char>& buf, std::size_t first, std::size_t n,
                    const sample_format& f, Fn&& fn) {
  static_assert(std::is_unsigned_v<Raw>);
  if ((first + n) * sizeof(Raw) > buf.size()) undecodable("pixel data shorter than expected");
  const unsigned shift = f.high_bit + 1 - f.bits_stored;
  const std::uint64_t mask =
      f.bits_stored >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << f.bits_stored) - 1;
  const std::uint64_t sign_bit = std::uint64_t{1} << (f.bits_stored - 1);
  const char* p = buf.data() + first * sizeof(Raw);
  for (std::size_t i = 0; i < n; ++i, p += sizeof(Raw)) {
    Raw raw;
    std::memcpy(&raw, p, sizeof(Raw));
    const std::uint64_t v = (std::uint64_t{raw} >> shift) & mask;
    const std::int64_t s = f.is_signed && (v & sign_bit) ? static_cast<std::int64_t>(v | ~mask)
                                                         : static_cast<std::int64_t>(v);
    fn(i, s);
  }
}

template <typename Fn>
void for_each_value(const std::vector<char>& buf, std::size_t first, std::size_t n,
                    const sample_format& f, Fn&& fn) {
  switch (f.bits_allocated) {
    case 1: {  // packed, least significant bit first; frames are not byte-aligned
      if ((first + n + 7) / 8 > buf.size()) undecodable("pixel data shorter than expected");
      const auto* d = reinterpret_cast<const unsigned char*>(buf.data());
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t bit = first + i;
        fn(i, static_cast<std::int64_t>((d[bit / 8] >> (bit % 8)) & 1U));
      }
      return;
    }
    case 8:
      return for_each_value<std::uint8_t>(buf, first, n, f, fn);
    case 16:
      return for_each_value<std::uint16_t>(buf, first, n, f, fn);
    case 32:
      return for_each_value<std::uint32_t>(buf, first, n, f, fn);
    default:
      undecodable("unsupported BitsAllocated " + std::to_string(f.bits_allocated));
  }
}

/// The first value of a decimal-string attribute, if present and numeric.
std::optional<double> first_number(const gdcm::DataSet& ds, gdcm::Tag tag) {
  if (!ds.FindDataElement(tag)) return std::nullopt;
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  if (!bv || bv->GetLength() == 0) return std::nullopt;
  std::string s(bv->GetPointer(), bv->GetLength());
  s = s.substr(0, s.find('\\'));
  const char* begin = s.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(v)) return std::nullopt;
  return v;
}

/// A linear VOI window (DICOM PS3.3 C.11.2.1.2.1).
struct voi_window {
  double center = 0;
  double width = 1;

  std::uint8_t apply(double x) const {
    const double lo = center - 0.5 - (width - 1) / 2;
    const double hi = center - 0.5 + (width - 1) / 2;
    if (x <= lo) return 0;
    if (x > hi) return 255;
    // Within [0, 255] here, where adding 0.5 and truncating rounds half up.
    const double scaled = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255;
    return static_cast<std::uint8_t>(scaled + 0.5);  // NOLINT(bugprone-incorrect-roundings)
  }
};

/// The window to use: the client's, else the dataset's own when it shows something, else the
/// frame's value range mapped onto 0..255 (as dcmtk's min-max window).
voi_window choose_window(const png_options& o, const gdcm::DataSet& ds, double min, double max) {
  if (o.window_min < o.window_max) {
    // Slicebox 2.1.1 used center (max - min) / 2; we use the conventional center
    // (docs/api.md#deviations-from-slicebox-211).
    const auto lo = static_cast<double>(o.window_min);
    const auto hi = static_cast<double>(o.window_max);
    return {(lo + hi) / 2, hi - lo};
  }
  const auto c = first_number(ds, gdcm::Tag(0x0028, 0x1050));
  const auto w = first_number(ds, gdcm::Tag(0x0028, 0x1051));
  if (c && w && *w >= 1) {
    // A window that maps the whole frame onto a handful of grey levels (test.dcm's WC 0 /
    // WW 65536) shows nothing: such a window is treated as absent.
    const voi_window own{*c, *w};
    if (std::abs(int{own.apply(max)} - int{own.apply(min)}) >= 16) return own;
  }
  return {(min + max + 1) / 2, max - min + 1};
}

picture render_grey(const std::vector<char>& buf, std::size_t first, std::size_t w, std::size_t h,
                    const sample_format& f, bool inverted, const gdcm::DataSet& ds,
                    const png_options& o) {
  const std::size_t n = w * h;
  const double slope = first_number(ds, gdcm::Tag(0x0028, 0x1053)).value_or(1.0);
  const double intercept = first_number(ds, gdcm::Tag(0x0028, 0x1052)).value_or(0.0);
  std::vector<float> values(n);
  double min = std::numeric_limits<double>::max();
  double max = std::numeric_limits<double>::lowest();
  const bool identity = slope == 1.0 && intercept == 0.0;
  for_each_value(buf, first, n, f, [&](std::size_t i, std::int64_t s) {
    const double v = identity ? static_cast<double>(s) : static_cast<double>(s) * slope + intercept;
    values[i] = static_cast<float>(v);
    min = std::min(min, v);
    max = std::max(max, v);
  });
  const voi_window win = choose_window(o, ds, min, max);
  picture p{w, h, 1, std::vector<std::uint8_t>(n)};
  if (f.bits_allocated <= 16 && identity && max - min < 65536) {
    // Integer values in a small range: one table lookup per pixel.
    std::vector<std::uint8_t> lut(static_cast<std::size_t>(max - min) + 1);
    for (std::size_t k = 0; k < lut.size(); ++k) lut[k] = win.apply(min + static_cast<double>(k));
    const auto base = static_cast<float>(min);
    for (std::size_t i = 0; i < n; ++i)
      p.pixels[i] = lut[static_cast<std::size_t>(values[i] - base)];
  } else {
    for (std::size_t i = 0; i < n; ++i) p.pixels[i] = win.apply(values[i]);
  }
  if (inverted)
    for (auto& v : p.pixels) v = static_cast<std::uint8_t>(255 - v);
  return p;
}

picture render_colour(const std::vector<char>& buf, std::size_t first, std::size_t w, std::size_t h,
                      const sample_format& f, bool planar, bool subsampled,
                      gdcm::PhotometricInterpretation pi) {
  const std::size_t n = w * h;
  const bool is_ybr = pi == gdcm::PhotometricInterpretation::YBR_FULL ||
                      pi == gdcm::PhotometricInterpretation::YBR_FULL_422;
  // Uncompressed YBR_FULL_422 stays subsampled: Y0 Y1 Cb Cr per pair of pixels.
  const std::size_t count = subsampled ? n * 2 : n * 3;
  std::vector<std::uint8_t> samples(count);
  const int down = f.bits_stored > 8 ? static_cast<int>(f.bits_stored) - 8 : 0;
  const int up = f.bits_stored < 8 ? 8 - static_cast<int>(f.bits_stored) : 0;
  for_each_value(buf, first, count, f, [&](std::size_t i, std::int64_t s) {
    const std::int64_t v = std::clamp<std::int64_t>((s >> down) << up, 0, 255);
    samples[i] = static_cast<std::uint8_t>(v);
  });
  picture p{w, h, 3, std::vector<std::uint8_t>(n * 3)};
  if (subsampled) {
    for (std::size_t pair = 0; pair < n / 2; ++pair) {
      const std::uint8_t* s = &samples[pair * 4];
      for (int k = 0; k < 2; ++k) {
        std::uint8_t* d = &p.pixels[(pair * 2 + k) * 3];
        d[0] = s[k];
        d[1] = s[2];
        d[2] = s[3];
      }
    }
  } else if (planar) {
    for (std::size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) p.pixels[i * 3 + c] = samples[c * n + i];
  } else {
    p.pixels = std::move(samples);
  }
  if (is_ybr) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint8_t* d = &p.pixels[i * 3];
      const std::uint8_t ybr[3] = {d[0], d[1], d[2]};
      gdcm::ImageChangePhotometricInterpretation::YBR2RGB<std::uint8_t>(d, ybr, 8);
    }
  }
  return p;
}

/// Bilinear scaling to `height`, width = floor(width * ratio).
picture scaled(const picture& in, std::size_t height) {
  const double ratio = static_cast<double>(height) / static_cast<double>(in.height);
  const auto width =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(in.width * ratio)));
  picture out{width, height, in.channels, std::vector<std::uint8_t>(width * height * in.channels)};
  const auto ch = static_cast<std::size_t>(in.channels);
  const double sx = static_cast<double>(in.width) / static_cast<double>(width);
  const double sy = static_cast<double>(in.height) / static_cast<double>(height);
  std::vector<std::size_t> x0(width), x1(width);
  std::vector<float> fx(width);
  for (std::size_t x = 0; x < width; ++x) {
    const double src = std::clamp((x + 0.5) * sx - 0.5, 0.0, static_cast<double>(in.width - 1));
    x0[x] = static_cast<std::size_t>(src);
    x1[x] = std::min(x0[x] + 1, in.width - 1);
    fx[x] = static_cast<float>(src - static_cast<double>(x0[x]));
  }
  for (std::size_t y = 0; y < height; ++y) {
    const double src = std::clamp((y + 0.5) * sy - 0.5, 0.0, static_cast<double>(in.height - 1));
    const auto y0 = static_cast<std::size_t>(src);
    const std::size_t y1 = std::min(y0 + 1, in.height - 1);
    const auto fy = static_cast<float>(src - static_cast<double>(y0));
    const std::uint8_t* r0 = &in.pixels[y0 * in.width * ch];
    const std::uint8_t* r1 = &in.pixels[y1 * in.width * ch];
    std::uint8_t* d = &out.pixels[y * width * ch];
    for (std::size_t x = 0; x < width; ++x)
      for (std::size_t c = 0; c < ch; ++c) {
        const float top = r0[x0[x] * ch + c] + (r0[x1[x] * ch + c] - r0[x0[x] * ch + c]) * fx[x];
        const float bottom = r1[x0[x] * ch + c] + (r1[x1[x] * ch + c] - r1[x0[x] * ch + c]) * fx[x];
        // Between two 8-bit samples, so never negative: + 0.5 and truncation round half up
        // without a library call per pixel.
        const float v = top + (bottom - top) * fy;
        d[x * ch + c] =
            static_cast<std::uint8_t>(v + 0.5F);  // NOLINT(bugprone-incorrect-roundings)
      }
  }
  return out;
}

/// PNG encoding is deflate-bound: level 1 with the SUB filter is several times faster than
/// libpng's defaults (level 6, adaptive filters) for ~10-25% larger files.
std::string encode_png(const picture& p) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) undecodable("libpng");
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    undecodable("PNG encoding failed");
  }
  png_set_write_fn(
      png, &out,
      [](png_structp s, png_bytep data, png_size_t len) {
        static_cast<std::string*>(png_get_io_ptr(s))->append(reinterpret_cast<char*>(data), len);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(p.width), static_cast<png_uint_32>(p.height), 8,
               p.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 1);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_write_info(png, info);
  const std::size_t stride = p.width * static_cast<std::size_t>(p.channels);
  for (std::size_t y = 0; y < p.height; ++y)
    png_write_row(png, const_cast<png_bytep>(&p.pixels[y * stride]));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

/// Decodes only the wanted frame of a compressed multi-frame image; false when the region
/// reader cannot (the caller then decodes everything).
bool read_one_frame(const std::filesystem::path& file, unsigned frame_index,
                    std::vector<char>& buf) {
  gdcm::ImageRegionReader rr;
  rr.SetFileName(file.c_str());
  if (!rr.ReadInformation()) return false;
  const gdcm::Image& image = rr.GetImage();
  gdcm::BoxRegion box;
  box.SetDomain(0, image.GetColumns() - 1, 0, image.GetRows() - 1, frame_index, frame_index);
  rr.SetRegion(box);
  const std::size_t len = rr.ComputeBufferLength();
  if (len == 0) return false;
  buf.assign(len, 0);
  return rr.ReadIntoBuffer(buf.data(), len);
}

/// GDCM 3.0.21 asserts (aborting the process) on an RT Dose without NumberOfFrames; such a
/// file is refused before the image reader sees it. The header read stops before PixelData.
void refuse_what_gdcm_aborts_on(const std::filesystem::path& file) {
  gdcm::Reader header;
  header.SetFileName(file.c_str());
  const gdcm::Tag pixel_data(0x7fe0, 0x0010);
  if (!header.ReadUpToTag(pixel_data, {pixel_data})) undecodable("not a DICOM file");
  const gdcm::DataSet& ds = header.GetFile().GetDataSet();
  const gdcm::Tag sop_class(0x0008, 0x0016);
  std::string uid;
  if (ds.FindDataElement(sop_class) && ds.GetDataElement(sop_class).GetByteValue()) {
    const gdcm::ByteValue* bv = ds.GetDataElement(sop_class).GetByteValue();
    uid.assign(bv->GetPointer(), bv->GetLength());
    uid = uid.substr(0, uid.find_last_not_of(std::string(" \0", 2)) + 1);
  }
  if (uid == "1.2.840.10008.5.1.4.1.1.481.2" && !ds.FindDataElement(gdcm::Tag(0x0028, 0x0008)))
    undecodable("RT Dose without NumberOfFrames");
}

}  // namespace

std::string render_png(const std::filesystem::path& file, const png_options& o) {
  refuse_what_gdcm_aborts_on(file);
  gdcm::ImageReader reader;
  reader.SetFileName(file.c_str());
  if (!reader.Read()) undecodable("not an image GDCM can read");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  const gdcm::Image& image = reader.GetImage();
  const std::size_t w = image.GetColumns();
  const std::size_t h = image.GetRows();
  const unsigned frames = image.GetNumberOfDimensions() == 3 ? image.GetDimension(2) : 1;
  if (o.frame < 1 || static_cast<unsigned>(o.frame) > frames)
    throw render_error(kind::bad_frame, "frame " + std::to_string(o.frame) + " of " +
                                            std::to_string(frames) + " does not exist");
  if (w == 0 || h == 0) undecodable("empty image");
  const unsigned index = static_cast<unsigned>(o.frame) - 1;
  const auto pi = image.GetPhotometricInterpretation();

  std::vector<char> buf;
  std::size_t first_sample = 0;  // of the wanted frame, in buf
  std::size_t per_frame = w * h * image.GetPixelFormat().GetSamplesPerPixel();
  gdcm::PixelFormat pf = image.GetPixelFormat();
  gdcm::PhotometricInterpretation out_pi = pi;
  bool planar = image.GetPlanarConfiguration() == 1;

  if (pi == gdcm::PhotometricInterpretation::PALETTE_COLOR) {
    gdcm::ImageApplyLookupTable lut;
    lut.SetInput(image);  // the reader's image lives on the heap (a filter keeps a pointer)
    if (!lut.Apply()) undecodable("palette lookup failed");
    const gdcm::Image& rgb = lut.GetOutput();
    buf.resize(rgb.GetBufferLength());
    if (!rgb.GetBuffer(buf.data())) undecodable("palette image");
    pf = rgb.GetPixelFormat();
    out_pi = gdcm::PhotometricInterpretation::RGB;
    planar = rgb.GetPlanarConfiguration() == 1;
    first_sample = std::size_t{index} * w * h * 3;
  } else {
    const bool compressed = image.GetTransferSyntax().IsEncapsulated();
    if (frames > 1 && compressed && pf.GetBitsAllocated() >= 8 &&
        read_one_frame(file, index, buf)) {
      first_sample = 0;
      per_frame = buf.size() / std::max<std::size_t>(1, pf.GetBitsAllocated() / 8);
    } else {
      buf.resize(image.GetBufferLength());
      if (!image.GetBuffer(buf.data()))
        undecodable("GDCM cannot decode " + std::string(image.GetTransferSyntax().GetString()));
      pf = image.GetPixelFormat();  // a decoder may correct it (e.g. J2K signedness)
      planar = image.GetPlanarConfiguration() == 1;
      // Samples per frame from the decoded length: uncompressed YBR_FULL_422 has 2 per pixel.
      per_frame = pf.GetBitsAllocated() == 1
                      ? w * h * pf.GetSamplesPerPixel()
                      : buf.size() / frames / std::max<std::size_t>(1, pf.GetBitsAllocated() / 8);
      first_sample = std::size_t{index} * per_frame;
    }
  }

  const sample_format f = format_of(pf);
  if (f.bits_allocated == 0 || f.bits_stored == 0) undecodable("no pixel format");
  picture p;
  if (pf.GetSamplesPerPixel() == 1) {
    const bool inverted = out_pi == gdcm::PhotometricInterpretation::MONOCHROME1;
    p = render_grey(buf, first_sample, w, h, f, inverted, ds, o);
  } else if (pf.GetSamplesPerPixel() == 3) {
    const bool subsampled = out_pi == gdcm::PhotometricInterpretation::YBR_FULL_422 &&
                            per_frame == w * h * 2 && w % 2 == 0;
    p = render_colour(buf, first_sample, w, h, f, planar, subsampled, out_pi);
  } else {
    undecodable("unsupported SamplesPerPixel " + std::to_string(pf.GetSamplesPerPixel()));
  }
  if (o.image_height > 0 && static_cast<std::size_t>(o.image_height) != p.height)
    p = scaled(p, static_cast<std::size_t>(o.image_height));
  return encode_png(p);
}

}  // namespace sbx::dicom
