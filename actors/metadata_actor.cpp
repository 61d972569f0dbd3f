// SPDX-License-Identifier: Apache-2.0
#include "actors/metadata_actor.hpp"

#include <atomic>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>

#include "actors/database_call.hpp"
#include "persistence/metadata_repo.hpp"
#include "persistence/qido_repo.hpp"
#include "proto/events.hpp"

namespace sbx::actors {
namespace {

using namespace proto;
using persistence::metadata_repo;

/// One upsert waiting for the next group commit.
struct pending_upsert {
  image_attributes attributes;
  source src;
  std::string key;
  std::int64_t replaces = -1;         ///< deleted in the same commit
  std::int64_t unflushed_bytes = -1;  ///< the file's size while it is being flushed, else -1
  caf::typed_response_promise<upsert_result> promise;
};

/// The image an upsert was to replace is gone (deleted or replaced by another request in the
/// meantime): the replacement is refused, so that one image never becomes two.
struct replaced_image_gone : std::runtime_error {
  replaced_image_gone() : std::runtime_error("the image to replace no longer exists") {}
};

/// Writes one upsert, first deleting the image it replaces (into `deleted`); a file still being
/// flushed is recorded as such (docs/operations.md#durability).
upsert_result apply(metadata_repo& repo, const pending_upsert& p, std::vector<deletion>& deleted) {
  if (p.replaces >= 0) {
    auto d = repo.delete_images({p.replaces});
    if (d.image_ids.empty()) throw replaced_image_gone{};
    deleted.push_back(std::move(d));
  }
  auto r = repo.upsert(p.attributes, p.src, p.key);
  if (p.unflushed_bytes >= 0)
    repo.add_unflushed({p.key, r.img.id, r.replaced_storage_key, p.unflushed_bytes});
  return r;
}

struct metadata_state {
  static inline const char* name = "metadata";
  metadata_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<metadata_repo> repo;
  std::vector<pending_upsert> pending;
  bool flush_scheduled = false;
  /// Keys of unflushed_files rows whose files are flushed now: removed with the next commit.
  std::vector<std::string> flushed;
  bool flushed_scheduled = false;
};

using metadata_pointer = metadata_actor::stateful_pointer<metadata_state>;

caf::error not_found() {
  return make_error(errc::not_found, "The requested resource could not be found.");
}

/// Runs a read or write; a bad property becomes 400, a database failure 500.
template <class T, class F>
caf::result<T> guarded(F&& body) {
  return checked_database_call<T>("metadata", std::forward<F>(body));
}

template <class T>
caf::result<T> found(std::optional<T> x) {
  if (x) return std::move(*x);
  return not_found();
}

/// After the commit of deletions: their files go, and the news.
void deleted_after_commit(metadata_pointer self, const std::vector<deletion>& deleted) {
  for (const auto& d : deleted) {
    for (const auto& key : d.storage_keys) self->state.config.store->remove(key);
    if (!d.image_ids.empty())
      caf::anon_send(self->state.config.events, images_deleted{d.image_ids, d.series_ids});
  }
}

/// Commits every waiting upsert in one transaction, with the removal of the unflushed_files rows
/// whose files are flushed now.
void flush(metadata_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto batch = std::move(st.pending);
  st.pending.clear();
  auto flushed = std::move(st.flushed);
  st.flushed.clear();
  if (batch.empty() && flushed.empty()) return;
  std::vector<upsert_result> results;
  std::vector<deletion> deleted;
  results.reserve(batch.size());
  const auto started = std::chrono::steady_clock::now();
  try {
    persistence::transaction tx{*st.db};
    st.repo->remove_unflushed(flushed);
    for (auto& p : batch) results.push_back(apply(*st.repo, p, deleted));
    tx.commit();
  } catch (const std::exception& e) {
    // Left for the start-up check if this keeps failing: the files are whole.
    st.flushed.insert(st.flushed.end(), flushed.begin(), flushed.end());
    // One bad row must not fail its neighbours: retry each upsert on its own.
    spdlog::warn("metadata: batch of {} failed ({}); retrying one by one", batch.size(), e.what());
    for (auto& p : batch) {
      try {
        std::vector<deletion> one;
        persistence::transaction tx{*st.db};
        auto r = apply(*st.repo, p, one);
        tx.commit();
        deleted_after_commit(self, one);
        p.promise.deliver(std::move(r));
      } catch (const replaced_image_gone&) {
        p.promise.deliver(not_found());
      } catch (const std::exception& e2) {
        spdlog::error("metadata: upsert failed: {}", e2.what());
        p.promise.deliver(make_error(errc::internal, "There was an internal server error."));
      }
    }
    return;
  }
  spdlog::debug("metadata: committed {} images in {} us", batch.size(),
                std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count());
  if (st.config.counters) st.config.counters->commit_batch(batch.size());
  deleted_after_commit(self, deleted);
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].promise.deliver(std::move(results[i]));
}

metadata_actor::behavior_type metadata_worker(metadata_pointer self,
                                              metadata_service_config config) {
  self->state.config = std::move(config);
  self->state.db = persistence::open_database(self->state.config.database);
  self->state.repo = std::make_unique<metadata_repo>(*self->state.db);
  auto repo = [self]() -> metadata_repo& { return *self->state.repo; };
  return {
      [=](get_atom, patient_atom, std::int64_t id) {
        return guarded<patient>([&] { return found(repo().patient(id)); });
      },
      [=](get_atom, study_atom, std::int64_t id) {
        return guarded<study>([&] { return found(repo().study(id)); });
      },
      [=](get_atom, series_atom, std::int64_t id) {
        return guarded<series>([&] { return found(repo().series(id)); });
      },
      [=](get_atom, image_atom, std::int64_t id) {
        return guarded<image>([&] { return found(repo().image(id)); });
      },
      [=](get_atom, flat_atom, std::int64_t id) {
        return guarded<flat_series>([&] { return found(repo().flat_series(id)); });
      },
      [=](get_atom, images_atom, const std::vector<std::int64_t>& ids) {
        return guarded<std::vector<image>>([&] {
          std::vector<image> out;
          for (auto id : ids)
            if (auto i = repo().image(id)) out.push_back(std::move(*i));
          return out;
        });
      },
      [=](get_atom, file_atom, std::int64_t id) {
        return guarded<std::string>([&] { return found(repo().storage_key(id)); });
      },
      [=](get_atom, location_atom, const std::vector<std::int64_t>& ids) {
        return guarded<std::vector<image_location>>([&] { return repo().locations(ids); });
      },
      [=](list_atom, patient_atom, const listing& l) {
        return guarded<std::vector<patient>>([&] { return repo().list_patients(l); });
      },
      [=](list_atom, study_atom, std::int64_t patient_id, const listing& l) {
        return guarded<std::vector<study>>([&] { return repo().list_studies(patient_id, l); });
      },
      [=](list_atom, series_atom, std::int64_t study_id, const listing& l) {
        return guarded<std::vector<series>>([&] { return repo().list_series(study_id, l); });
      },
      [=](list_atom, image_atom, std::int64_t series_id, const listing& l) {
        return guarded<std::vector<image>>([&] { return repo().list_images(series_id, l); });
      },
      [=](list_atom, flat_atom, const listing& l) {
        return guarded<std::vector<flat_series>>([&] { return repo().list_flat_series(l); });
      },
      [=](query_atom, patient_atom, const metadata_query& q) {
        return guarded<std::vector<patient>>([&] { return repo().query_patients(q); });
      },
      [=](query_atom, study_atom, const metadata_query& q) {
        return guarded<std::vector<study>>([&] { return repo().query_studies(q); });
      },
      [=](query_atom, series_atom, const metadata_query& q) {
        return guarded<std::vector<series>>([&] { return repo().query_series(q); });
      },
      [=](query_atom, image_atom, const metadata_query& q) {
        return guarded<std::vector<image>>([&] { return repo().query_images(q); });
      },
      [=](query_atom, flat_atom, const metadata_query& q) {
        return guarded<std::vector<flat_series>>([&] { return repo().query_flat_series(q); });
      },
      [=](images_atom, patient_atom, std::int64_t id, const series_filter& f) {
        return guarded<std::vector<image>>([&] { return repo().images_of_patient(id, f); });
      },
      [=](images_atom, study_atom, std::int64_t id, const series_filter& f) {
        return guarded<std::vector<image>>([&] { return repo().images_of_study(id, f); });
      },
      [=](source_atom, std::int64_t series_id) {
        return guarded<source>([&] { return found(repo().series_source(series_id)); });
      },
      [=](list_atom, series_tag_atom, const listing& l) {
        return guarded<std::vector<series_tag>>([&] { return repo().list_series_tags(l); });
      },
      [=](get_atom, series_tag_atom, std::int64_t id) {
        return guarded<series_tag>([&] { return found(repo().series_tag(id)); });
      },
      [=](get_atom, series_tag_atom, series_atom, std::int64_t series_id) {
        return guarded<std::vector<series_tag>>([&] { return repo().tags_of_series(series_id); });
      },
      [=](add_atom, image_attributes& a, source& src, std::string& key, std::int64_t replaces,
          std::int64_t unflushed_bytes) -> caf::result<upsert_result> {
        auto& st = self->state;
        auto promise = self->make_response_promise<upsert_result>();
        st.pending.push_back(
            {std::move(a), std::move(src), std::move(key), replaces, unflushed_bytes, promise});
        // Upserts that arrive before this message is handled join the same commit.
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
        return promise;
      },
      [=](delete_atom, const std::vector<std::int64_t>& ids) {
        return guarded<deletion>([&]() -> caf::result<deletion> {
          persistence::transaction tx{*self->state.db};
          auto d = repo().delete_images(ids);
          tx.commit();
          deleted_after_commit(self, {d});
          return d;
        });
      },
      [=](add_atom, series_tag_atom, const std::string& name) {
        return guarded<series_tag>([&]() -> caf::result<series_tag> {
          try {
            return repo().insert_series_tag(name);
          } catch (const persistence::database_error& e) {
            if (e.kind() != persistence::db_failure::unique_violation) throw;
            return make_error(errc::bad_request, "A series tag named " + name + " already exists");
          }
        });
      },
      [=](rename_atom, series_tag_atom, const series_tag& t) {
        return guarded<series_tag>([&]() -> caf::result<series_tag> {
          try {
            if (!repo().rename_series_tag(t.id, t.name)) return not_found();
            return t;
          } catch (const persistence::database_error& e) {
            if (e.kind() != persistence::db_failure::unique_violation) throw;
            return make_error(errc::bad_request,
                              "A series tag named " + t.name + " already exists");
          }
        });
      },
      [=](delete_atom, series_tag_atom, std::int64_t id) {
        return guarded<bool>([&] {
          repo().delete_series_tag(id);
          return true;
        });
      },
      [=](add_atom, series_atom, std::int64_t series_id, const std::string& name) {
        return guarded<series_tag>([&]() -> caf::result<series_tag> {
          persistence::transaction tx{*self->state.db};
          auto t = repo().add_tag_to_series(series_id, name);
          tx.commit();
          if (!t) return make_error(errc::not_found, "Series not found");
          return *t;
        });
      },
      [=](delete_atom, series_atom, std::int64_t series_id, std::int64_t tag_id) {
        return guarded<bool>([&] {
          repo().remove_tag_from_series(series_id, tag_id);
          return true;
        });
      },
      [=](query_atom, qido_atom, const qido_query& q) {
        return guarded<std::vector<qido_match>>(
            [&] { return persistence::qido_search(*self->state.db, q); });
      },
      [=](flush_atom) { flush(self); },
      [=](flush_atom, std::string& key) {
        // Rides on the next commit of upserts; an idle writer commits it a little later.
        auto& st = self->state;
        st.flushed.push_back(std::move(key));
        if (!st.flushed_scheduled) {
          st.flushed_scheduled = true;
          self->delayed_send(self, std::chrono::seconds{1}, flush_atom::value, flush_atom::value);
        }
      },
      [=](flush_atom, flush_atom) {
        self->state.flushed_scheduled = false;
        flush(self);
      },
      [=](delete_atom, flush_atom, const std::string& key, std::int64_t image_id,
          const std::string& previous_key) {
        return guarded<deletion>([&]() -> caf::result<deletion> {
          persistence::transaction tx{*self->state.db};
          const persistence::unflushed_file f{key, image_id, previous_key, 0};
          auto d = repo().undo_upsert(f, !previous_key.empty());
          repo().remove_unflushed({key});
          tx.commit();
          deleted_after_commit(self, {d});
          return d;
        });
      },
  };
}

bool is_write(const caf::type_erased_tuple& m) {
  if (m.empty() || !m.match_element<caf::atom_value>(0)) return false;
  auto a = m.get_as<caf::atom_value>(0);
  return a == add_atom::value || a == delete_atom::value || a == rename_atom::value ||
         a == flush_atom::value;
}

}  // namespace

