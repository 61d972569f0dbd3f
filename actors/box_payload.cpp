// SPDX-License-Identifier: Apache-2.0
#include "actors/box_payload.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sbx::actors {

namespace {

constexpr std::size_t piece_size = 256 * 1024;

/// Payloads up to this size are compressed and inflated as one buffer with libdeflate (two to
/// three times zlib's speed at the same level); larger ones stream through zlib.
constexpr std::uintmax_t whole_buffer_limit = std::uintmax_t{32} << 20;

/// `head` followed by `file` from `offset`, read into memory.
std::string read_whole(std::string_view head, const std::filesystem::path& file,
                       std::uint64_t offset, std::uintmax_t size) {
  std::string data(head);
  if (file.empty()) return data;
  data.resize(head.size() + (size - offset));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(data.data() + head.size(), static_cast<std::streamsize>(size - offset));
  if (in.gcount() != static_cast<std::streamsize>(size - offset))
    throw std::runtime_error("cannot read " + file.string());
  return data;
}

/// One zlib stream (RFC 1950) of `data` at `level`.
std::string zlib_of(const std::string& data, int level) {
  struct compressor_free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  // A compressor holds a few hundred KB of tables: one per thread and level, made once.
  thread_local std::unique_ptr<libdeflate_compressor, compressor_free> compressors[10];
  auto& c = compressors[std::clamp(level, 0, 9)];
  if (!c) c.reset(libdeflate_alloc_compressor(std::clamp(level, 0, 9)));
  if (!c) throw std::runtime_error("libdeflate: cannot allocate a compressor");
  std::string out(libdeflate_zlib_compress_bound(c.get(), data.size()), '\0');
  const auto n =
      libdeflate_zlib_compress(c.get(), data.data(), data.size(), out.data(), out.size());
  if (n == 0) throw std::runtime_error("libdeflate: compression failed");
  out.resize(n);
  return out;
}

/// The size of `file` from `offset` when it is small enough for one buffer.
std::optional<std::uintmax_t> whole_size(const std::filesystem::path& file, std::uint64_t offset) {
  if (file.empty()) return 0;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size < offset || size - offset > whole_buffer_limit) return std::nullopt;
  return size;
}

}  // namespace

struct payload_deflater::impl {
  std::string head;
  std::filesystem::path file;
  bool temporary;
  std::ifstream in;
  z_stream z{};
  bool input_done = false;
  bool finished = false;
  std::vector<char> input = std::vector<char>(piece_size);
  std::vector<char> output = std::vector<char>(piece_size);

  std::optional<std::string> whole;  ///< the whole stream, for a small payload
  std::size_t served = 0;            ///< of `whole`

