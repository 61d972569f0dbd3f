// SPDX-License-Identifier: Apache-2.0
// split_parts and multipart_related: the multipart/related bodies of STOW-RS
// (docs/dicomweb.md#stow-rs).
#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "http/multipart.hpp"
#include "support/scratch_files.hpp"

using namespace sbx::http;
namespace fs = std::filesystem;
using sbx::test::read_bytes;
using sbx::test::scratch_dir;
using sbx::test::write_bytes;

namespace {

/// Splits `body` into files part1, part2, ... of `dir`.
std::vector<related_part> split(const scratch_dir& dir, const std::string& body,
                                const std::string& boundary = "b0und") {
  write_bytes(dir / "body", body);
  int n = 0;
  return split_parts(dir / "body", boundary,
                     [&] { return fs::path(dir / ("part" + std::to_string(++n))); });
}

std::size_t files_in(const scratch_dir& dir) {
  std::size_t count = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) count += e.is_regular_file();
  return count;
}

}  // namespace

TEST_CASE("multipart_related reads the type and the boundary", "[unit][http]") {
  auto r = multipart_related(R"(Multipart/Related; type="application/dicom"; boundary="a b")");
  REQUIRE(r);
  CHECK(r->type == "application/dicom");
  CHECK(r->boundary == "a b");
  r = multipart_related("multipart/related; type=application/dicom");
  REQUIRE(r);
  CHECK(r->boundary.empty());
  CHECK_FALSE(multipart_related("multipart/form-data; boundary=x"));
  CHECK_FALSE(multipart_related("application/dicom"));
  CHECK(media_type_of("Application/DICOM; transfer-syntax=1.2.840.10008.1.2.1") ==
        "application/dicom");
}

TEST_CASE("split_parts writes every part to its own file, bytes unchanged", "[unit][http]") {
  scratch_dir dir;
  // Binary content with CR, LF and a near-boundary inside.
  const std::string first("\x00\r\n--b0un\r\n-\xff", 12);
  const std::string second = "plain";
  auto parts = split(dir, "preamble\r\n--b0und\r\nContent-Type: application/dicom\r\n\r\n" + first +
                              "\r\n--b0und\r\ncontent-type: text/plain\r\nX-Other: 1\r\n\r\n" +
                              second + "\r\n--b0und\r\n\r\n\r\n--b0und--\r\nepilogue");
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].content_type == "application/dicom");
  CHECK(read_bytes(parts[0].file) == first);
  CHECK(parts[1].content_type == "text/plain");
  CHECK(read_bytes(parts[1].file) == second);
  CHECK(parts[2].content_type.empty());
  CHECK(read_bytes(parts[2].file).empty());
}

TEST_CASE("split_parts refuses malformed bodies and leaves no part behind", "[unit][http]") {
  scratch_dir dir;
  for (const auto* body : {"no boundary at all", "--b0und\r\nContent-Type: a\r\n\r\nunfinished",
                           "--b0und\r\nno colon\r\n\r\nx\r\n--b0und--",
                           "--b0und garbage\r\n\r\nx\r\n--b0und--", "--b0und"}) {
    CHECK_THROWS_AS(split(dir, body), std::invalid_argument);
    CHECK(files_in(dir) == 1);  // only the body
  }
  CHECK_THROWS_AS(split(dir, "--\r\n", ""), std::invalid_argument);
  CHECK(split(dir, "--b0und--\r\n").empty());
}
