// SPDX-License-Identifier: Apache-2.0
// GET /metrics: the Prometheus text format (docs/operations.md#metrics).
#include <sodium.h>

#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_metrics_routes(router& r, const services& s) {
  auto storage = s.storage;
  auto boxes = s.boxes;
  auto types = s.series_types;
  auto counters = s.counters ? s.counters : std::make_shared<actors::metrics>();
  auto token = s.metrics_token;
  r.add("GET", "/metrics", access::anyone,
        [storage, boxes, types, counters, token](caf::event_based_actor* self,
                                                 const exchange_ptr& ex) {
          if (!token.empty()) {
            const auto expected = "Bearer " + token;
            const auto given = ex->request.header("authorization").value_or("");
            if (given.size() != expected.size() ||
                sodium_memcmp(given.data(), expected.data(), expected.size()) != 0)
              return ex->reply(text_response(401, "The metrics need the configured token"));
          }
          // The gauges known only when scraped, gathered one service after another.
          auto g = std::make_shared<actors::metrics::gauges>();
          auto answer = [ex, counters, g] {
            ex->reply({.status = 200,
                       .content_type = "text/plain; version=0.0.4; charset=utf-8",
                       .body = counters->exposition(*g)});
          };
          auto backlog = [self, ex, types, g, answer] {
            ask(self, ex, types, proto::get_atom::value, proto::status_atom::value)
                .then([g, answer](std::int64_t series) {
                  g->series_type_backlog = series;
                  answer();
                });
          };
          auto box_queues = [self, ex, boxes, g, backlog] {
            ask(self, ex, boxes, proto::list_atom::value, proto::status_atom::value)
                .then([g, backlog](std::vector<proto::box_queue>& queues) {
                  g->box_queues = std::move(queues);
                  backlog();
                });
          };
          ask(self, ex, storage, proto::get_atom::value, proto::all_atom::value)
              .then([g, box_queues](std::int64_t files, std::int64_t bytes) {
                g->stored_images = files;
                g->stored_bytes = bytes;
                box_queues();
              });
        });
}

}  // namespace sbx::http
