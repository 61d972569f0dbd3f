// SPDX-License-Identifier: Apache-2.0
#include "http/routes/listing_params.hpp"
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {

void add_metadata_routes(router& r, const services& s) {
  using namespace proto;
  auto md = s.metadata;
  auto list = [](const exchange_ptr& ex, bool ordered) { return listing_of(ex->query(), ordered); };

  // Patients.
  r.add("GET", "/api/metadata/patients", access::user,
        [md, list](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, list_atom::value, patient_atom::value, list(ex, true))
              .then(reply_json(ex));
        });
  r.add("POST", "/api/metadata/patients/query", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, query_atom::value, patient_atom::value,
              json::decode_query(ex->json_body()))
              .then(reply_json(ex));
        });
  r.add("GET", "/api/metadata/patients/{id}", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, get_atom::value, patient_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
  r.add("*", "/api/metadata/patients/{id}/images", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, images_atom::value, patient_atom::value, ex->params.id("id"),
              series_filter_of(ex->query()))
              .then(reply_json(ex));
        });

  // Studies.
  r.add("GET", "/api/metadata/studies", access::user,
        [md, list](auto self, const exchange_ptr& ex) {
          auto patient_id = ex->query().required_int64("patientid");
          ask(self, ex, md, list_atom::value, study_atom::value, patient_id, list(ex, false))
              .then(reply_json(ex));
        });
  r.add(
      "POST", "/api/metadata/studies/query", access::user, [md](auto self, const exchange_ptr& ex) {
        ask(self, ex, md, query_atom::value, study_atom::value, json::decode_query(ex->json_body()))
            .then(reply_json(ex));
      });
  r.add("GET", "/api/metadata/studies/{id}", access::user, [md](auto self, const exchange_ptr& ex) {
    ask(self, ex, md, get_atom::value, study_atom::value, ex->params.id("id")).then(reply_json(ex));
  });
  r.add("*", "/api/metadata/studies/{id}/images", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, images_atom::value, study_atom::value, ex->params.id("id"),
              series_filter_of(ex->query()))
              .then(reply_json(ex));
        });

  // Series.
  r.add("GET", "/api/metadata/series", access::user, [md, list](auto self, const exchange_ptr& ex) {
    auto study_id = ex->query().required_int64("studyid");
    ask(self, ex, md, list_atom::value, series_atom::value, study_id, list(ex, false))
        .then(reply_json(ex));
  });
  r.add("POST", "/api/metadata/series/query", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, query_atom::value, series_atom::value,
              json::decode_query(ex->json_body()))
              .then(reply_json(ex));
        });
  r.add("GET", "/api/metadata/series/{id}", access::user, [md](auto self, const exchange_ptr& ex) {
    ask(self, ex, md, get_atom::value, series_atom::value, ex->params.id("id"))
        .then(reply_json(ex));
  });
  r.add("GET", "/api/metadata/series/{id}/source", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, source_atom::value, ex->params.id("id")).then(reply_json(ex));
        });
  r.add("GET", "/api/metadata/series/{id}/seriestags", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, get_atom::value, tag_atom::value, series_atom::value,
              ex->params.id("id"))
              .then(reply_json(ex));
        });
  r.add("POST", "/api/metadata/series/{id}/seriestags", access::user,
        [md](auto self, const exchange_ptr& ex) {
          auto tag = json::decode_series_tag(ex->json_body());
          ask(self, ex, md, add_atom::value, series_atom::value, ex->params.id("id"), tag.name)
              .then(reply_json(ex, 201));
        });
  r.add("DELETE", "/api/metadata/series/{seriesId}/seriestags/{seriesTagId}", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, delete_atom::value, series_atom::value, ex->params.id("seriesId"),
              ex->params.id("seriesTagId"))
              .then(reply_no_content(ex));
        });

  // Images.
  r.add("GET", "/api/metadata/images", access::user, [md, list](auto self, const exchange_ptr& ex) {
    auto series_id = ex->query().required_int64("seriesid");
    ask(self, ex, md, list_atom::value, image_atom::value, series_id, list(ex, true))
        .then(reply_json(ex));
  });
  r.add(
      "POST", "/api/metadata/images/query", access::user, [md](auto self, const exchange_ptr& ex) {
        ask(self, ex, md, query_atom::value, image_atom::value, json::decode_query(ex->json_body()))
            .then(reply_json(ex));
      });
  r.add("GET", "/api/metadata/images/{id}", access::user, [md](auto self, const exchange_ptr& ex) {
    ask(self, ex, md, get_atom::value, image_atom::value, ex->params.id("id")).then(reply_json(ex));
  });

  // Flat series.
  r.add(
      "GET", "/api/metadata/flatseries", access::user,
      [md, list](auto self, const exchange_ptr& ex) {
        ask(self, ex, md, list_atom::value, flat_atom::value, list(ex, true)).then(reply_json(ex));
      });
  r.add("POST", "/api/metadata/flatseries/query", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, query_atom::value, flat_atom::value,
              json::decode_query(ex->json_body()))
              .then(reply_json(ex));
        });
  r.add("GET", "/api/metadata/flatseries/{id}", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, get_atom::value, flat_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });

  // The global list of series tags (spec §11.2).
  r.add("GET", "/api/metadata/seriestags", access::user,
        [md, list](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, list_atom::value, tag_atom::value, list(ex, true)).then(reply_json(ex));
        });
  r.add("POST", "/api/metadata/seriestags", access::user, [md](auto self, const exchange_ptr& ex) {
    auto tag = json::decode_series_tag(ex->json_body());
    ask(self, ex, md, add_atom::value, tag_atom::value, tag.name).then(reply_json(ex, 201));
  });
  r.add("GET", "/api/metadata/seriestags/{id}", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, get_atom::value, tag_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
  // Quirk Q1, kept: the body's id names the tag, not the path's.
  r.add("PUT", "/api/metadata/seriestags/{id}", access::user,
        [md](auto self, const exchange_ptr& ex) {
          auto tag = json::decode_series_tag(ex->json_body());
          ask(self, ex, md, rename_atom::value, tag_atom::value, tag).then(reply_json(ex));
        });
  r.add("DELETE", "/api/metadata/seriestags/{id}", access::user,
        [md](auto self, const exchange_ptr& ex) {
          ask(self, ex, md, delete_atom::value, tag_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
}

}  // namespace sbx::http
