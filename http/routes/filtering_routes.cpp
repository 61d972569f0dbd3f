// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_filtering_routes(router& r, const services& s) {
  using namespace proto;
  auto filtering = s.filtering;

  r.add("GET", "/api/filtering/filters", access::user,
        [filtering](auto self, const exchange_ptr& ex) {
          auto q = ex->query();
          ask(self, ex, filtering, list_atom::value, filters_atom::value,
              q.non_negative("startindex", 0), q.non_negative("count", 20))
              .then(reply_json(ex));
        });
  r.add("POST", "/api/filtering/filters", access::admin,
        [filtering](auto self, const exchange_ptr& ex) {
          ask(self, ex, filtering, add_atom::value, json::decode_tag_filter(ex->json_body()))
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/filtering/filters/{id}", access::admin,
        [filtering](auto self, const exchange_ptr& ex) {
          ask(self, ex, filtering, delete_atom::value, filters_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
  r.add("GET", "/api/filtering/filters/{id}/tagpaths", access::user,
        [filtering](auto self, const exchange_ptr& ex) {
          auto q = ex->query();
          ask(self, ex, filtering, list_atom::value, tag_paths_atom::value, ex->params.id("id"),
              q.non_negative("startindex", 0), q.non_negative("count", 20))
              .then(reply_json(ex));
        });
  // Kept from Slicebox (docs/api.md#quirks-kept): the filter is the body's tagFilterId, not the one
  // in the path.
  r.add("POST", "/api/filtering/filters/{id}/tagpaths", access::admin,
        [filtering](auto self, const exchange_ptr& ex) {
          ask(self, ex, filtering, add_atom::value,
              json::decode_tag_filter_tag_path(ex->json_body()))
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/filtering/filters/{id}/tagpaths/{tagPathId}", access::admin,
        [filtering](auto self, const exchange_ptr& ex) {
          ask(self, ex, filtering, delete_atom::value, tag_paths_atom::value,
              ex->params.id("tagPathId"))
              .then(reply_no_content(ex));
        });
  r.add("GET", "/api/filtering/associations", access::user,
        [filtering](auto self, const exchange_ptr& ex) {
          auto q = ex->query();
          ask(self, ex, filtering, list_atom::value, assocs_atom::value,
              q.non_negative("startindex", 0), q.non_negative("count", 20))
              .then(reply_json(ex));
        });
  r.add("POST", "/api/filtering/associations", access::admin,
        [filtering](auto self, const exchange_ptr& ex) {
          ask(self, ex, filtering, add_atom::value, json::decode_source_tag_filter(ex->json_body()))
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/filtering/associations/{id}", access::admin,
        [filtering](auto self, const exchange_ptr& ex) {
          ask(self, ex, filtering, delete_atom::value, assocs_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
}

}  // namespace sbx::http
