// SPDX-License-Identifier: Apache-2.0
#include "http/multipart.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/scratch_files.hpp"

using namespace sbx::http;
namespace fs = std::filesystem;
using sbx::test::read_bytes;
using sbx::test::scratch_dir;
using sbx::test::write_bytes;

namespace {

/// Writes `bytes` to a file in `dir` and returns its path.
fs::path write_in(const scratch_dir& dir, const std::string& bytes,
                  const std::string& name = "body") {
  write_bytes(dir / name, bytes);
  return dir / name;
}

const std::string boundary = "----sbxBoundary7MA4YWxkTrZu0gW";

struct part {
  std::string headers;  // complete header lines, each ending in CRLF
  std::string content;
};

part field(const std::string& name, const std::string& value) {
  return {"Content-Disposition: form-data; name=\"" + name + "\"\r\n", value};
}

part file_part(const std::string& content, const std::string& filename = "image.dcm",
               const std::string& name = "file") {
  return {"Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
              "\"\r\nContent-Type: application/octet-stream\r\n",
          content};
}

std::string body_of(const std::vector<part>& parts, const std::string& preamble = "",
                    const std::string& epilogue = "") {
  std::string out = preamble.empty() ? "" : preamble + "\r\n";
  for (const auto& p : parts)
    out += "--" + boundary + "\r\n" + p.headers + "\r\n" + p.content + "\r\n";
  return out + "--" + boundary + "--" + epilogue;
}

std::string random_bytes(std::size_t n, std::mt19937& rng) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("multipart_boundary reads form-data boundaries only", "[unit][http]") {
  CHECK(multipart_boundary("multipart/form-data; boundary=abc") == "abc");
  CHECK(multipart_boundary("multipart/form-data;boundary=abc") == "abc");
  CHECK(multipart_boundary("Multipart/Form-Data; BOUNDARY=xyz") == "xyz");
  CHECK(multipart_boundary("multipart/form-data; charset=utf-8; boundary=\"a b:c\"") == "a b:c");
  CHECK(multipart_boundary("multipart/form-data; boundary=\"q\\\"d\"; x=1") == "q\"d");
  CHECK(multipart_boundary(" multipart/form-data ; boundary=----WebKitFormBoundaryX ") ==
        "----WebKitFormBoundaryX");
  CHECK_FALSE(multipart_boundary("multipart/form-data"));
  CHECK_FALSE(multipart_boundary("multipart/form-data; boundary="));
  CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=\"\""));
  CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(201, 'b')));
  CHECK_FALSE(multipart_boundary("multipart/mixed; boundary=abc"));
  CHECK_FALSE(multipart_boundary("application/octet-stream"));
  CHECK_FALSE(multipart_boundary("application/dicom; boundary=abc"));
  CHECK_FALSE(multipart_boundary("text/plain"));
  CHECK_FALSE(multipart_boundary(""));
}

TEST_CASE("extract_part finds the file among other fields", "[unit][http]") {
  scratch_dir dir;
  const std::string content = "DICM\r\nnot\r\n--really\r\n--" + boundary.substr(0, 10) + "\r\n--" +
                              boundary.substr(0, boundary.size() - 1) + "x\r\nend";
  const auto body =
      write_in(dir, body_of({field("description", "first"), field("other", "\r\n"),
                             file_part(content), field("after", "last")},
                            "This is the preamble.", "\r\nThis is the epilogue.\r\n"));
  const auto got = extract_part(body, boundary, "file", dir / "out");
  CHECK(got.name == "file");
  CHECK(got.filename == "image.dcm");
  CHECK(got.file == dir / "out");
  CHECK(read_bytes(dir / "out") == content);

  const auto description = extract_part(body, boundary, "description", dir / "description");
  CHECK(description.filename == "");
  CHECK(read_bytes(dir / "description") == "first");
  extract_part(body, boundary, "other", dir / "other");
  CHECK(read_bytes(dir / "other") == "\r\n");
  extract_part(body, boundary, "after", dir / "after");
  CHECK(read_bytes(dir / "after") == "last");
}

TEST_CASE("extract_part reads headers in any case and quoted parameters", "[unit][http]") {
  scratch_dir dir;
  const auto body = write_in(
      dir,
      body_of({
          {"content-type: text/plain\r\n", "no disposition at all"},
          {"CONTENT-DISPOSITION: form-data; NAME=\"file\"; FileName=\"a;b \\\"c\\\".dcm\"\r\n"
           "X-Other:  whatever\r\n",
           "one"},
          {"Content-Disposition: form-data; name=\"file\"; filename=\"second.dcm\"\r\n", "two"},
          {"Content-Disposition: form-data; name=\"ext\"; filename=\"fallback.dcm\"; "
           "filename*=UTF-8''na%C3%AFve%20scan.dcm\r\n",
           "three"},
          {"Content-Disposition: form-data; name=empty\r\n", ""},
      }));
  const auto first = extract_part(body, boundary, "file", dir / "out");
  CHECK(first.filename == "a;b \"c\".dcm");
  CHECK(read_bytes(dir / "out") == "one");  // the first part of that name
  const auto ext = extract_part(body, boundary, "ext", dir / "ext");
  CHECK(ext.filename == "na\xc3\xafve scan.dcm");
  extract_part(body, boundary, "empty", dir / "empty");
  CHECK(fs::exists(dir / "empty"));
  CHECK(fs::file_size(dir / "empty") == 0);
}

TEST_CASE("extract_part accepts transport padding and a body without preamble", "[unit][http]") {
  scratch_dir dir;
  const std::string body = "--" + boundary + " \t\r\n" +
                           "Content-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--" +
                           boundary + "--";
  extract_part(write_in(dir, body), boundary, "file", dir / "out");
  CHECK(read_bytes(dir / "out") == "abc");
}

