// SPDX-License-Identifier: Apache-2.0
#include "http/exchange.hpp"
#include "http/routes/routes.hpp"
#include "proto/json.hpp"

namespace sbx::http {

void add_system_routes(router& r, const services& s) {
  using namespace proto;

  // Liveness for load balancers and dashboards: answered without asking any service.
  r.add("*", "/api/system/health", access::anyone,
        [](auto, const exchange_ptr& ex) { ex->reply(text_response(200, "OK")); });

  r.add("*", "/api/system/information", access::anyone,
        [version = s.version](auto, const exchange_ptr& ex) {
          ex->reply(json_response(200, json::system_information(version)));
        });

  r.add("POST", "/api/system/stop", access::admin,
        [stop = s.stop_node](auto, const exchange_ptr& ex) {
          ex->reply(text_response(200, "Shutting down in 1 second..."));
          stop();
        });

  auto sources = s.sources;
  r.add("GET", "/api/sources", access::user, [sources](auto self, const exchange_ptr& ex) {
    ask(self, ex, sources, get_atom::value, sources_atom::value)
        .then([ex](const std::vector<source>& list) {
          ex->reply(json_response(200, json::encode(list)));
        });
  });

  r.add("GET", "/api/destinations", access::user, [sources](auto self, const exchange_ptr& ex) {
    ask(self, ex, sources, get_atom::value, dests_atom::value)
        .then([ex](const std::vector<destination>& list) {
          ex->reply(json_response(200, json::encode(list)));
        });
  });
}

}  // namespace sbx::http
