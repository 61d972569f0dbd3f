// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

// /api/scps (docs/api.md#scps).
void add_scp_routes(router& r, const services& s) {
  using namespace proto;
  auto scps = s.scps;

  r.add("GET", "/api/scps", access::user, [scps](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, scps, list_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_json(ex));
  });
  r.add("POST", "/api/scps", access::admin, [scps](auto self, const exchange_ptr& ex) {
    ask(self, ex, scps, add_atom::value, json::decode_scp(ex->json_body()))
        .then(reply_json(ex, 201));
  });
  r.add("DELETE", "/api/scps/{id}", access::admin, [scps](auto self, const exchange_ptr& ex) {
    ask(self, ex, scps, delete_atom::value, ex->params.id("id")).then(reply_no_content(ex));
  });
}

}  // namespace sbx::http
