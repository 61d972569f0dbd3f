// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_scu_routes(router& r, const services& s) {
  using namespace proto;
  auto scus = s.scus;

  r.add("GET", "/api/scus", access::user, [scus](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, scus, list_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_json(ex));
  });
  r.add("POST", "/api/scus", access::admin, [scus](auto self, const exchange_ptr& ex) {
    ask(self, ex, scus, add_atom::value, json::decode_scu(ex->json_body()))
        .then(reply_json(ex, 201));
  });
  r.add("DELETE", "/api/scus/{id}", access::admin, [scus](auto self, const exchange_ptr& ex) {
    ask(self, ex, scus, delete_atom::value, ex->params.id("id")).then(reply_no_content(ex));
  });
  r.add("POST", "/api/scus/{id}/send", access::user, [scus](auto self, const exchange_ptr& ex) {
    // Answered once the peer has acknowledged every image (one association per request).
    ask(self, ex, scus, send_atom::value, ex->params.id("id"), json::decode_ids(ex->json_body()))
        .then(reply_no_content(ex));
  });
}

}  // namespace sbx::http
