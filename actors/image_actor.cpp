// SPDX-License-Identifier: Apache-2.0
#include "actors/image_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/step_chain.hpp"
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
            try {
              if (!config.store->exists(key))
                return (void)promise.deliver(make_error(errc::not_found, "File not found: " + key));
              promise.deliver(work(config.store->path_of(key)));
            } catch (const persistence::store_unavailable& e) {
              spdlog::warn("image {}: {}", image_id, e.what());
              promise.deliver(store_unavailable_error());
            } catch (const dicom::render_error& e) {
              promise.deliver(e.which() == dicom::render_error::kind::bad_frame
                                  ? make_error(errc::bad_request, e.what())
                                  : make_error(errc::unsupported,
                                               "The server either does not recognize the request "
                                               "method, or it lacks the ability to fulfill the "
                                               "request."));
            } catch (const std::exception& e) {
              spdlog::error("image {}: {}", image_id, e.what());
              promise.deliver(internal_error());
            }
          },
          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
  return promise;
}

/// `POST /api/images/jpeg`: the study and its patient, then the JPEG wrapped into a Secondary
/// Capture of that study and handed to ingest.
struct jpeg_job : step_chain<image_actor::pointer, ingest_result> {
  using step_chain::step_chain;
  image_service_config config;
  std::int64_t study_id = -1;
  std::string description, jpeg;
  source src;
  study stu;
};
using jpeg_ptr = std::shared_ptr<jpeg_job>;

void jpeg_find_patient(const jpeg_ptr& j);
void jpeg_wrap(const jpeg_ptr& j, const patient& pat);

void jpeg_find_study(const jpeg_ptr& j) {
  j->ask(j->config.metadata, get_atom::value, study_atom::value, j->study_id)
      .then(
          [j](const study& stu) {
            j->stu = stu;
            jpeg_find_patient(j);
          },
          j->fail_with(bare_not_found()));
}

void jpeg_find_patient(const jpeg_ptr& j) {
  j->ask(j->config.metadata, get_atom::value, patient_atom::value, j->stu.patient_id)
      .then([j](const patient& pat) { jpeg_wrap(j, pat); }, j->fail());
}

void jpeg_wrap(const jpeg_ptr& j, const patient& pat) {
  auto out = j->config.store->temp_path();
  try {
    dicom::wrap_jpeg(j->jpeg, pat, j->stu, j->description, out);
  } catch (const dicom::invalid_jpeg& e) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    return (void)j->promise.deliver(make_error(errc::bad_request, e.what()));
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    spdlog::error("jpeg wrap: {}", e.what());
    return (void)j->promise.deliver(internal_error());
  }
  j->promise.delegate(j->config.ingest, ingest_atom::value,
                      ingest_request{out.string(), j->src, context_set::extended});
}

/// `PUT /api/images/{id}/modify`: the image, its file, its series' source and series tags; then
/// the modified copy is written and ingested as a new image that replaces the old one (the old
/// row is deleted in the commit that writes the new one, and first, so that the new one is never
/// mistaken for it), and the old series' tags are linked to its series.
struct modify_job : step_chain<image_actor::pointer, image> {
  using step_chain::step_chain;
  image_service_config config;
  std::int64_t id = -1;
  std::vector<dicom::tag_mapping> mappings;
  image old;
  std::string key;
  source src{"unknown", "unknown", -1};  ///< recorded for the copy if the series has no source
  std::vector<series_tag> tags;
  std::string out;  ///< the modified copy
};
using modify_ptr = std::shared_ptr<modify_job>;

void modify_find_file(const modify_ptr& j);
void modify_find_source(const modify_ptr& j);
void modify_find_tags(const modify_ptr& j);
void modify_write_copy(const modify_ptr& j);
void modify_ingest_copy(const modify_ptr& j);
void modify_link_tags(const modify_ptr& j, const image& copy);

void modify_find_image(const modify_ptr& j) {
  j->ask(j->config.metadata, get_atom::value, image_atom::value, j->id)
      .then(
          [j](const image& old) {
            j->old = old;
            modify_find_file(j);
          },
          j->fail());
}

void modify_find_file(const modify_ptr& j) {
  j->ask(j->config.metadata, get_atom::value, file_atom::value, j->id)
      .then(
          [j](const std::string& key) {
            j->key = key;
            modify_find_source(j);
          },
          j->fail());
}

void modify_find_source(const modify_ptr& j) {
  j->ask(j->config.metadata, source_atom::value, j->old.series_id)
      .then(
          [j](const source& src) {
            j->src = src;
            modify_find_tags(j);
          },
          // No recorded source: the copy gets an unknown one and no series tags.
          [j](caf::error&) { modify_write_copy(j); });
}

void modify_find_tags(const modify_ptr& j) {
  j->ask(j->config.metadata, get_atom::value, series_tag_atom::value, series_atom::value,
         j->old.series_id)
      .then(
          [j](const std::vector<series_tag>& tags) {
            j->tags = tags;
            modify_write_copy(j);
          },
          j->fail());
}

void modify_write_copy(const modify_ptr& j) {
  auto out = j->config.store->temp_path();
  try {
    dicom::modify_file(j->config.store->path_of(j->key), out, j->mappings);
  } catch (const persistence::store_unavailable& e) {
    spdlog::warn("modify image {}: {}", j->id, e.what());
    std::error_code ec;
    std::filesystem::remove(out, ec);
    return (void)j->promise.deliver(store_unavailable_error());
  } catch (const std::exception& e) {
    spdlog::error("modify image {}: {}", j->id, e.what());
    std::error_code ec;
    std::filesystem::remove(out, ec);
    return (void)j->promise.deliver(internal_error());
  }
  j->out = out.string();
  modify_ingest_copy(j);
}

void modify_ingest_copy(const modify_ptr& j) {
  j->ask(j->config.ingest, ingest_atom::value,
         ingest_request{j->out, j->src, context_set::any, false, j->id})
      .then([j](const ingest_result& r) { modify_link_tags(j, r.img); }, j->fail());
}

void modify_link_tags(const modify_ptr& j, const image& copy) {
  if (j->tags.empty()) return (void)j->promise.deliver(copy);
  // Answer once every tag is linked, so a client sees the new series complete.
  auto left = std::make_shared<std::size_t>(j->tags.size());
  for (const auto& t : j->tags)
    j->ask(j->config.metadata, add_atom::value, series_atom::value, copy.series_id, t.name)
        .then(
            [j, left, copy](const series_tag&) {
              if (--*left == 0) j->promise.deliver(copy);
            },
            [j, left](caf::error& e) {
              if (--*left == 0) j->promise.deliver(std::move(e));
            });
}

image_actor::behavior_type image_worker(image_actor::pointer self, image_service_config config) {
  return {
      [=](attributes_atom, std::int64_t id) {
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
        auto j = std::make_shared<jpeg_job>(self, self->make_response_promise<ingest_result>());
        j->config = config;
        j->study_id = study_id;
        j->description = std::move(description);
        j->jpeg = std::move(jpeg);
        j->src = std::move(src);
        jpeg_find_study(j);
        return j->promise;
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
        auto j = std::make_shared<modify_job>(self, self->make_response_promise<image>());
        j->config = config;
        j->id = id;
        j->mappings = std::move(mappings);
        modify_find_image(j);
        return j->promise;
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
