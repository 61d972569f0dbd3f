// SPDX-License-Identifier: Apache-2.0
#include "actors/ingest_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <filesystem>

#include "dicom/dataset_header.hpp"
#include "dicom/tag_filter.hpp"
#include "proto/error.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;
using stage_clock = std::chrono::steady_clock;

/// Microseconds since `since` (the stage timings of the debug log,
/// docs/operations.md#logs-and-stopping).
long long micros_since(stage_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::microseconds>(stage_clock::now() - since).count();
}

/// Held until a file handed to ingest is answered: then the queue depth of GET /metrics drops.
using answer_guard = std::shared_ptr<void>;

answer_guard guard_answer(const std::shared_ptr<metrics>& counters) {
  return {nullptr, [counters](void*) {
            if (counters) counters->ingest_answered();
          }};
}

/// How the flush of a file that ingest commits while flushing it went (read by the commit's
/// answer, which is handled after the flush: both run on the worker's thread).
struct flush_outcome {
  long long flushed_us = 0;  ///< stage timing of the debug log
  std::string failure;       ///< why the flush failed, "" if it did not
};

/// Answers an image whose row is committed but whose file could not be flushed: the upsert is
/// undone (the image goes back to the file it replaced, or goes) and the sender may try again.
void undo_unflushed(proto::ingest_actor::pointer self, const ingest_service_config& config,
                    const std::string& key, const upsert_result& u, const std::string& failure,
                    caf::typed_response_promise<ingest_result> promise, answer_guard answering) {
  spdlog::error("ingest: could not flush image {} ({}): {}", u.img.id, key, failure);
  self->request(config.metadata, caf::infinite, delete_atom::value, flush_atom::value, key,
                u.img.id, u.replaced_storage_key)
      .then(
          [=](const deletion&) mutable {
            config.store->remove(key);
            promise.deliver(internal_error());
            answering.reset();
          },
          [=](caf::error& e) mutable {
            // Left for the check at the next start (the unflushed_files row is still there).
            spdlog::error("ingest: could not undo image {}: {}", u.img.id, caf::to_string(e));
            promise.deliver(internal_error());
            answering.reset();
          });
}

/// Stores a validated file: places it, indexes it, publishes image_added, answers. A new image's
/// file is flushed while its row is committed, and the image is acknowledged once both are done
/// (docs/operations.md#durability); a file that replaces another image is flushed first.
void store(proto::ingest_actor::pointer self, const ingest_service_config& config, std::string file,
           image_attributes attributes, source src, std::int64_t replaces,
           caf::typed_response_promise<ingest_result> promise, stage_clock::time_point started,
           answer_guard answering) {
  const auto checked = micros_since(started);
  std::error_code size_error;
  const auto bytes = std::filesystem::file_size(file, size_error);
  const bool side_by_side =
      config.flush_beside_commit && replaces < 0 && !size_error && config.store->defers_flush();
  std::string key;
  try {
    key = side_by_side ? config.store->place(file) : config.store->adopt(file);
  } catch (const std::exception& e) {
    spdlog::error("ingest: could not store {}: {}", file, e.what());
    std::error_code ec;
    std::filesystem::remove(file, ec);
    // A store that cannot take the file now stored nothing: the sender may try again later
    // (docs/operations.md#images-in-s3).
    const bool unavailable = dynamic_cast<const persistence::store_unavailable*>(&e) != nullptr;
    promise.deliver(unavailable ? store_unavailable_error() : internal_error());
    return;
  }
  auto flushing = std::make_shared<flush_outcome>();
  if (!side_by_side) flushing->flushed_us = micros_since(started);
  const std::int64_t unflushed_bytes = side_by_side ? static_cast<std::int64_t>(bytes) : -1;
  self->request(config.metadata, caf::infinite, add_atom::value, std::move(attributes), src, key,
                replaces, unflushed_bytes)
      .then(
          [=](upsert_result& u) mutable {
            if (!flushing->failure.empty())
              return undo_unflushed(self, config, key, u, flushing->failure, promise, answering);
            if (!u.replaced_storage_key.empty()) config.store->remove(u.replaced_storage_key);
            if (side_by_side) caf::anon_send(config.metadata, flush_atom::value, key);
            caf::anon_send(config.events, image_added{u.img.id, src, !u.image_added});
            if (config.counters) config.counters->ingested(src.type, size_error ? 0 : bytes);
            spdlog::debug(
                "ingest: image {} from {} checked at {} us, flushed at {} us, "
                "committed at {} us",
                u.img.id, src.type, checked, flushing->flushed_us, micros_since(started));
            promise.deliver(ingest_result{std::move(u.img), u.image_added});
            answering.reset();
          },
          [=](caf::error& e) mutable {
            config.store->remove(key);
            promise.deliver(std::move(e));
            answering.reset();
          });
  if (!side_by_side) return;
  // The writer commits meanwhile; its answer is handled once this handler has returned.
  try {
    config.store->make_durable(key);
  } catch (const std::exception& e) {
    flushing->failure = e.what();
  }
  flushing->flushed_us = micros_since(started);
}

