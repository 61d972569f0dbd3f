// SPDX-License-Identifier: Apache-2.0
#include "http/multipart.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace sbx::http {

namespace {

// RFC 2046 allows 70 characters; some clients send more, so be generous but bounded.
constexpr std::size_t max_boundary = 200;
// All header lines of one part together; a part's headers are a few hundred bytes in practice.
constexpr std::size_t max_part_headers = 16 * 1024;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void malformed(const std::string& why) {
  throw std::invalid_argument("Malformed multipart body: " + why);
}

/// A header value's leading token and its `; name=value` parameters (names lower-cased, quoted
/// values unquoted), e.g. `form-data; name="file"; filename="a.dcm"`.
struct header_value {
  std::string token;
  std::vector<std::pair<std::string, std::string>> params;

  const std::string* param(std::string_view name) const {
    for (const auto& [n, v] : params) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

header_value parse_header_value(std::string_view s) {
  header_value out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  const auto semi = s.find(';');
  out.token = std::string(trim(s.substr(0, semi)));
  if (semi == std::string_view::npos) return out;
  i = semi + 1;
  while (i < s.size()) {
    skip_space();
    const auto name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';') ++i;
    std::string name(trim(s.substr(name_start, i - name_start)));
    std::ranges::transform(name, name.begin(), lower);
    std::string value;
    if (i < s.size() && s[i] == '=') {
      ++i;
      skip_space();
      if (i < s.size() && s[i] == '"') {
        // quoted-string: backslash escapes the next character.
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value.push_back(s[i++]);
        }
        if (i < s.size()) ++i;  // closing quote
        while (i < s.size() && s[i] != ';') ++i;
      } else {
        const auto value_start = i;
        while (i < s.size() && s[i] != ';') ++i;
        value = std::string(trim(s.substr(value_start, i - value_start)));
      }
    }
    if (i < s.size() && s[i] == ';') ++i;
    if (!name.empty()) out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

/// Decodes an RFC 5987 extended value (`UTF-8''na%C3%AFve.dcm`); nullopt if it is not one.
std::optional<std::string> decode_ext_value(std::string_view v) {
  const auto quote = v.find("''");
  if (quote == std::string_view::npos) return std::nullopt;
  if (!iequals(v.substr(0, quote), "utf-8")) return std::nullopt;
  std::string out;
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = quote + 2; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2])));
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

/// An open file descriptor, closed on scope exit.
class fd_handle {
 public:
  explicit fd_handle(int fd) : fd_(fd) {}
  ~fd_handle() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_handle(const fd_handle&) = delete;
  fd_handle& operator=(const fd_handle&) = delete;
  int get() const { return fd_; }
  /// Closes now, reporting a failure (a write error can surface only here).
  void close(const std::filesystem::path& p) {
    const int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0) {
      throw std::system_error(errno, std::generic_category(), "closing " + p.string());
    }
  }

 private:
  int fd_;
};

/// Buffered reads over the body file; `"\r\n"` is put in front so that a body that starts with
/// its first boundary needs no special case (every delimiter is then CRLF "--" boundary).
class body_reader {
 public:
  explicit body_reader(const std::filesystem::path& p)
      : path_(p), fd_(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_.get() < 0) {
      throw std::system_error(errno, std::generic_category(), "opening " + p.string());
    }
    buffer_.resize(multipart_buffer_size + max_boundary + 8);
    buffer_[0] = '\r';
    buffer_[1] = '\n';
    end_ = 2;
  }

  std::string_view available() const { return {buffer_.data() + begin_, end_ - begin_}; }
  void consume(std::size_t n) { begin_ += n; }

  /// Reads more (keeping what is unconsumed); false at the end of the file.
  bool fill() {
    if (eof_) return false;
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) return true;  // full: the caller has enough to work on
    for (;;) {
      const auto n = ::read(fd_.get(), buffer_.data() + end_, buffer_.size() - end_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw std::system_error(errno, std::generic_category(), "reading " + path_.string());
      if (n == 0) {
        eof_ = true;
        return false;
      }
      end_ += static_cast<std::size_t>(n);
      return true;
    }
  }

  /// Makes at least `n` bytes available if the file has them; false if it ends first.
  bool need(std::size_t n) {
    while (end_ - begin_ < n) {
      if (!fill()) return end_ - begin_ >= n;
    }
    return true;
  }

 private:
  std::filesystem::path path_;
  fd_handle fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
};

