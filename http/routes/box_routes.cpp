// SPDX-License-Identifier: Apache-2.0
#include "http/routes/box_routes.hpp"

#include <filesystem>
#include <utility>

#include "actors/box_payload.hpp"
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"
#include "proto/box_json.hpp"

namespace sbx::http {
namespace {

using namespace proto;

constexpr std::string_view transactions_prefix = "/api/transactions/";

/// `GET /transactions/{token}/outgoing`: the anonymized image, zlib-compressed while it is sent.
class compressed_image : public body_source {
 public:
  compressed_image(anonymization_output o, int level)
      : deflater_(std::move(o.head), std::move(o.file), o.offset, o.temporary, level) {}
  std::string_view next() override { return deflater_.next(); }

 private:
  actors::payload_deflater deflater_;
};

template <class T>
auto reply_encoded(const exchange_ptr& ex, int status = 200) {
  return [ex, status](const T& value) { ex->reply(json_response(status, json::encode(value))); };
}

}  // namespace

std::optional<http_response> refuse_unknown_box_token(const actors::box_tokens& tokens,
                                                      std::string_view target) {
  const auto path = target.substr(0, target.find('?'));
  if (path.substr(0, transactions_prefix.size()) != transactions_prefix) return std::nullopt;
  auto token = path.substr(transactions_prefix.size());
  token = token.substr(0, token.find('/'));
  if (tokens.contains(token)) return std::nullopt;
  return text_response(401, "No box found for token " + std::string(token));
}

void add_box_routes(router& r, const services& s) {
  auto boxes = s.boxes;

  r.add("GET", "/api/boxes", access::user, [boxes](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, boxes, list_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_encoded<std::vector<box>>(ex));
  });
  r.add("POST", "/api/boxes/createconnection", access::admin,
        [boxes](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, create_atom::value,
              json::decode_remote_box_connection(ex->json_body()))
              .then(reply_encoded<box>(ex, 201));
        });
  r.add("POST", "/api/boxes/connect", access::admin, [boxes](auto self, const exchange_ptr& ex) {
    ask(self, ex, boxes, connect_atom::value, json::decode_remote_box(ex->json_body()))
        .then(reply_encoded<box>(ex, 201));
  });
  r.add("DELETE", "/api/boxes/{id}", access::admin, [boxes](auto self, const exchange_ptr& ex) {
    ask(self, ex, boxes, delete_atom::value, ex->params.id("id")).then(reply_no_content(ex));
  });
  r.add("POST", "/api/boxes/{id}/send", access::user, [boxes](auto self, const exchange_ptr& ex) {
    ask(self, ex, boxes, send_atom::value, ex->params.id("id"),
        json::decode_box_send(ex->json_body()))
        .then(reply_no_content(ex));
  });

  r.add("GET", "/api/boxes/incoming", access::user, [boxes](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, boxes, list_atom::value, incoming_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_encoded<std::vector<incoming_transaction>>(ex));
  });
  r.add("DELETE", "/api/boxes/incoming/{id}", access::user,
        [boxes](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, delete_atom::value, incoming_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
  r.add("GET", "/api/boxes/incoming/{id}/images", access::user,
        [boxes](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, images_atom::value, incoming_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
  r.add("GET", "/api/boxes/outgoing", access::user, [boxes](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    ask(self, ex, boxes, list_atom::value, outgoing_atom::value, q.non_negative("startindex", 0),
        q.non_negative("count", 20))
        .then(reply_encoded<std::vector<outgoing_transaction>>(ex));
  });
  r.add("DELETE", "/api/boxes/outgoing/{id}", access::user,
        [boxes](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, delete_atom::value, outgoing_atom::value, ex->params.id("id"))
              .then(reply_no_content(ex));
        });
  r.add("GET", "/api/boxes/outgoing/{id}/images", access::user,
        [boxes](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, images_atom::value, outgoing_atom::value, ex->params.id("id"))
              .then(reply_json(ex));
        });
}

void add_transaction_routes(router& r, const services& s) {
  auto boxes = s.boxes;
  // No user: the token in the path is the credential (the listener already refused unknown
  // tokens; the service checks again, as a box may have been deleted since).
  auto token = [](const exchange_ptr& ex) { return ex->params.text("token"); };

  r.add_upload("POST", "/api/transactions/{token:str}/image", access::box_token,
               [boxes, token](auto self, const exchange_ptr& ex) {
                 auto q = ex->query();
                 box_delivery d;
                 d.token = token(ex);
                 d.transaction_id = q.required_int64("transactionid");
                 d.sequence_number = q.required_int64("sequencenumber");
                 d.total_image_count = q.required_int64("totalimagecount");
                 if (!ex->request.body_error.empty())
                   throw rejection(text_response(400, ex->request.body_error));
                 d.file = std::exchange(ex->request.body_file, std::string{});
                 ask(self, ex, boxes, image_atom::value, std::move(d)).then(reply_no_content(ex));
               });
  r.add("GET", "/api/transactions/{token:str}/status", access::box_token,
        [boxes, token](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, status_atom::value, token(ex),
              ex->query().required_int64("transactionid"))
              .then([ex](const std::string& status) {
                ex->reply(json_response(200, json::transaction_status(status)));
              });
        });
  r.add("PUT", "/api/transactions/{token:str}/status", access::box_token,
        [boxes, token](auto self, const exchange_ptr& ex) {
          auto id = ex->query().required_int64("transactionid");
          ask(self, ex, boxes, status_atom::value, token(ex), id,
              json::decode_transaction_status(ex->json_body()))
              .then(reply_no_content(ex));
        });
  r.add(
      "GET", "/api/transactions/{token:str}/outgoing/poll", access::box_token,
      [boxes, token](auto self, const exchange_ptr& ex) {
        // `n` is missing from the API description; Slicebox 2.1.1 peers send n=200.
        auto n = ex->query().int64("n").value_or(1);
        ask(self, ex, boxes, poll_atom::value, token(ex), n)
            .then([ex](const std::vector<outgoing_transaction_image>& items) {
              if (items.empty())
                return ex->reply(text_response(404, "The requested resource could not be found."));
              ex->reply(json_response(200, json::encode(items)));
            });
      });
  r.add("GET", "/api/transactions/{token:str}/outgoing", access::box_token,
        [boxes, token](auto self, const exchange_ptr& ex) {
          auto q = ex->query();
          ask(self, ex, boxes, get_atom::value, token(ex), q.required_int64("transactionid"),
              q.required_int64("imageid"))
              .then([ex](anonymization_output& o, int level) {
                http_response res;
                res.content_type = "application/octet-stream";
                try {
                  res.source = std::make_shared<compressed_image>(std::move(o), level);
                } catch (const std::exception& e) {
                  return ex->reply(text_response(404, std::string("File not found: ") + e.what()));
                }
                ex->reply(std::move(res));
              });
        });
  r.add("POST", "/api/transactions/{token:str}/outgoing/done", access::box_token,
        [boxes, token](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, done_atom::value, token(ex),
              json::decode_outgoing_transaction_image(ex->json_body()))
              .then(reply_no_content(ex));
        });
  r.add("POST", "/api/transactions/{token:str}/outgoing/failed", access::box_token,
        [boxes, token](auto self, const exchange_ptr& ex) {
          ask(self, ex, boxes, failed_atom::value, token(ex),
              json::decode_failed_outgoing_image(ex->json_body()))
              .then(reply_no_content(ex));
        });
}

}  // namespace sbx::http
