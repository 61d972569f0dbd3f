// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "http/query.hpp"
#include "proto/metadata.hpp"

namespace sbx::http {

/// `sources`, `seriestypes`, `seriestags` (docs/api.md#paging-and-listing-parameters);
/// malformed lists are rejected with 400.
proto::series_filter series_filter_of(const query_params& q);

/// Paging plus the series filter; with `ordered`, also `orderby`, `orderascending`, `filter`.
proto::listing listing_of(const query_params& q, bool ordered);

}  // namespace sbx::http
