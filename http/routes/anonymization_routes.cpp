// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_anonymization_routes(router& r, const services& s) {
  using namespace proto;
  auto anon = s.anonymization;

  r.add("POST", "/api/images/{id}/anonymized", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          auto [options, values] = json::decode_anonymization_data(ex->json_body());
          ask(self, ex, anon, anonymize_atom::value, ex->params.id("id"), std::move(options),
              std::move(values), false)
              .then([ex](anonymization_output& o) {
                auto res = file_response(std::move(o.file));
                res.body = std::move(o.head);
                res.file_offset = o.offset;
                res.remove_file = o.temporary;
                ex->reply(std::move(res));
              });
        });
  r.add("PUT", "/api/images/{id}/anonymize", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          auto [options, values] = json::decode_anonymization_data(ex->json_body());
          ask(self, ex, anon, anonymize_atom::value, ex->params.id("id"), std::move(options),
              std::move(values), true)
              .then([ex](const anonymization_output& o) {
                ex->reply(json_response(200, json::encode(o.img)));
              });
        });
  r.add("POST", "/api/anonymization/anonymize", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          auto [options, set] = json::decode_bulk_anonymization(ex->json_body());
          ask(self, ex, anon, anonymize_atom::value, std::move(options), std::move(set))
              .then(reply_json(ex));
        });

  r.add("GET", "/api/anonymization/keys", access::user, [anon](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    // Kept from Slicebox (docs/api.md#quirks-kept): paging here accepts any int64.
    key_listing l;
    l.start = q.int64("startindex").value_or(0);
    l.count = q.int64("count").value_or(20);
    l.order_by = q.get("orderby").value_or("");
    l.ascending = q.boolean("orderascending", true);
    l.filter = q.get("filter").value_or("");
    ask(self, ex, anon, list_atom::value, keys_atom::value, l).then(reply_json(ex));
  });
  r.add("GET", "/api/anonymization/keys/{id}", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          ask(self, ex, anon, get_atom::value, keys_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
  r.add("DELETE", "/api/anonymization/keys/{id}", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          ask(self, ex, anon, delete_atom::value, keys_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
  r.add("GET", "/api/anonymization/keys/{id}/keyvalues", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          ask(self, ex, anon, values_atom::value, ex->params.id("id")).then(reply_json(ex));
        });
  r.add("POST", "/api/anonymization/keys/query", access::user,
        [anon](auto self, const exchange_ptr& ex) {
          ask(self, ex, anon, query_atom::value, keys_atom::value,
              json::decode_query(ex->json_body()))
              .then(reply_json(ex));
        });
  r.add("*", "/api/anonymization/options", access::user, [anon](auto self, const exchange_ptr& ex) {
    ask(self, ex, anon, options_atom::value).then(reply_json(ex));
  });
  r.add("GET", "/api/anonymization/keys/export/csv", access::admin,
        [anon](auto self, const exchange_ptr& ex) {
          ask(self, ex, anon, csv_atom::value).then([ex](const std::string& text) {
            http_response res{
                .status = 200, .content_type = "text/csv; charset=UTF-8", .body = text};
            res.headers.emplace_back("Content-Disposition",
                                     "attachment; filename=slicebox-anonymization-info.csv");
            ex->reply(std::move(res));
          });
        });
}

}  // namespace sbx::http
