// SPDX-License-Identifier: Apache-2.0
#include "actors/image_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "dicom/attributes.hpp"
#include "dicom/dataset_header.hpp"
#include "dicom/jpeg_wrap.hpp"
#include "dicom/modify.hpp"
#include "dicom/png_render.hpp"
#include "dicom/tag_path.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

/// Looks up an image's file, then runs `work` on it in this worker and answers with its result.
/// `work` may throw; failures become errors for the client.
template <class T, class Work>
caf::result<T> with_file(image_actor::pointer self, const image_service_config& config,
                         std::int64_t image_id, Work work) {
  auto promise = self->make_response_promise<T>();
  self->request(config.metadata, caf::infinite, get_atom::value, file_atom::value, image_id)
      .then(
          [=](const std::string& key) mutable {
            if (!config.store->exists(key))
              return (void)promise.deliver(make_error(errc::not_found, "File not found: " + key));
            try {
              promise.deliver(work(config.store->path_of(key)));
            } catch (const dicom::render_error& e) {
              promise.deliver(e.which() == dicom::render_error::kind::bad_frame
                                  ? make_error(errc::bad_request, e.what())
                                  : make_error(errc::unsupported,
                                               "The server either does not recognize the request "
                                               "method, or it lacks the ability to fulfill the "
                                               "request."));
            } catch (const std::exception& e) {
              spdlog::error("image {}: {}", image_id, e.what());
              promise.deliver(make_error(errc::internal, "There was an internal server error."));
            }
          },
          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
  return promise;
}

/// The second half of modify: store the modified file as a new image and carry the old series'
/// tags over. The old image is already gone.
void store_modified(image_actor::pointer self, const image_service_config& config, std::string file,
                    source src, std::vector<series_tag> tags,
                    caf::typed_response_promise<image> promise) {
  self->request(config.ingest, caf::infinite, ingest_atom::value,
                ingest_request{std::move(file), std::move(src), context_set::any, false})
      .then(
          [=](const ingest_result& r) mutable {
            if (tags.empty()) return (void)promise.deliver(r.img);
            // Answer once every tag is linked, so a client sees the new series complete.
            auto left = std::make_shared<std::size_t>(tags.size());
            for (const auto& t : tags)
              self->request(config.metadata, caf::infinite, add_atom::value, series_atom::value,
                            r.img.series_id, t.name)
                  .then(
                      [=](const series_tag&) mutable {
                        if (--*left == 0) promise.deliver(r.img);
                      },
                      [=](caf::error& e) mutable {
                        if (--*left == 0) promise.deliver(std::move(e));
                      });
          },
          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
}

image_actor::behavior_type image_worker(image_actor::pointer self, image_service_config config) {
  return {
      [=](attrs_atom, std::int64_t id) {
        return with_file<std::vector<image_attribute>>(
            self, config, id,
            [](const std::filesystem::path& p) { return dicom::read_attributes(p); });
      },
      [=](info_atom, std::int64_t id) {
        return with_file<image_information>(self, config, id, [](const std::filesystem::path& p) {
          return dicom::read_image_information(p);
        });
      },
      [=](png_atom, std::int64_t id, png_request r) {
        return with_file<std::string>(self, config, id, [r](const std::filesystem::path& p) {
          return dicom::render_png(p, {r.frame, r.window_min, r.window_max, r.image_height});
        });
      },
      [=](jpeg_atom, std::int64_t study_id, std::string& description, std::string& jpeg,
          source& src) -> caf::result<ingest_result> {
        auto promise = self->make_response_promise<ingest_result>();
        self->request(config.metadata, caf::infinite, get_atom::value, study_atom::value, study_id)
            .then(
                [=](const study& stu) mutable {
                  self->request(config.metadata, caf::infinite, get_atom::value,
                                patient_atom::value, stu.patient_id)
                      .then(
                          [=](const patient& pat) mutable {
                            auto out = config.store->temp_path();
                            try {
                              dicom::wrap_jpeg(jpeg, pat, stu, description, out);
                            } catch (const dicom::invalid_jpeg& e) {
                              std::error_code ec;
                              std::filesystem::remove(out, ec);
                              return (void)promise.deliver(make_error(errc::bad_request, e.what()));
                            } catch (const std::exception& e) {
                              std::error_code ec;
                              std::filesystem::remove(out, ec);
                              spdlog::error("jpeg wrap: {}", e.what());
                              return (void)promise.deliver(make_error(
                                  errc::internal, "There was an internal server error."));
                            }
                            promise.delegate(
                                config.ingest, ingest_atom::value,
                                ingest_request{out.string(), src, context_set::extended});
                          },
                          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
                },
                [=](caf::error&) mutable {
                  promise.deliver(make_error(errc::not_found,
                                             "The requested resource could not be found but may "
                                             "be available again in the future."));
                });
        return promise;
      },
      [=](modify_atom, std::int64_t id, std::vector<tag_value>& values) -> caf::result<image> {
        std::vector<dicom::tag_mapping> mappings;
        try {
          for (auto& v : values) {
            dicom::resolve_names(v.path);
            if (!addresses_element(v.path))
              return make_error(errc::bad_request, "A tag path must end in a tag");
            mappings.push_back({std::move(v.path), std::move(v.value)});
          }
        } catch (const std::invalid_argument& e) {
          return make_error(errc::bad_request, e.what());
        }
        auto promise = self->make_response_promise<image>();
        self->request(config.metadata, caf::infinite, get_atom::value, image_atom::value, id)
            .then(
                [=](const image& old) mutable {
                  auto key_and_rest = [=](const std::string& key, source src,
                                          std::vector<series_tag> tags) mutable {
                    auto out = config.store->temp_path();
                    try {
                      dicom::modify_file(config.store->path_of(key), out, mappings);
                    } catch (const std::exception& e) {
                      spdlog::error("modify image {}: {}", id, e.what());
                      std::error_code ec;
                      std::filesystem::remove(out, ec);
                      return (void)promise.deliver(
                          make_error(errc::internal, "There was an internal server error."));
                    }
                    // The old image goes first, so the new one is never mistaken for it.
                    self->request(config.metadata, caf::infinite, delete_atom::value,
                                  std::vector<std::int64_t>{id})
                        .then(
                            [=](const deletion&) mutable {
                              store_modified(self, config, out.string(), src, tags, promise);
                            },
                            [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
                  };
                  self->request(config.metadata, caf::infinite, get_atom::value, file_atom::value,
                                id)
                      .then(
                          [=](const std::string& key) mutable {
                            self->request(config.metadata, caf::infinite, source_atom::value,
                                          old.series_id)
                                .then(
                                    [=](const source& src) mutable {
                                      self->request(config.metadata, caf::infinite, get_atom::value,
                                                    tag_atom::value, series_atom::value,
                                                    old.series_id)
                                          .then(
                                              [=](const std::vector<series_tag>& tags) mutable {
                                                key_and_rest(key, src, tags);
                                              },
                                              [=](caf::error& e) mutable {
                                                promise.deliver(std::move(e));
                                              });
                                    },
                                    [=](caf::error&) mutable {
                                      key_and_rest(key, source{"unknown", "unknown", -1}, {});
                                    });
                          },
                          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
                },
                [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
  };
}

}  // namespace

proto::image_actor spawn_image_actor(caf::actor_system& sys, image_service_config config) {
  auto factory = [&sys, config] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(image_worker, config));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), std::max(1u, config.workers),
                                    factory, caf::actor_pool::round_robin());
  return caf::actor_cast<proto::image_actor>(pool);
}

}  // namespace sbx::actors
