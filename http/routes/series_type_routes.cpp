// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_series_type_routes(router& r, const services& s) {
  using namespace proto;
  auto types = s.series_types;

  r.add("GET", "/api/seriestypes", access::user, [types](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, types, list_atom::value, type_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_json(ex));
  });
  r.add("POST", "/api/seriestypes", access::admin, [types](auto self, const exchange_ptr& ex) {
    auto t = json::decode_series_type(ex->json_body());
    ask(self, ex, types, add_atom::value, type_atom::value, t.name).then(reply_json(ex, 201));
  });
  // Quirk Q1, kept: the body's id names the type, not the path's.
  r.add("PUT", "/api/seriestypes/{id}", access::admin, [types](auto self, const exchange_ptr& ex) {
    auto t = json::decode_series_type(ex->json_body());
    ask(self, ex, types, rename_atom::value, type_atom::value, t).then(reply_no_content(ex));
  });
  r.add("DELETE", "/api/seriestypes/{id}", access::admin,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, delete_atom::value, type_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });

  r.add("GET", "/api/seriestypes/rules", access::user, [types](auto self, const exchange_ptr& ex) {
    auto type_id = ex->query().required_int64("seriestypeid");
    ask(self, ex, types, list_atom::value, rule_atom::value, type_id).then(reply_json(ex));
  });
  r.add("POST", "/api/seriestypes/rules", access::admin,
        [types](auto self, const exchange_ptr& ex) {
          auto rule = json::decode_series_type_rule(ex->json_body());
          ask(self, ex, types, add_atom::value, rule_atom::value, rule.series_type_id)
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/seriestypes/rules/{id}", access::admin,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, delete_atom::value, rule_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
  r.add("*", "/api/seriestypes/rules/updatestatus", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, status_atom::value).then([ex](bool running) {
            ex->reply(json_response(200, json::running_status(running)));
          });
        });

  r.add("GET", "/api/seriestypes/rules/{id}/attributes", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, list_atom::value, attr_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
  // Quirk Q1, kept: the rule is the body's seriesTypeRuleId, not the path's.
  r.add("POST", "/api/seriestypes/rules/{id}/attributes", access::admin,
        [types](auto self, const exchange_ptr& ex) {
          auto a = json::decode_series_type_rule_attribute(ex->json_body());
          ask(self, ex, types, add_atom::value, attr_atom::value, std::move(a))
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/seriestypes/rules/{ruleId}/attributes/{attributeId}", access::admin,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, delete_atom::value, attr_atom::value, ex->params.id("attributeId"))
              .then(reply_no_content(ex));
        });

  r.add("POST", "/api/seriestypes/series/query", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, query_atom::value, series_atom::value,
              json::decode_ids_query(ex->json_body()))
              .then(reply_json(ex));
        });

  // A series' own types (spec §11.1).
  r.add("GET", "/api/metadata/series/{id}/seriestypes", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, get_atom::value, series_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
  r.add("DELETE", "/api/metadata/series/{id}/seriestypes", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, delete_atom::value, series_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
  r.add("PUT", "/api/metadata/series/{seriesId}/seriestypes/{seriesTypeId}", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, link_atom::value, series_atom::value, ex->params.id("seriesId"),
              ex->params.id("seriesTypeId"))
              .then(reply_no_content(ex));
        });
  r.add("DELETE", "/api/metadata/series/{seriesId}/seriestypes/{seriesTypeId}", access::user,
        [types](auto self, const exchange_ptr& ex) {
          ask(self, ex, types, delete_atom::value, series_atom::value, ex->params.id("seriesId"),
              ex->params.id("seriesTypeId"))
              .then(reply_no_content(ex));
        });
}

}  // namespace sbx::http
