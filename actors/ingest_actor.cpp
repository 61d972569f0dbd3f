// SPDX-License-Identifier: Apache-2.0
#include "actors/ingest_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "dicom/dataset_header.hpp"
#include "proto/error.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

proto::ingest_actor::behavior_type ingest_worker(proto::ingest_actor::pointer self,
                                                 ingest_service_config config) {
  auto defaults =
      config.original_contexts ? dicom::context_defaults::original : dicom::context_defaults::node;
  auto contexts = std::make_shared<const std::array<dicom::accepted_contexts, 2>>(
      std::array{dicom::image_data_contexts(defaults), dicom::extended_contexts(defaults)});
  return {
      [=](ingest_atom, ingest_request& r) -> caf::result<ingest_result> {
        const auto& store = *config.store;
        std::error_code ec;
        dicom::header_info header;
        try {
          header = dicom::read_header(r.file);
          if (r.contexts != context_set::any)
            dicom::check_context(header, (*contexts)[r.contexts == context_set::extended ? 1 : 0]);
        } catch (const dicom::invalid_dicom& e) {
          std::filesystem::remove(r.file, ec);
          return make_error(errc::bad_request, e.what());
        }
        std::string key;
        try {
          key = store.adopt(r.file);
        } catch (const std::exception& e) {
          spdlog::error("ingest: could not store {}: {}", r.file, e.what());
          std::filesystem::remove(r.file, ec);
          return make_error(errc::internal, "There was an internal server error.");
        }
        auto promise = self->make_response_promise<ingest_result>();
        auto src = r.src;
        self->request(config.metadata, caf::infinite, add_atom::value, std::move(header.attributes),
                      r.src, key)
            .then(
                [=](upsert_result& u) mutable {
                  if (!u.replaced_storage_key.empty()) config.store->remove(u.replaced_storage_key);
                  caf::anon_send(config.events, image_added{u.img.id, src, !u.image_added});
                  promise.deliver(ingest_result{std::move(u.img), u.image_added});
                },
                [=](caf::error& e) mutable {
                  config.store->remove(key);
                  promise.deliver(std::move(e));
                });
        return promise;
      },
  };
}

}  // namespace

proto::ingest_actor spawn_ingest_actor(caf::actor_system& sys, ingest_service_config config) {
  auto factory = [&sys, config] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(ingest_worker, config));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), std::max(1u, config.workers),
                                    factory, caf::actor_pool::round_robin());
  return caf::actor_cast<proto::ingest_actor>(pool);
}

}  // namespace sbx::actors
