// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sbx::dicom {

/// The hierarchy level of a value tag (docs/api.md#anonymization-keys), ordered PATIENT < STUDY <
/// SERIES < IMAGE.
enum class key_level : int { patient = 0, study = 1, series = 2, image = 3 };

/// A tag whose value an anonymization key records, and its level.
struct value_tag {
  std::uint32_t tag;
  key_level level;
};

/// The mandatory value tags and the default key attributes (docs/api.md#anonymization-keys), in
/// that order.
const std::vector<value_tag>& value_tags();

/// The root-level values of the value tags that are present and non-empty in a stored file
/// (components joined by a backslash). The file must have passed read_header.
std::map<std::uint32_t, std::string> root_values(const std::filesystem::path& file);

}  // namespace sbx::dicom
