// SPDX-License-Identifier: Apache-2.0
#include "http/routes/listing_params.hpp"

#include <charconv>

namespace sbx::http {
namespace {

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::int64_t> to_int64(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::int64_t> ids_of(const query_params& q, std::string_view name) {
  std::vector<std::int64_t> out;
  auto v = q.get(name);
  if (!v || v->empty()) return out;
  for (auto part : split_commas(*v)) {
    auto id = to_int64(part);
    if (!id)
      throw rejection(text_response(400,
                                    "Series types and series tags parameters must be formatted as "
                                    "a comma separated list of ids, e.g. 2,5,11"));
    out.push_back(*id);
  }
  return out;
}

}  // namespace

proto::series_filter series_filter_of(const query_params& q) {
  proto::series_filter f;
  if (auto v = q.get("sources"); v && !v->empty()) {
    for (auto part : split_commas(*v)) {
      auto colon = part.find(':');
      auto id = colon == std::string_view::npos ? std::nullopt : to_int64(part.substr(colon + 1));
      if (!id)
        throw rejection(
            text_response(400,
                          "Sources parameter must be formatted as a comma separated list of "
                          "sourceType:sourceId elements, e.g. box:23,box:12,user:2"));
      f.sources.push_back({std::string(part.substr(0, colon)), *id});
    }
  }
  f.series_type_ids = ids_of(q, "seriestypes");
  f.series_tag_ids = ids_of(q, "seriestags");
  return f;
}

proto::listing listing_of(const query_params& q, bool ordered) {
  proto::listing l;
  l.start = q.non_negative("startindex", 0);
  l.count = q.non_negative("count", 20);
  l.series = series_filter_of(q);
  if (ordered) {
    if (auto by = q.get("orderby"); by && !by->empty())
      l.order = proto::order_by{*by, q.boolean("orderascending", true)};
    l.filter = q.get("filter").value_or("");
  }
  return l;
}

}  // namespace sbx::http
