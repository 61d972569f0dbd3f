// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_directory_watch_routes(router& r, const services& s) {
  using namespace proto;
  auto watches = s.directory_watches;

  r.add("GET", "/api/directorywatches", access::user, [watches](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, watches, list_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_json(ex));
  });
  r.add("POST", "/api/directorywatches", access::admin,
        [watches](auto self, const exchange_ptr& ex) {
          ask(self, ex, watches, add_atom::value, json::decode_watched_directory(ex->json_body()))
              .then(reply_json(ex, 201));
        });
  r.add(
      "DELETE", "/api/directorywatches/{id}", access::admin,
      [watches](auto self, const exchange_ptr& ex) {
        ask(self, ex, watches, delete_atom::value, ex->params.id("id")).then(reply_no_content(ex));
      });
}

}  // namespace sbx::http