using sink = std::function<void(std::string_view)>;

/// Passes the bytes up to the next `delimiter` to `out` and consumes the delimiter; false if the
/// body ends first (everything read then went to `out`).
bool copy_until(body_reader& in, const std::string& delimiter, const sink& out) {
  const std::boyer_moore_horspool_searcher searcher(delimiter.begin(), delimiter.end());
  for (;;) {
    const auto data = in.available();
    const auto [found, found_end] = searcher(data.begin(), data.end());
    if (found != data.end()) {
      const auto n = static_cast<std::size_t>(found - data.begin());
      out(data.substr(0, n));
      in.consume(n + delimiter.size());
      return true;
    }
    // Everything but a possible start of the delimiter at the very end is content.
    if (data.size() >= delimiter.size()) {
      const auto safe = data.size() - (delimiter.size() - 1);
      out(data.substr(0, safe));
      in.consume(safe);
    }
    if (!in.fill()) {
      out(in.available());
      in.consume(in.available().size());
      return false;
    }
  }
}

/// The headers of one part that are read.
struct part_headers {
  std::string disposition;   ///< Content-Disposition's value
  std::string content_type;  ///< Content-Type's value
};

/// Reads one part's header lines up to the empty line.
part_headers read_part_headers(body_reader& in) {
  part_headers headers;
  std::size_t total = 0;
  for (;;) {
    std::size_t eol;
    for (;;) {
      eol = in.available().find("\r\n");
      if (eol != std::string_view::npos) break;
      if (in.available().size() > max_part_headers) malformed("part headers are too long");
      if (!in.fill()) malformed("the body ends inside the headers of a part");
    }
    const auto line = in.available().substr(0, eol);
    total += eol + 2;
    if (total > max_part_headers) malformed("part headers are too long");
    if (line.empty()) {
      in.consume(2);
      return headers;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) malformed("a part header line has no ':'");
    const auto name = trim(line.substr(0, colon));
    if (iequals(name, "content-disposition")) {
      headers.disposition = std::string(trim(line.substr(colon + 1)));
    } else if (iequals(name, "content-type")) {
      headers.content_type = std::string(trim(line.substr(colon + 1)));
    }
    in.consume(eol + 2);
  }
}

/// Creates (truncating) a part's file; its descriptor.
int create_file(const std::filesystem::path& p) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "creating " + p.string());
  return fd;
}

/// Content written to `fd`, the file `p`.
sink file_sink(int fd, const std::filesystem::path& p) {
  return [fd, p](std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "writing " + p.string());
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  };
}

