// SPDX-License-Identifier: Apache-2.0
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_import_routes(router& r, const services& s) {
  using namespace proto;
  auto imports = s.imports;

  r.add("GET", "/api/import/sessions", access::user, [imports](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, imports, list_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_json(ex));
  });
  r.add("POST", "/api/import/sessions", access::user, [imports](auto self, const exchange_ptr& ex) {
    auto name = json::decode_import_session_name(ex->json_body());
    ask(self, ex, imports, add_atom::value, name, ex->user).then(reply_json(ex, 201));
  });
  r.add("GET", "/api/import/sessions/{id}", access::user,
        [imports](auto self, const exchange_ptr& ex) {
          ask(self, ex, imports, get_atom::value, ex->params.id("id")).then(reply_json(ex));
        });
  r.add(
      "DELETE", "/api/import/sessions/{id}", access::user,
      [imports](auto self, const exchange_ptr& ex) {
        ask(self, ex, imports, delete_atom::value, ex->params.id("id")).then(reply_no_content(ex));
      });
  r.add_upload("POST", "/api/import/sessions/{id}/images", access::user,
               [imports](auto self, const exchange_ptr& ex) {
                 // A body that is not a usable upload still counts as a rejected file.
                 auto& req = ex->request;
                 auto file = req.body_error.empty() ? std::exchange(req.body_file, std::string{})
                                                    : std::string{};
                 ask(self, ex, imports, upload_atom::value, ex->params.id("id"), std::move(file),
                     req.body_filename)
                     .then(reply_ingested(ex));
               });
  r.add("GET", "/api/import/sessions/{id}/images", access::user,
        [imports](auto self, const exchange_ptr& ex) {
          ask(self, ex, imports, images_atom::value, ex->params.id("id")).then(reply_json(ex));
        });
}

}  // namespace sbx::http
