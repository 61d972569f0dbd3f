// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"
#include "http/zip_source.hpp"
#include "persistence/file_store.hpp"
#include "proto/storage_messages.hpp"

namespace sbx::http {
namespace {

/// The uploaded file of a streamed request, or 400 when there is none (docs/api.md#images).
std::string take_upload(const exchange_ptr& ex) {
  auto& r = ex->request;
  if (!r.body_error.empty())
    throw rejection(text_response(400, "Invalid DICOM data: " + r.body_error));
  std::error_code ec;
  if (r.body_file.empty() || std::filesystem::file_size(r.body_file, ec) == 0 || ec)
    throw rejection(text_response(400, "Invalid DICOM data: the request has no content"));
  return std::exchange(r.body_file, std::string{});
}

/// A stored file's bytes sent as they come from the store (an S3 object not cached).
class stream_source final : public body_source {
 public:
  explicit stream_source(std::shared_ptr<persistence::byte_stream> s) : stream_(std::move(s)) {}
  std::string_view next() override { return stream_->next(); }

 private:
  std::shared_ptr<persistence::byte_stream> stream_;
};

}  // namespace

void add_image_routes(router& r, const services& s) {
  using namespace proto;
  auto ingest = s.ingest;
  auto md = s.metadata;
  auto storage = s.storage;

  r.add_upload("POST", "/api/images", access::user, [ingest](auto self, const exchange_ptr& ex) {
    ingest_request request{take_upload(ex), source{"user", ex->user.user, ex->user.id},
                           context_set::extended};
    self->request(ingest, caf::infinite, ingest_atom::value, std::move(request))
        .then(reply_ingested(ex), [ex](caf::error& e) {
          auto res = error_response(e);
          if (res.status == 400) res.body = "Invalid DICOM data: " + res.body;
          ex->reply(std::move(res));
        });
  });

  auto images = s.images;
  r.add("GET", "/api/images/{id}/attributes", access::user,
        [images](auto self, const exchange_ptr& ex) {
          ask(self, ex, images, attributes_atom::value, ex->params.id("id")).then(reply_json(ex));
        });
  r.add("GET", "/api/images/{id}/imageinformation", access::user,
        [images](auto self, const exchange_ptr& ex) {
          ask(self, ex, images, info_atom::value, ex->params.id("id")).then(reply_json(ex));
        });
  r.add("GET", "/api/images/{id}/png", access::user, [images](auto self, const exchange_ptr& ex) {
    auto q = ex->query();
    auto int32 = [&q](const char* name, std::int64_t fallback) {
      auto v = q.int64(name).value_or(fallback);
      if (v < INT32_MIN || v > INT32_MAX)
        throw rejection(text_response(400, std::string("The query parameter '") + name +
                                               "' was malformed:\nnot a 32-bit integer"));
      return static_cast<int>(v);
    };
    png_request request{int32("framenumber", 1), int32("windowmin", 0), int32("windowmax", 0),
                        int32("imageheight", 0)};
    ask(self, ex, images, png_atom::value, ex->params.id("id"), request)
        .then([ex](const std::string& png) {
          ex->reply({.status = 200, .content_type = "image/png", .body = png});
        });
  });
  r.add_upload("POST", "/api/images/jpeg", access::user,
               [images](auto self, const exchange_ptr& ex) {
                 auto q = ex->query();
                 auto study_id = q.required_int64("studyid");
                 auto description = q.get("description").value_or("");
                 // The JPEG stays the exchange's file (removed after the answer); the wrapped copy
                 // is ingested.
                 ask(self, ex, images, jpeg_atom::value, study_id, description,
                     ex->request.body_file, source{"user", ex->user.user, ex->user.id})
                     .then(reply_ingested(ex));
               });

  r.add("PUT", "/api/images/{id}/modify", access::user,
        [images](auto self, const exchange_ptr& ex) {
          auto mappings = json::decode_tag_mappings(ex->json_body());
          ask(self, ex, images, modify_atom::value, ex->params.id("id"), std::move(mappings))
              .then(reply_json(ex, 201));
        });

  r.add("GET", "/api/images/{id}", access::user, [storage](auto self, const exchange_ptr& ex) {
    ask(self, ex, storage, get_atom::value, file_atom::value, ex->params.id("id"))
        .then([ex](const image_bytes& bytes) {
          if (!bytes.stream) return ex->reply(file_response(bytes.path));
          // Streamed from S3 as it arrives (docs/operations.md#images-in-s3): chunked, since
          // the length is not known before the object is read.
          http_response res{.status = 200, .content_type = "application/octet-stream"};
          res.source = std::make_shared<stream_source>(bytes.stream);
          ex->reply(std::move(res));
        });
  });

  r.add("POST", "/api/images/export", access::user, [storage](auto self, const exchange_ptr& ex) {
    auto ids = json::decode_ids(ex->json_body());
    if (ids.empty()) return ex->reply(empty_response(204));
    ask(self, ex, storage, add_atom::value, export_atom::value, std::move(ids))
        .then([ex](std::int64_t id) {
          ex->reply(json_response(200, "{\"id\":" + std::to_string(id) + "}"));
        });
  });
  r.add(
      "GET", "/api/images/export", access::user,
      [storage, level = s.export_compression_level](auto self, const exchange_ptr& ex) {
        auto id = ex->query().required_int64("id");
        ask(self, ex, storage, get_atom::value, export_atom::value, id)
            .then([ex, level](const export_plan& plan) {
              std::vector<zip_item> items;
              items.reserve(plan.entries.size());
              for (const auto& e : plan.entries)
                items.push_back({e.name, {}, [store = plan.store, key = e.key](std::string& path) {
                                   auto stream = store->open_stream(key);
                                   if (!stream) path = store->path_of(key).string();
                                   return stream;
                                 }});
              http_response res{.status = 200, .content_type = "application/octet-stream"};
              res.headers.emplace_back("Content-Disposition",
                                       "attachment; filename=slicebox-export.zip");
              res.source = zip_source(std::move(items), level);
              ex->reply(std::move(res));
            });
      });

  r.add("DELETE", "/api/images/{id}", access::user, [md](auto self, const exchange_ptr& ex) {
    ask(self, ex, md, delete_atom::value, std::vector<std::int64_t>{ex->params.id("id")})
        .then(reply_no_content(ex));
  });

  r.add("POST", "/api/images/delete", access::user, [md](auto self, const exchange_ptr& ex) {
    ask(self, ex, md, delete_atom::value, json::decode_ids(ex->json_body()))
        .then(reply_no_content(ex));
  });
}

}  // namespace sbx::http