/// Streams through every part of a multipart body: `open(headers)` says where a part's content
/// goes, `close()` runs once it is complete. Throws std::invalid_argument if the body is malformed.
template <class Open, class Close>
void walk_parts(const std::filesystem::path& body, std::string_view boundary, Open open,
                Close close) {
  if (boundary.empty() || boundary.size() > max_boundary) {
    throw std::invalid_argument("Malformed multipart body: invalid boundary");
  }
  const std::string delimiter = "\r\n--" + std::string(boundary);
  body_reader in(body);
  // The preamble, up to the first delimiter, is ignored.
  if (!copy_until(in, delimiter, [](std::string_view) {})) {
    malformed("no boundary '" + std::string(boundary) + "' found");
  }
  for (std::size_t index = 1;; ++index) {
    // After a delimiter: "--" closes the body (the epilogue is ignored); otherwise optional
    // transport padding and CRLF, then a part.
    if (!in.need(2)) malformed("the body ends after a boundary");
    if (in.available().starts_with("--")) break;
    while (in.need(1) && (in.available()[0] == ' ' || in.available()[0] == '\t')) in.consume(1);
    if (!in.need(2) || !in.available().starts_with("\r\n")) {
      malformed("a boundary is not followed by a line break");
    }
    in.consume(2);
    const sink content = open(read_part_headers(in));
    if (!copy_until(in, delimiter, content)) {
      malformed("the body ends inside part " + std::to_string(index) + " (no closing boundary)");
    }
    close();
  }
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const auto value = parse_header_value(content_type);
  if (!iequals(value.token, "multipart/form-data")) return std::nullopt;
  const auto* boundary = value.param("boundary");
  if (boundary == nullptr || boundary->empty() || boundary->size() > max_boundary) {
    return std::nullopt;
  }
  if (boundary->find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return *boundary;
}

multipart_part extract_part(const std::filesystem::path& body, std::string_view boundary,
                            std::string_view field, const std::filesystem::path& out) {
  std::optional<multipart_part> found;
  std::optional<fd_handle> target;
  bool created = false;
  bool writing = false;
  try {
    walk_parts(
        body, boundary,
        [&](const part_headers& headers) -> sink {
          const auto disposition = parse_header_value(headers.disposition);
          const auto* name = disposition.param("name");
          writing = !found && name != nullptr && *name == field &&
                    iequals(disposition.token, "form-data");
          if (!writing) return [](std::string_view) {};
          multipart_part part;
          part.name = *name;
          if (const auto* ext = disposition.param("filename*")) {
            if (auto decoded = decode_ext_value(*ext)) part.filename = std::move(*decoded);
          }
          if (part.filename.empty()) {
            if (const auto* filename = disposition.param("filename")) part.filename = *filename;
          }
          part.file = out;
          found = std::move(part);
          target.emplace(create_file(out));
          created = true;
          return file_sink(target->get(), out);
        },
        [&] {
          if (writing) target->close(out);
          writing = false;
        });
    if (!found) {
      throw std::invalid_argument("The multipart body has no part named '" + std::string(field) +
                                  "'");
    }
    return std::move(*found);
  } catch (...) {
    target.reset();
    if (created) {
      std::error_code ec;
      std::filesystem::remove(out, ec);
    }
    throw;
  }
}

std::optional<related_type> multipart_related(std::string_view content_type) {
  const auto value = parse_header_value(content_type);
  if (!iequals(value.token, "multipart/related")) return std::nullopt;
  related_type out;
  if (const auto* type = value.param("type")) out.type = *type;
  const auto* boundary = value.param("boundary");
  if (boundary != nullptr && !boundary->empty() && boundary->size() <= max_boundary &&
      boundary->find_first_of("\r\n") == std::string::npos)
    out.boundary = *boundary;
  return out;
}

std::string media_type_of(std::string_view content_type) {
  auto token = parse_header_value(content_type).token;
  std::ranges::transform(token, token.begin(), lower);
  return token;
}

std::vector<related_part> split_parts(const std::filesystem::path& body, std::string_view boundary,
                                      const std::function<std::filesystem::path()>& next_path) {
  std::vector<related_part> parts;
  std::optional<fd_handle> target;
  try {
    walk_parts(
        body, boundary,
        [&](const part_headers& headers) -> sink {
          parts.push_back({headers.content_type, next_path()});
          target.emplace(create_file(parts.back().file));
          return file_sink(target->get(), parts.back().file);
        },
        [&] { target->close(parts.back().file); });
    return parts;
  } catch (...) {
    target.reset();
    for (const auto& p : parts) {
      std::error_code ec;
      std::filesystem::remove(p.file, ec);
    }
    throw;
  }
}

}  // namespace sbx::http