TEST_CASE("a boundary split across buffer reads is still found", "[unit][http]") {
  scratch_dir dir;
  std::mt19937 rng(42);
  const auto chunk = multipart_buffer_size;
  // Around the first and second buffer edges, every alignment of the delimiter.
  std::vector<std::size_t> sizes;
  for (std::size_t n = chunk - 320; n <= chunk + 320; ++n) sizes.push_back(n);
  for (std::size_t n = 2 * chunk - 40; n <= 2 * chunk + 240; n += 3) sizes.push_back(n);
  for (const auto n : sizes) {
    CAPTURE(n);
    // Content full of near-delimiters, so a partial match can straddle the edge too.
    std::string content = random_bytes(n, rng);
    const auto near = "\r\n--" + boundary.substr(0, boundary.size() - 1) + "!";
    for (std::size_t at = 0; at + near.size() < n; at += 997)
      content.replace(at, near.size(), near);
    const auto body =
        write_in(dir, body_of({field("a", "1"), file_part(content), field("b", "2")}));
    extract_part(body, boundary, "file", dir / "out");
    REQUIRE(read_bytes(dir / "out") == content);
    extract_part(body, boundary, "b", dir / "b");
    REQUIRE(read_bytes(dir / "b") == "2");
  }
}

TEST_CASE("a 5 MB binary part comes out byte-identical", "[unit][http]") {
  scratch_dir dir;
  std::mt19937 rng(7);
  auto content = random_bytes(5 * 1024 * 1024, rng);
  for (std::size_t at = 1000; at + 64 < content.size(); at += 100'003) {
    content.replace(at, 6, "\r\n--\r\n");
  }
  const auto body = write_in(dir, body_of({field("x", "y"), file_part(content)}, "preamble"));
  const auto got = extract_part(body, boundary, "file", dir / "out");
  CHECK(got.filename == "image.dcm");
  CHECK(fs::file_size(dir / "out") == content.size());
  CHECK(read_bytes(dir / "out") == content);
}

TEST_CASE("malformed bodies and missing fields are rejected", "[unit][http]") {
  scratch_dir dir;
  const auto good = body_of({field("a", "1"), file_part("payload"), field("b", "2")});

  CHECK_THAT(error_of([&] { extract_part(write_in(dir, good), boundary, "nope", dir / "out"); }),
             Catch::Contains("no part named 'nope'"));
  CHECK_FALSE(fs::exists(dir / "out"));

  // Missing closing boundary: the body just ends after a part.
  const auto unclosed = good.substr(0, good.rfind("--" + boundary + "--"));
  CHECK_THAT(
      error_of([&] { extract_part(write_in(dir, unclosed), boundary, "file", dir / "out"); }),
      Catch::Contains("no closing boundary"));
  CHECK_FALSE(fs::exists(dir / "out"));

  // No boundary at all, or a different one.
  CHECK_THAT(
      error_of([&] { extract_part(write_in(dir, "just bytes"), boundary, "file", dir / "o"); }),
      Catch::Contains("no boundary"));
  CHECK_THAT(error_of([&] { extract_part(write_in(dir, good), "other", "file", dir / "out"); }),
             Catch::Contains("no boundary"));
  CHECK_THAT(error_of([&] { extract_part(write_in(dir, ""), boundary, "file", dir / "out"); }),
             Catch::Contains("Malformed multipart body"));
  CHECK_THAT(error_of([&] { extract_part(write_in(dir, good), "", "file", dir / "out"); }),
             Catch::Contains("invalid boundary"));

  // A boundary followed by something other than a line break or "--".
  auto glued = good;
  glued.insert(glued.find(boundary) + boundary.size(), "X");
  CHECK_THAT(error_of([&] { extract_part(write_in(dir, glued), boundary, "file", dir / "out"); }),
             Catch::Contains("not followed by a line break"));

  // Part headers that never end, or a header line without a colon.
  const auto endless = "--" + boundary + "\r\n" + std::string(20'000, 'h');
  CHECK_THAT(error_of([&] { extract_part(write_in(dir, endless), boundary, "file", dir / "out"); }),
             Catch::Contains("too long"));
  const auto no_colon = "--" + boundary + "\r\nno colon here\r\n\r\nx\r\n--" + boundary + "--";
  CHECK_THAT(
      error_of([&] { extract_part(write_in(dir, no_colon), boundary, "file", dir / "out"); }),
      Catch::Contains("no ':'"));
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("a truncated body is rejected wherever it is cut", "[unit][http]") {
  scratch_dir dir;
  const auto body = body_of({field("a", "1"), file_part("0123456789\r\n--abc"), field("b", "2")},
                            "pre", "\r\npost");
  const auto closed = body.rfind("--" + boundary + "--") + boundary.size() + 4;
  for (std::size_t n = 0; n < body.size(); ++n) {
    CAPTURE(n);
    const auto file = write_in(dir, body.substr(0, n));
    if (n >= closed) {
      CHECK_NOTHROW(extract_part(file, boundary, "file", dir / "out"));
    } else {
      CHECK_THROWS_AS(extract_part(file, boundary, "file", dir / "out"), std::invalid_argument);
      CHECK_FALSE(fs::exists(dir / "out"));
    }
  }
}

TEST_CASE("an unreadable body or output is an I/O error", "[unit][http]") {
  scratch_dir dir;
  CHECK_THROWS_AS(extract_part(dir / "missing", boundary, "file", dir / "out"), std::system_error);
  const auto body = write_in(dir, body_of({file_part("x")}));
  CHECK_THROWS_AS(extract_part(body, boundary, "file", dir / "no-such-dir" / "out"),
                  std::system_error);
}
