// SPDX-License-Identifier: Apache-2.0
#include "actors/box_payload.hpp"

#include <zlib.h>

#include <stdexcept>
#include <vector>

namespace sbx::actors {

namespace {

constexpr std::size_t piece_size = 256 * 1024;

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

  impl(std::string h, std::filesystem::path f, std::uint64_t offset, bool t, int level)
      : head(std::move(h)), file(std::move(f)), temporary(t) {
    if (deflateInit(&z, level) != Z_OK) throw std::runtime_error("zlib: deflateInit failed");
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

payload_state inflate_payload(const std::filesystem::path& in, const std::filesystem::path& out,
                              std::string& why) {
  std::ifstream is(in, std::ios::binary);
  if (!is) throw std::runtime_error("cannot read " + in.string());
  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  if (!os) throw std::runtime_error("cannot write " + out.string());
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("zlib: inflateInit failed");
  std::vector<char> input(piece_size), output(piece_size);
  payload_state state = payload_state::truncated;
  bool more = true;
  while (more && state == payload_state::truncated) {
    is.read(input.data(), static_cast<std::streamsize>(input.size()));
    if (is.bad()) {
      inflateEnd(&z);
      throw std::runtime_error("cannot read " + in.string());
    }
    more = !is.eof();
    z.next_in = reinterpret_cast<Bytef*>(input.data());
    z.avail_in = static_cast<uInt>(is.gcount());
    if (z.avail_in == 0) break;
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
  inflateEnd(&z);
  os.flush();
  if (!os) throw std::runtime_error("cannot write " + out.string());
  if (state == payload_state::truncated) why = "the compressed payload ends before its end";
  return state;
}

}  // namespace sbx::actors
