// SPDX-License-Identifier: Apache-2.0
// Query parameter rules (docs/api.md#paging-and-listing-parameters).
#include "http/query.hpp"

#include <catch2/catch.hpp>

using namespace sbx::http;

namespace {

http_response rejected(const std::function<void()>& f) {
  try {
    f();
  } catch (const rejection& r) {
    return r.response;
  }
  FAIL("no rejection");
  return {};
}

}  // namespace

TEST_CASE("query values are percent-decoded", "[unit][http]") {
  query_params q{"filter=O%27Brien+John&x=%2Fa%2f&flag&bad=%zz"};
  CHECK(q.get("filter") == "O'Brien John");
  CHECK(q.get("x") == "/a/");
  CHECK(q.get("flag") == "");
  CHECK(q.get("bad") == "%zz");
  CHECK_FALSE(q.get("missing"));
}

TEST_CASE("paging parameters must be non-negative integers", "[unit][http]") {
  query_params q{"startindex=5&count=0"};
  CHECK(q.non_negative("startindex", 0) == 5);
  CHECK(q.non_negative("count", 20) == 0);
  CHECK(query_params{""}.non_negative("count", 20) == 20);
  auto negative = rejected([] { query_params{"count=-1"}.non_negative("count", 20); });
  CHECK(negative.status == 400);
  CHECK(negative.body == "The query parameter 'count' was malformed:\nnumber must be non-negative");
  auto text = rejected([] { query_params{"startindex=ten"}.non_negative("startindex", 0); });
  CHECK(text.status == 400);
  CHECK(text.body ==
        "The query parameter 'startindex' was malformed:\n'ten' is not a valid 64-bit signed "
        "integer value");
  CHECK(rejected([] {
          query_params{"count=99999999999999999999"}.non_negative("count", 0);
        }).status == 400);
}

TEST_CASE("a missing required parameter is 404", "[unit][http]") {
  auto r = rejected([] { query_params{"x=1"}.required("seriestypeid"); });
  CHECK(r.status == 404);
  CHECK(r.body == "Request is missing required query parameter 'seriestypeid'");
  CHECK(query_params{"tag=-1"}.required_int64("tag") == -1);
}

TEST_CASE("booleans accept Slicebox's spellings", "[unit][http]") {
  for (auto yes : {"true", "YES", "on", "1"})
    CHECK(query_params{std::string("b=") + yes}.boolean("b", false));
  for (auto no : {"false", "No", "OFF", "0"})
    CHECK_FALSE(query_params{std::string("b=") + no}.boolean("b", true));
  CHECK(rejected([] { query_params{"b=maybe"}.boolean("b", true); }).status == 400);
}
