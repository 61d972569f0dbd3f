// SPDX-License-Identifier: Apache-2.0
#include "http/exchange.hpp"
#include "http/routes/routes.hpp"
#include "proto/json.hpp"

namespace sbx::http {

void add_user_routes(router& r, const services& s) {
  using namespace proto;
  auto users = s.users;

  r.add("POST", "/api/users/login", access::anyone, [users](auto self, const exchange_ptr& ex) {
    auto credentials = json::decode_user_pass(ex->json_body());
    ask(self, ex, users, login_atom::value, std::move(credentials), client_identity_of(ex->request))
        .then([ex](const std::string& token) {
          auto res = empty_response(204);
          res.headers.emplace_back("Set-Cookie",
                                   "slicebox-session=" + token + "; Path=/api; HttpOnly");
          ex->reply(std::move(res));
        });
  });

  r.add("POST", "/api/users/logout", access::user, [users](auto self, const exchange_ptr& ex) {
    ask(self, ex, users, logout_atom::value, ex->user.id, client_identity_of(ex->request))
        .then([ex](bool) {
          auto res = empty_response(204);
          res.headers.emplace_back(
              "Set-Cookie",
              "slicebox-session=deleted; Expires=Wed, 01 Jan 1800 00:00:00 GMT; Path=/api");
          ex->reply(std::move(res));
        });
  });

  r.add("GET", "/api/users/current", access::anyone, [users](auto self, const exchange_ptr& ex) {
    // Only the session counts here, and no session is a bare 404 rather than a 401.
    self->request(users, caf::infinite, auth_atom::value, client_identity_of(ex->request))
        .then([ex](const api_user& u) { ex->reply(json_response(200, json::encode(u))); },
              [ex](caf::error&) { ex->reply(text_response(404, proto::bare_not_found_text)); });
  });

  r.add("GET", "/api/users", access::user, [users](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, users, list_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then([ex](const std::vector<api_user>& list) {
          ex->reply(json_response(200, json::encode(list)));
        });
  });

  r.add("POST", "/api/users", access::admin, [users](auto self, const exchange_ptr& ex) {
    auto user = json::decode_clear_text_user(ex->json_body());
    ask(self, ex, users, add_atom::value, std::move(user)).then([ex](const api_user& u, bool) {
      ex->reply(json_response(201, json::encode(u)));
    });
  });

  r.add("DELETE", "/api/users/{id}", access::admin, [users](auto self, const exchange_ptr& ex) {
    ask(self, ex, users, delete_atom::value, ex->params.id("id")).then([ex](bool) {
      ex->reply(empty_response(204));
    });
  });
}

}  // namespace sbx::http
