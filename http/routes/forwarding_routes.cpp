// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_forwarding_routes(router& r, const services& s) {
  using namespace proto;
  auto forwarding = s.forwarding;

  r.add("GET", "/api/forwarding/rules", access::user,
        [forwarding](auto self, const exchange_ptr& ex) {
          auto q = ex->query();
          ask(self, ex, forwarding, list_atom::value, q.non_negative("startindex", 0),
              q.non_negative("count", 20))
              .then(reply_json(ex));
        });
  r.add("POST", "/api/forwarding/rules", access::admin,
        [forwarding](auto self, const exchange_ptr& ex) {
          // The same source and destination answer the existing rule, unchanged (201 too).
          ask(self, ex, forwarding, add_atom::value, json::decode_forwarding_rule(ex->json_body()))
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/forwarding/rules/{id}", access::admin,
        [forwarding](auto self, const exchange_ptr& ex) {
          ask(self, ex, forwarding, delete_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
}

}  // namespace sbx::http
