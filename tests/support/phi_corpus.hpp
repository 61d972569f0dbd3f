// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sbx::test {

/// One dataset of the PHI corpus.
struct phi_dataset {
  std::string name;
  std::filesystem::path file;
};

/// Writes DICOM files (built on test.dcm, so with pixel data) stuffed with identifying data:
/// every exact Appendix A tag (except command group 0000 and meta group 0002), sequences with
/// PHI nested at several depths, private groups with creators, the Appendix B safe private
/// attributes, overlays (60xx) and curves (50xx). Also: a Latin-1 dataset, an already anonymous
/// one, and one with blank identity attributes.
std::vector<phi_dataset> write_phi_corpus(const std::filesystem::path& dir);

/// One element of a file, flattened: sequence items become path steps.
struct flat_element {
  std::vector<std::uint32_t> tags;  ///< enclosing sequence tags, then the element's own tag
  std::string key;                  ///< e.g. "(0008,1140)[1](0008,1155)"
  std::string vr;                   ///< as read (explicit VR files)
  std::string value;                ///< raw bytes; pixel data fragments concatenated
  bool sequence = false;
  std::size_t items = 0;  ///< sequences only
};

/// Every element of a Part-10 file (meta header first), depth first.
std::vector<flat_element> read_flat(const std::filesystem::path& file);

}  // namespace sbx::test
