// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include "persistence/database.hpp"
#include "proto/dicomweb.hpp"

namespace sbx::persistence {

/// A QIDO-RS search over the DICOM index (docs/dicomweb.md#qido-rs): the rows of the query's level
/// with their parents, in index order, after `offset`, at most `limit`. Conditions are bound
/// parameters; the statement text comes only from the fixed column table.
std::vector<proto::qido_match> qido_search(database& db, const proto::qido_query& q);

}  // namespace sbx::persistence
