// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <vector>

#include "proto/tag_path.hpp"

namespace sbx::dicom {

/// What ingest applies to the data of one source (docs/api.md#filtering): the tag trees of every
/// blacklist and of every whitelist associated with it.
struct tag_filter {
  std::vector<proto::tag_path> blacklist;
  std::vector<proto::tag_path> whitelist;

  /// True if the filter removes nothing.
  bool empty() const { return blacklist.empty() && whitelist.empty(); }
};

/// Whether the filter keeps the element (or item) at `path` (docs/api.md#filtering): it is dropped
/// if a blacklist tree is its trunk; with whitelist trees it is kept only if it leads to one
/// (hasTrunk) or lies inside one (isTrunkOf). `sequence` says the element is a sequence: a tree
/// ending in that tag as a plain element does not match it (only `(gggg,eeee)[*]` drops a whole
/// sequence). Ancestors are not looked at: a caller walking a dataset stops at dropped ones.
bool keeps(const tag_filter& filter, const proto::tag_path& path, bool sequence);

/// Writes Part-10 file `in` filtered to `out` (docs/api.md#filtering): group lengths dropped,
/// sequences and items made undefined-length, then every element and item the filter does not keep
/// removed, at any depth. Deliberate deviation from 2.1.1
/// (docs/api.md#deviations-from-slicebox-211): the preamble and the File Meta Information are
/// always kept, so the output stays a valid Part-10 file. Everything else is copied as it is (pixel
/// data bit-exact). `in` must have passed read_header (GDCM aborts on malformed files). Throws
/// invalid_dicom if GDCM cannot read `in` after all, std::runtime_error if `out` cannot be written.
void filter_file(const std::filesystem::path& in, const std::filesystem::path& out,
                 const tag_filter& filter);

}  // namespace sbx::dicom