proto::metadata_actor spawn_metadata_actor(caf::actor_system& sys, metadata_service_config config) {
  auto counter = std::make_shared<std::atomic<std::size_t>>(0);
  // Worker 0 writes, the others read: SQLite in WAL mode (and PostgreSQL) lets readers run
  // beside the writer, and a single writer is what makes group commit possible.
  auto policy = [counter](caf::actor_system&, caf::actor_pool::uplock& guard,
                          const caf::actor_pool::actor_vec& workers, caf::mailbox_element_ptr& m,
                          caf::execution_unit* host) {
    caf::actor target;
    if (workers.size() == 1 || is_write(m->content())) {
      target = workers.front();
    } else {
      auto i = 1 + counter->fetch_add(1, std::memory_order_relaxed) % (workers.size() - 1);
      target = workers[i];
    }
    guard.unlock();
    target->enqueue(std::move(m), host);
  };
  auto factory = [&sys, config] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(metadata_worker, config));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), 1 + std::max(1u, config.readers),
                                    factory, policy);
  return caf::actor_cast<proto::metadata_actor>(pool);
}

}  // namespace sbx::actors

namespace sbx::actors {

std::vector<std::string> referenced_storage_keys(const persistence::database_config& database) {
  auto db = persistence::open_database(database);
  return persistence::metadata_repo{*db}.all_storage_keys();
}

unflushed_check check_unflushed(const persistence::file_store& store,
                                const persistence::database_config& database) {
  auto db = persistence::open_database(database);
  metadata_repo repo{*db};
  unflushed_check out;
  persistence::transaction tx{*db};
  auto files = repo.unflushed_files();
  if (files.empty()) return out;
  std::vector<std::string> keys;
  for (const auto& f : files) {  // newest first: an older row may have to go back further
    keys.push_back(f.storage_key);
    if (repo.storage_key(f.image_id) != f.storage_key) continue;  // another file by now
    if (store.intact(f.storage_key, f.bytes)) {
      store.make_durable(f.storage_key);
      ++out.kept;
      continue;
    }
    const bool restore = !f.previous_key.empty() && store.exists(f.previous_key);
    auto d = repo.undo_upsert(f, restore);
    if (restore)
      ++out.restored;
    else if (!d.image_ids.empty())
      ++out.removed;
  }
  repo.remove_unflushed(keys);
  tx.commit();
  return out;
}

}  // namespace sbx::actors
