// SPDX-License-Identifier: Apache-2.0
#include "dicom/gdcm_file_writer.hpp"

#include <fcntl.h>
#include <gdcmWriter.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <system_error>

namespace sbx::dicom {
namespace {

/// A file output buffer that reports success to its stream whatever happens, and remembers the
/// first error of the underlying writes.
class error_keeping_buffer : public std::streambuf {
 public:
  explicit error_keeping_buffer(int fd) : fd_(fd) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    drain();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    drain();
    return 0;
  }

 private:
  void drain() {
    const char* p = pbase();
    while (error_ == 0 && p < pptr()) {
      const auto n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        break;
      }
      p += n;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }

  int fd_;
  int error_ = 0;
  std::array<char, 64 * 1024> buffer_{};
};

}  // namespace

void write_file_with(gdcm::Writer& writer, const std::filesystem::path& out) {
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "creating " + out.string());
  error_keeping_buffer buffer{fd};
  std::ostream stream{&buffer};
  writer.SetStream(stream);
  const bool written = writer.Write();
  stream.flush();
  int error = buffer.error();
  if (::close(fd) != 0 && error == 0) error = errno;
  if (!written || error != 0) {
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
    if (error != 0)
      throw std::system_error(error, std::generic_category(), "writing " + out.string());
    throw std::runtime_error("Cannot write DICOM file " + out.string());
  }
}

}  // namespace sbx::dicom
