// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "proto/image_attribute.hpp"
#include "proto/series_type.hpp"

namespace sbx::dicom {

/// True if the dataset listed by `attributes` (read_attributes of a series' first image) matches
/// the rule attribute (docs/api.md#series-types): the element `tag`, in item 1 of each sequence of
/// `tag_path` (or at the root if that path leads nowhere), with all its values joined by `,` equal
/// to `values`.
bool matches(const std::vector<proto::image_attribute>& attributes,
             const proto::series_type_rule_attribute& a);

/// The ids of the types that apply: a type applies if one of its rules matches, a rule matches if
/// all its attributes do (a rule without attributes matches everything).
std::vector<std::int64_t> matching_types(const std::vector<proto::image_attribute>& attributes,
                                         const proto::series_type_rules& rules);

}  // namespace sbx::dicom
