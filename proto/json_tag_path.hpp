// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "proto/json.hpp"
#include "proto/tag_path.hpp"

namespace sbx::proto::json {

/// Writes the `TagPath` / `TagTree` JSON of `path` (docs/api.md#tag-paths): the leaf object, its
/// root-ward steps nested in `previous`. Names are written as held (run dicom::resolve_names
/// first).
void write_tag_path(rapidjson::Writer<rapidjson::StringBuffer>& w, const tag_path& path);

/// Reads `TagPath` (or, when `tree`, `TagTree`) JSON by the reading rules of docs/api.md#tag-paths:
/// `tag` wins over `name`; a name-only step keeps tag 0 and the name (dicom::resolve_names looks it
/// up); `item` as an integer (or integer string) makes an item step, `"*"` an any-item step in
/// trees, any other item is ignored; a `previous` that is not an item step is dropped. Throws
/// malformed on shapes that are not a tag path (not an object, neither tag nor name, bad types).
tag_path decode_tag_path(const rapidjson::Value& value, bool tree);

/// Parses `body` as JSON and reads it with decode_tag_path.
tag_path decode_tag_path(std::string_view body, bool tree);

}  // namespace sbx::proto::json
