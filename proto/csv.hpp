// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "proto/anonymization_key.hpp"

/// The CSV export of anonymization keys (docs/api.md#key-csv).
namespace sbx::proto::csv {

/// One row: a key and one of its values (a key without values has one row with an empty value
/// whose tag path is given by the caller).
struct key_row {
  anonymization_key key;
  anonymization_key_value value;
};

/// The CSV text: `;`-separated, CRLF after every line, header first; a field is quoted only
/// when it holds `;`, `"`, `\`, CR or LF, and then `"` and `\` are doubled inside it.
std::string anonymization_keys(const std::vector<key_row>& rows);

}  // namespace sbx::proto::csv