  impl(std::string h, std::filesystem::path f, std::uint64_t offset, bool t, int level)
      : head(std::move(h)), file(std::move(f)), temporary(t) {
    if (deflateInit(&z, level) != Z_OK) throw std::runtime_error("zlib: deflateInit failed");
    if (auto size = whole_size(file, offset)) {
      whole = zlib_of(read_whole(head, file, offset, *size), level);
      input_done = finished = true;
      return;
    }
    z.next_in = reinterpret_cast<Bytef*>(head.data());
    z.avail_in = static_cast<uInt>(head.size());
    if (!file.empty()) {
      in.open(file, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read " + file.string());
      in.seekg(static_cast<std::streamoff>(offset));
    } else {
      input_done = true;
    }
  }

  ~impl() {
    deflateEnd(&z);
    if (temporary && !file.empty()) {
      in.close();
      std::error_code ec;
      std::filesystem::remove(file, ec);
    }
  }

  std::string_view next() {
    if (whole) {
      const auto piece = std::string_view(*whole).substr(served, piece_size);
      served += piece.size();
      return piece;
    }
    z.next_out = reinterpret_cast<Bytef*>(output.data());
    z.avail_out = static_cast<uInt>(output.size());
    while (z.avail_out > 0 && !finished) {
      if (z.avail_in == 0 && !input_done) {
        in.read(input.data(), static_cast<std::streamsize>(input.size()));
        if (in.bad()) throw std::runtime_error("cannot read " + file.string());
        z.next_in = reinterpret_cast<Bytef*>(input.data());
        z.avail_in = static_cast<uInt>(in.gcount());
        if (in.eof()) input_done = true;
        continue;
      }
      const int rc = deflate(&z, input_done && z.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_END)
        finished = true;
      else if (rc != Z_OK && rc != Z_BUF_ERROR)
        throw std::runtime_error("zlib: deflate failed");
      if (rc == Z_BUF_ERROR && z.avail_in == 0 && !input_done) continue;
    }
    return {output.data(), output.size() - z.avail_out};
  }
};

payload_deflater::payload_deflater(std::string head, std::filesystem::path file,
                                   std::uint64_t offset, bool temporary, int level)
    : impl_(std::make_unique<impl>(std::move(head), std::move(file), offset, temporary, level)) {}

payload_deflater::~payload_deflater() = default;

std::string_view payload_deflater::next() { return impl_->next(); }

void compress_payload(std::string_view head, const std::filesystem::path& file,
                      std::uint64_t offset, const std::filesystem::path& out, int level) {
  payload_deflater deflater(std::string(head), file, offset, false, level);
  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  if (!os) throw std::runtime_error("cannot write " + out.string());
  for (auto piece = deflater.next(); !piece.empty(); piece = deflater.next())
    os.write(piece.data(), static_cast<std::streamsize>(piece.size()));
  os.flush();
  if (!os) throw std::runtime_error("cannot write " + out.string());
}

std::string compress_payload(std::string_view head, const std::filesystem::path& file,
                             std::uint64_t offset, int level) {
  if (auto size = whole_size(file, offset))
    return zlib_of(read_whole(head, file, offset, *size), level);
  payload_deflater deflater(std::string(head), file, offset, false, level);
  std::string out;
  for (auto piece = deflater.next(); !piece.empty(); piece = deflater.next()) out.append(piece);
  return out;
}

namespace {

/// Inflates what `read` gives (a piece into the buffer, 0 at the end) into `out`.
template <class Read>
payload_state inflate_into(Read read, const std::filesystem::path& out, std::string& why) {
  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  if (!os) throw std::runtime_error("cannot write " + out.string());
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("zlib: inflateInit failed");
  std::vector<char> output(piece_size);
  payload_state state = payload_state::truncated;
  try {
    while (state == payload_state::truncated) {
      const auto [data, size] = read();
      if (size == 0) break;
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
      z.avail_in = static_cast<uInt>(size);
      while (z.avail_in > 0 || state == payload_state::truncated) {
        z.next_out = reinterpret_cast<Bytef*>(output.data());
        z.avail_out = static_cast<uInt>(output.size());
        const int rc = inflate(&z, Z_NO_FLUSH);
        os.write(output.data(), static_cast<std::streamsize>(output.size() - z.avail_out));
        if (rc == Z_STREAM_END) {
          state = payload_state::complete;
          break;
        }
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
          why = z.msg ? z.msg : "not a zlib stream";
          state = payload_state::corrupt;
          break;
        }
        if (rc == Z_BUF_ERROR || (z.avail_in == 0 && z.avail_out > 0)) break;  // needs more input
      }
    }
  } catch (...) {
    inflateEnd(&z);
    throw;
  }
  inflateEnd(&z);
  os.flush();
  if (!os) throw std::runtime_error("cannot write " + out.string());
  if (state == payload_state::truncated) why = "the compressed payload ends before its end";
  return state;
}

}  // namespace

namespace {

/// Inflates a small payload in one go with libdeflate into `out`; false (nothing written) when
/// it cannot, e.g. the stream is damaged or incomplete, which the streaming path then tells
/// apart.
bool inflate_whole(std::string_view in, const std::filesystem::path& out) {
  if (in.size() > whole_buffer_limit) return false;
  struct decompressor_free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, decompressor_free> d{
      libdeflate_alloc_decompressor()};
  if (!d) return false;
  // Pixel data rarely shrinks below a third; the buffer grows for what compresses better.
  std::string data(3 * in.size() + 4096, '\0');
  for (;;) {
    std::size_t used_in = 0, used_out = 0;
    const auto rc = libdeflate_zlib_decompress_ex(d.get(), in.data(), in.size(), data.data(),
                                                  data.size(), &used_in, &used_out);
    if (rc == LIBDEFLATE_SUCCESS) {
      data.resize(used_out);
      break;
    }
    if (rc != LIBDEFLATE_INSUFFICIENT_SPACE || data.size() >= (std::size_t{256} << 20))
      return false;
    data.resize(data.size() * 4);
  }
  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  if (!os) throw std::runtime_error("cannot write " + out.string());
  os.write(data.data(), static_cast<std::streamsize>(data.size()));
  os.flush();
  if (!os) throw std::runtime_error("cannot write " + out.string());
  return true;
}

}  // namespace

payload_state inflate_payload(const std::filesystem::path& in, const std::filesystem::path& out,
                              std::string& why) {
  if (auto size = whole_size(in, 0); size && *size > 0) {
    if (inflate_whole(read_whole({}, in, 0, *size), out)) return payload_state::complete;
  }
  std::ifstream is(in, std::ios::binary);
  if (!is) throw std::runtime_error("cannot read " + in.string());
  std::vector<char> input(piece_size);
  auto read = [&]() -> std::pair<const char*, std::size_t> {
    is.read(input.data(), static_cast<std::streamsize>(input.size()));
    if (is.bad()) throw std::runtime_error("cannot read " + in.string());
    return {input.data(), static_cast<std::size_t>(is.gcount())};
  };
  return inflate_into(read, out, why);
}

payload_state inflate_payload(std::string_view in, const std::filesystem::path& out,
                              std::string& why) {
  if (inflate_whole(in, out)) return payload_state::complete;
  auto read = [&]() -> std::pair<const char*, std::size_t> {
    const auto piece = in.substr(0, std::min(in.size(), piece_size));
    in.remove_prefix(piece.size());
    return {piece.data(), piece.size()};
  };
  return inflate_into(read, out, why);
}

}  // namespace sbx::actors
