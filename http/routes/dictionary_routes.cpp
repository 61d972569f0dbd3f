// SPDX-License-Identifier: Apache-2.0
#include "http/exchange.hpp"
#include "http/routes/routes.hpp"
#include "proto/json.hpp"

namespace sbx::http {
namespace {

/// The `tag` parameter: a DICOM tag as a signed or unsigned 32-bit decimal (-1 = 0xFFFFFFFF).
std::uint32_t tag_parameter(const query_params& q) {
  auto tag = q.required_int64("tag");
  if (tag < -2147483648LL || tag > 4294967295LL)
    throw rejection(text_response(400, "The query parameter 'tag' was malformed:\n'" +
                                           std::to_string(tag) + "' is not a 32-bit tag"));
  return static_cast<std::uint32_t>(tag);
}

}  // namespace

void add_dictionary_routes(router& r, const services& s) {
  using namespace proto;
  auto dict = s.dictionary;
  const std::pair<const char*, keyword_filter> lists[] = {
      {"/api/dicom/dictionary/keywords", keyword_filter::all},
      {"/api/dicom/dictionary/keywords/sequence", keyword_filter::sequence},
      {"/api/dicom/dictionary/keywords/nonsequence", keyword_filter::non_sequence},
  };
  for (auto [path, kind] : lists) {
    r.add("GET", path, access::anyone, [dict, kind = kind](auto self, const exchange_ptr& ex) {
      ask(self, ex, dict, keywords_atom::value, ex->query().get("filter").value_or(""), kind)
          .then([ex](const std::vector<std::string>& k) {
            ex->reply(json_response(200, json::dictionary_keywords(k)));
          });
    });
  }

  r.add(
      "GET", "/api/dicom/dictionary/vr", access::anyone, [dict](auto self, const exchange_ptr& ex) {
        ask(self, ex, dict, vr_atom::value, tag_parameter(ex->query()))
            .then(
                [ex](const dictionary_vr& vr) { ex->reply(json_response(200, json::encode(vr))); });
      });

  r.add(
      "GET", "/api/dicom/dictionary/vm", access::anyone, [dict](auto self, const exchange_ptr& ex) {
        ask(self, ex, dict, vm_atom::value, tag_parameter(ex->query()))
            .then(
                [ex](const dictionary_vm& vm) { ex->reply(json_response(200, json::encode(vm))); });
      });

  r.add("GET", "/api/dicom/dictionary/keyword", access::anyone,
        [dict](auto self, const exchange_ptr& ex) {
          ask(self, ex, dict, keyword_atom::value, tag_parameter(ex->query()))
              .then([ex](const std::string& k) {
                ex->reply(json_response(200, json::dictionary_keyword(k)));
              });
        });

  r.add("GET", "/api/dicom/dictionary/tag", access::anyone,
        [dict](auto self, const exchange_ptr& ex) {
          ask(self, ex, dict, tag_atom::value, ex->query().required("keyword"))
              .then([ex](std::uint32_t tag) {
                ex->reply(json_response(200, json::dictionary_tag(tag)));
              });
        });
}

}  // namespace sbx::http