/// Applies a source's tag filter (docs/api.md#filtering): `file` is replaced by the filtered file
/// and `header` by that file's header, so the metadata shows what is stored. On failure the
/// filtered file is gone and `file` is left for the caller to remove.
void apply_filter(const ingest_service_config& config, const dicom::tag_filter& filter,
                  std::string& file, dicom::header_info& header) {
  const auto filtered = config.store->temp_path();
  std::error_code ec;
  try {
    dicom::filter_file(file, filtered, filter);
    header = dicom::read_header(filtered);
  } catch (...) {
    std::filesystem::remove(filtered, ec);
    throw;
  }
  std::filesystem::remove(file, ec);
  file = filtered.string();
}

proto::ingest_actor::behavior_type ingest_worker(proto::ingest_actor::pointer self,
                                                 ingest_service_config config) {
  auto defaults =
      config.original_contexts ? dicom::context_defaults::original : dicom::context_defaults::node;
  auto contexts = std::make_shared<const std::array<dicom::accepted_contexts, 2>>(
      std::array{dicom::image_data_contexts(defaults), dicom::extended_contexts(defaults)});
  return {
      [=](ingest_atom, ingest_request& r) -> caf::result<ingest_result> {
        const auto started = stage_clock::now();
        auto answering = guard_answer(config.counters);
        std::error_code ec;
        dicom::header_info header;
        try {
          header = dicom::read_header(r.file);
          if (r.contexts != context_set::any)
            dicom::check_context(header, (*contexts)[r.contexts == context_set::extended ? 1 : 0]);
          if (auto filter = config.filters->of(r.src))
            apply_filter(config, *filter, r.file, header);
        } catch (const dicom::invalid_dicom& e) {
          std::filesystem::remove(r.file, ec);
          if (config.counters) config.counters->ingest_failed(r.src.type);
          return make_error(errc::bad_request, e.what());
        } catch (const std::exception& e) {
          spdlog::error("ingest: could not process {}: {}", r.file, e.what());
          std::filesystem::remove(r.file, ec);
          return make_error(errc::internal, "There was an internal server error.");
        }
        auto promise = self->make_response_promise<ingest_result>();
        if (!r.reverse_anonymization || !header.patient_identity_removed || !*config.reverser) {
          store(self, config, std::move(r.file), std::move(header.attributes), std::move(r.src),
                r.replaces, promise, started, answering);
          return promise;
        }
        // Known anonymous data comes back under its real identities
        // (docs/api.md#reverse-anonymization).
        auto src = r.src;
        auto original = r.file;
        auto replaces = r.replaces;
        self->request(*config.reverser, caf::infinite, reverse_atom::value, r.file)
            .then(
                [=](const std::string& file) mutable {
                  try {
                    auto attributes = dicom::read_header(file).attributes;
                    store(self, config, file, std::move(attributes), src, replaces, promise,
                          started, answering);
                  } catch (const dicom::invalid_dicom& e) {
                    std::error_code ec;
                    std::filesystem::remove(file, ec);
                    promise.deliver(make_error(errc::bad_request, e.what()));
                  }
                  answering.reset();
                },
                [=](caf::error& e) mutable {
                  std::error_code ec;
                  std::filesystem::remove(original, ec);
                  promise.deliver(std::move(e));
                  answering.reset();
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
  // Round robin, counting every file handed in (the queue depth of GET /metrics).
  auto policy = [counters = config.counters, next = caf::actor_pool::round_robin()](
                    caf::actor_system& sys, caf::actor_pool::uplock& guard,
                    const caf::actor_pool::actor_vec& workers, caf::mailbox_element_ptr& m,
                    caf::execution_unit* host) mutable {
    if (counters) counters->ingest_queued();
    next(sys, guard, workers, m, host);
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), std::max(1u, config.workers),
                                    factory, policy);
  return caf::actor_cast<proto::ingest_actor>(pool);
}

}  // namespace sbx::actors
