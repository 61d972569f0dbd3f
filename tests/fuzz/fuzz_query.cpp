// SPDX-License-Identifier: Apache-2.0
// Query strings and the listing parameters (docs/api.md#paging-and-listing-parameters): bad
// input may only be a `rejection` (400/404), never a crash or another exception.
#include "fuzz_input.hpp"
#include "http/query.hpp"
#include "http/routes/listing_params.hpp"

namespace {

template <class F>
void parse(F&& f) {
  try {
    f();
  } catch (const sbx::http::rejection&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto raw = sbx::fuzz::text_of(data, size);
  parse([&] {
    sbx::http::query_params q{raw};
    parse([&] { q.non_negative("startindex", 0); });
    parse([&] { q.non_negative("count", 20); });
    parse([&] { q.int64("studyid"); });
    parse([&] { q.boolean("orderascending", true); });
    parse([&] { sbx::http::series_filter_of(q); });
    parse([&] { sbx::http::listing_of(q, true); });
    parse([&] { sbx::http::listing_of(q, false); });
  });
  sbx::http::percent_decode(raw);
  return 0;
}
