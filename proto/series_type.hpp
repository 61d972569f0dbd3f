// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sbx::proto {

/// `SeriesType`: a label that rules attach to series (docs/api.md#series-types).
struct series_type {
  std::int64_t id = -1;
  std::string name;
};

/// `SeriesTypeRule`: matches a series when all its attributes match.
struct series_type_rule {
  std::int64_t id = -1;
  std::int64_t series_type_id = -1;
};

/// `SeriesTypeRuleAttribute`: the value (all values joined by `,`) one element must have.
/// `tag_path`, if set, lists the decimal tags of the sequences (item 1 each) holding it.
struct series_type_rule_attribute {
  std::int64_t id = -1;
  std::int64_t rule_id = -1;
  std::int64_t tag = 0;
  std::string name;
  std::optional<std::string> tag_path;
  std::optional<std::string> name_path;
  std::string values;
};

/// One link of a series to a type (`SeriesIdSeriesType`).
struct series_id_series_type {
  std::int64_t series_id = -1;
  series_type type;
};

/// Every rule of every type, as the evaluation needs them.
struct series_type_rules {
  struct rule {
    std::vector<series_type_rule_attribute> attributes;
  };
  struct type {
    std::int64_t id = -1;
    std::vector<rule> rules;
  };
  std::vector<type> types;
};

}  // namespace sbx::proto
