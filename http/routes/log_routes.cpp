// SPDX-License-Identifier: Apache-2.0
#include "http/exchange.hpp"
#include "http/routes/routes.hpp"
#include "proto/json.hpp"

namespace sbx::http {

void add_log_routes(router& r, const services& s) {
  using namespace proto;
  auto log = s.log;

  r.add("GET", "/api/log", access::user, [log](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    log_query query;
    query.start = q.non_negative("startindex", 0);
    query.count = q.non_negative("count", 20);
    if (auto subject = q.get("subject")) {
      query.by_subject = true;
      query.subject = *subject;
    }
    if (auto type = q.get("type")) {
      auto t = parse_log_type(*type);
      if (!t)
        throw rejection(text_response(400, "The query parameter 'type' was malformed:\n'" + *type +
                                               "' is not one of DEFAULT, INFO, WARN, ERROR"));
      query.by_type = true;
      query.type = *t;
    }
    ask(self, ex, log, list_atom::value, query).then([ex](const std::vector<log_entry>& entries) {
      ex->reply(json_response(200, json::encode(entries)));
    });
  });

  r.add("DELETE", "/api/log", access::user, [log](auto self, const exchange_ptr& ex) {
    ask(self, ex, log, delete_atom::value).then([ex](bool) { ex->reply(empty_response(204)); });
  });

  r.add("DELETE", "/api/log/{id}", access::user, [log](auto self, const exchange_ptr& ex) {
    ask(self, ex, log, delete_atom::value, ex->params.id("id")).then([ex](bool) {
      ex->reply(empty_response(204));
    });
  });
}

}  // namespace sbx::http
