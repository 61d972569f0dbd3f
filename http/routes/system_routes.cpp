// SPDX-License-Identifier: Apache-2.0
#include "http/exchange.hpp"
#include "http/routes/routes.hpp"
#include "proto/json.hpp"

namespace sbx::http {

void add_system_routes(router& r, const services& s) {
  using namespace proto;

  // Liveness for load balancers and dashboards: answered without asking any service. In a
  // cluster (docs/operations.md#running-a-cluster) the header X-Slicebox-Role says whether this
  // node leads, and a node that lost the database answers 503, so the balancer leaves it out.
  r.add("*", "/api/system/health", access::anyone,
        [cluster = s.cluster](auto, const exchange_ptr& ex) {
          const bool reachable = !cluster || cluster->database_reachable();
          auto response =
              reachable ? text_response(200, "OK") : text_response(503, "Database unreachable");
          response.headers.emplace_back("X-Slicebox-Role",
                                        cluster ? cluster->role() : std::string("leader"));
          ex->reply(std::move(response));
        });

  r.add("*", "/api/system/information", access::anyone,
        [version = s.version](auto, const exchange_ptr& ex) {
          ex->reply(json_response(200, json::system_information(version)));
        });

  // The node's own facts for the web interface's system page (docs/api.md#system): storage
  // counted by the storage service, ingest counters of GET /metrics since the start.
  r.add("GET", "/api/system/status", access::user,
        [storage = s.storage, counters = s.counters, version = s.version, database = s.database,
         started = s.started, cluster = s.cluster](auto self, const exchange_ptr& ex) {
          ask(self, ex, storage, get_atom::value, all_atom::value)
              .then([=](std::int64_t files, std::int64_t bytes) {
                system_status status{version, database, started, files, bytes, {}};
                status.role = cluster ? cluster->role() : "leader";
                if (counters)
                  for (const auto& [type, n] : counters->ingest_by_source())
                    status.ingested.push_back({type, static_cast<std::int64_t>(n.images),
                                               static_cast<std::int64_t>(n.bytes),
                                               static_cast<std::int64_t>(n.failed)});
                ex->reply(json_response(200, json::encode(status)));
              });
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
