// SPDX-License-Identifier: Apache-2.0
#include "actors/anonymization_actor.hpp"

#include <algorithm>
#include <atomic>
#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <map>

#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "actors/event_relay.hpp"
#include "actors/step_chain.hpp"
#include "dicom/anonymization.hpp"
#include "dicom/anonymization_keys.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/modify.hpp"
#include "dicom/tag_path.hpp"
#include "persistence/anonymization_repo.hpp"
#include "proto/csv.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

/// Root-level values by tag, as dicom::root_values gives them.
using root_value_map = std::map<std::uint32_t, std::string>;

/// What a worker asks the keeper once it has de-identified an image: the real and anonymous
/// values of the value tags (docs/api.md#anonymization-keys).
struct key_request {
  std::int64_t image_id = -1;
  root_value_map real;        ///< the input's values
  root_value_map anonymized;  ///< the values after de-identification
  root_value_map custom;      ///< the caller's custom values at root paths
};

/// The keeper's answer to a reverse lookup (docs/api.md#reverse-anonymization).
struct reverse_match {
  bool matched = false;
  std::vector<tag_value> real;  ///< the real values to write back
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_request& x) {
  return f(x.image_id, x.real, x.anonymized, x.custom);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reverse_match& x) {
  return f(x.matched, x.real);
}

/// Owns the key tables; every key operation runs on it, one at a time, so that concurrent
/// anonymizations of one patient agree on its anonymous values (docs/api.md#anonymization-keys).
using key_keeper_actor = anonymization_key_actor::extend<
    // Records the key of a de-identified image and answers the harmonized values its output
    // gets (docs/api.md#anonymization-keys, custom values excepted).
    caf::replies_to<record_atom, key_request>::with<std::vector<tag_value>>,
    // Finds the key of anonymous root values (docs/api.md#reverse-anonymization).
    caf::replies_to<reverse_atom, keys_atom, root_value_map>::with<reverse_match>,
    // Records the keys waiting for it (sent to itself).
    caf::reacts_to<flush_atom>>;

/// Does the file work: reads, de-identifies and writes images; asks the keeper for keys.
using anonymization_worker_actor =
    caf::typed_actor<caf::replies_to<anonymize_atom, std::int64_t, std::vector<std::string>,
                                     std::vector<tag_value>, bool>::with<anonymization_output>,
                     caf::replies_to<anonymize_atom, std::vector<std::string>,
                                     std::vector<image_tag_values>>::with<std::vector<image>>,
                     caf::replies_to<reverse_atom, std::string>::with<std::string>>;

/// A key waiting for the next group commit.
struct pending_key {
  key_request request;
  caf::typed_response_promise<std::vector<tag_value>> promise;
};

struct key_keeper_state {
  static inline const char* name = "anonymization";
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::anonymization_repo> repo;
  std::vector<pending_key> pending;
  bool flush_scheduled = false;
};

template <class T, class F>
caf::result<T> guarded(F&& body) {
  return checked_database_call<T>("anonymization", std::forward<F>(body));
}

std::optional<order_by> order_of(const std::string& by, bool ascending) {
  if (by.empty()) return std::nullopt;
  return order_by{by, ascending};
}

/// A stored tag path; a string the dictionary no longer parses is shown as an empty path.
tag_path parsed(const std::string& text) {
  try {
    auto p = dicom::parse_tag_path(text, false);
    dicom::resolve_names(p);
    return p;
  } catch (const std::invalid_argument&) {
    return {};
  }
}

constexpr std::uint32_t patient_name = 0x00100010, patient_id = 0x00100020, study_uid = 0x0020000D,
                        series_uid = 0x0020000E, sop_uid = 0x00080018,
                        patient_identity_removed = 0x00120062, media_storage_sop_uid = 0x00020003;

/// The five identities a key holds in columns: their tags and (real, anonymous) fields.
struct key_column {
  std::uint32_t tag;
  std::string anonymization_key::*real;
  std::string anonymization_key::*anon;
};

constexpr key_column key_columns[] = {
    {patient_name, &anonymization_key::patient_name, &anonymization_key::anon_patient_name},
    {patient_id, &anonymization_key::patient_id, &anonymization_key::anon_patient_id},
    {study_uid, &anonymization_key::study_instance_uid,
     &anonymization_key::anon_study_instance_uid},
    {series_uid, &anonymization_key::series_instance_uid,
     &anonymization_key::anon_series_instance_uid},
    {sop_uid, &anonymization_key::sop_instance_uid, &anonymization_key::anon_sop_instance_uid},
};

const key_column* column_of(std::uint32_t tag) {
  for (const auto& c : key_columns)
    if (c.tag == tag) return &c;
  return nullptr;
}

tag_path root(std::uint32_t tag) { return tag_path{{tag, "", false, 0}}; }

/// The string form of a root-level tag's path, as key values store it.
std::string root_path(std::uint32_t tag) { return dicom::to_string(root(tag)); }

/// The five identifying values of `values` (missing ones empty), to look keys up with.
persistence::key_lookup lookup_of(root_value_map values) {
  return {values[patient_name], values[patient_id], values[study_uid], values[series_uid],
          values[sop_uid]};
}

/// Matches and records the key of one de-identified image in the open transaction and answers
/// the harmonized values of its matched levels that the output gets
/// (docs/api.md#anonymization-keys).
std::vector<tag_value> record_key(key_keeper_state& st, const key_request& r) {
  struct entry {
    dicom::value_tag vt;
    std::string real, anon;
  };
  std::vector<entry> entries;
  for (const auto& vt : dicom::value_tags()) {
    auto real = r.real.find(vt.tag);
    if (real == r.real.end()) continue;
    auto c = r.custom.find(vt.tag);
    auto a = r.anonymized.find(vt.tag);
    entries.push_back({vt, real->second,
                       c != r.custom.end()       ? c->second
                       : a != r.anonymized.end() ? a->second
                                                 : ""});
  }

  auto match = st.repo->best_match_by_real(lookup_of(r.real));
  auto level = match ? static_cast<int>(match->level) : 0;
  if (match) {
    std::map<std::string, std::string> stored;
    for (auto& v : st.repo->values_of(match->key.id)) stored[v.tag_path] = v.anonymized_value;
    for (auto& e : entries) {
      if (static_cast<int>(e.vt.level) > level) continue;
      if (const auto* c = column_of(e.vt.tag)) {
        e.anon = match->key.*(c->anon);
      } else if (auto v = stored.find(root_path(e.vt.tag)); v != stored.end()) {
        e.anon = v->second;
      }
    }
  }

  anonymization_key key;
  key.created = now_ms();
  key.image_id = r.image_id;
  std::vector<anonymization_key_value> values;
  for (const auto& e : entries) {
    if (const auto* c = column_of(e.vt.tag)) {
      key.*(c->real) = e.real;
      key.*(c->anon) = e.anon;
    } else {
      values.push_back({-1, -1, root_path(e.vt.tag), e.real, e.anon});
    }
  }
  st.repo->insert(key, values);

  std::vector<tag_value> harmonized;
  for (const auto& e : entries) {
    if (static_cast<int>(e.vt.level) > level || r.custom.count(e.vt.tag)) continue;
    harmonized.push_back({root(e.vt.tag), e.anon});
    if (e.vt.tag == sop_uid)  // the meta header names the same instance
      harmonized.push_back({root(media_storage_sop_uid), e.anon});
  }
  return harmonized;
}

/// The key matching anonymous root values and the real values it restores
/// (docs/api.md#reverse-anonymization).
reverse_match match_anonymous(key_keeper_state& st, const root_value_map& anon) {
  auto match = st.repo->best_match_by_anon(lookup_of(anon));
  if (!match) return {};
  auto level = static_cast<int>(match->level);
  auto level_of = [](std::uint32_t tag) {
    for (const auto& vt : dicom::value_tags())
      if (vt.tag == tag) return static_cast<int>(vt.level);
    return 99;
  };
  const auto& k = match->key;
  reverse_match out{true, {}};
  for (const auto& c : key_columns)
    if (level_of(c.tag) <= level && !(k.*(c.real)).empty())
      out.real.push_back({root(c.tag), k.*(c.real)});
  for (const auto& v : st.repo->values_of(k.id)) {
    auto path = parsed(v.tag_path);
    if (path.size() == 1 && level_of(path.front().tag) <= level)
      out.real.push_back({path, v.value});
  }
  return out;
}

/// Matches and records every waiting key in one transaction, in arrival order, so that each
/// match sees the keys recorded before it (one commit for many anonymizations).
void flush_keys(key_keeper_actor::stateful_pointer<key_keeper_state> self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto batch = std::move(st.pending);
  st.pending.clear();
  if (batch.empty()) return;
  std::vector<std::vector<tag_value>> results;
  results.reserve(batch.size());
  try {
    persistence::transaction tx{*st.db};
    for (const auto& p : batch) results.push_back(record_key(st, p.request));
    tx.commit();
  } catch (const std::exception& e) {
    // One failure must not fail its neighbours: record each on its own.
    spdlog::warn("anonymization: batch of {} keys failed ({}); retrying one by one", batch.size(),
                 e.what());
    for (auto& p : batch) {
      try {
        persistence::transaction tx{*st.db};
        auto r = record_key(st, p.request);
        tx.commit();
        p.promise.deliver(std::move(r));
      } catch (const std::exception& e2) {
        spdlog::error("anonymization: recording a key failed: {}", e2.what());
        p.promise.deliver(internal_error());
      }
    }
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].promise.deliver(std::move(results[i]));
}

key_keeper_actor::behavior_type key_keeper(
    key_keeper_actor::stateful_pointer<key_keeper_state> self,
    persistence::database_config database, bool purge_empty_keys) {
  self->state.db = persistence::open_database(database);
  self->state.repo = std::make_unique<persistence::anonymization_repo>(*self->state.db);
  auto repo = [self]() -> persistence::anonymization_repo& { return *self->state.repo; };
  return {
      [=](list_atom, keys_atom, const key_listing& l) {
        return guarded<std::vector<anonymization_key>>([&] {
          return repo().list(l.start, l.count, order_of(l.order_by, l.ascending), l.filter);
        });
      },
      [=](get_atom, keys_atom, std::int64_t id) {
        return guarded<anonymization_key>([&]() -> caf::result<anonymization_key> {
          if (auto k = repo().by_id(id)) return *k;
          return make_error(errc::not_found, "The requested resource could not be found.");
        });
      },
      [=](delete_atom, keys_atom, std::int64_t id) {
        return guarded<bool>([&] { return repo().remove(id); });
      },
      [=](values_atom, std::int64_t id) {
        return guarded<std::vector<key_value_entry>>([&] {
          std::vector<key_value_entry> out;
          for (auto& v : repo().values_of(id)) {
            auto path = parsed(v.tag_path);
            out.push_back({std::move(v), std::move(path)});
          }
          return out;
        });
      },
      [=](query_atom, keys_atom, const metadata_query& q) {
        return guarded<std::vector<anonymization_key>>(
            [&] { return repo().query(q.start, q.count, q.order, q.properties); });
      },
      [=](options_atom) {
        std::vector<confidentiality_option_info> out;
        for (auto o : dicom::all_options()) {
          const auto& i = dicom::info(o);
          if (!i.supported || o == dicom::confidentiality_option::basic_profile) continue;
          out.push_back(
              {std::string(i.name), std::string(i.title), std::string(i.description), i.rank});
        }
        return out;
      },
      [=](csv_atom) {
        return guarded<std::string>([&] {
          // A key without values still gets a row; its tag path is tag 0 by keyword, as in 2.1.1.
          static const std::string no_value_path = dicom::keyword_of(0).value_or("(0000,0000)");
          std::vector<csv::key_row> rows;
          for (auto& r : repo().export_rows()) {
            csv::key_row row{std::move(r.key), {}};
            if (r.value)
              row.value = std::move(*r.value);
            else
              row.value.tag_path = no_value_path;
            rows.push_back(std::move(row));
          }
          return csv::anonymization_keys(rows);
        });
      },
      [=](record_atom, key_request& r) -> caf::result<std::vector<tag_value>> {
        auto& st = self->state;
        auto promise = self->make_response_promise<std::vector<tag_value>>();
        st.pending.push_back({std::move(r), promise});
        // Keys that arrive before this message is handled join the same commit.
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
        return promise;
      },
      [=](flush_atom) { flush_keys(self); },
      [=](reverse_atom, keys_atom, const root_value_map& anon) {
        return guarded<reverse_match>([&] { return match_anonymous(self->state, anon); });
      },
      [=](const images_deleted& e) {
        if (!purge_empty_keys || e.image_ids.empty()) return;
        try {
          repo().remove_for_images(e.image_ids);
        } catch (const persistence::database_error& err) {
          spdlog::error("anonymization: purging keys failed: {}", err.what());
        }
      },
  };
}

/// What a worker needs.
struct worker_config {
  std::shared_ptr<const persistence::file_store> store;
  proto::metadata_actor metadata;
  proto::ingest_actor ingest;
  key_keeper_actor keeper;
  /// The service itself, where a bulk anonymization sends its images (set once it exists).
  std::shared_ptr<const proto::anonymization_actor> service;
};

void remove_quietly(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::remove(file, ec);
}

/// The output of `image` with `mappings` applied: a temporary file for ingest (in place), else,
/// where possible, the new bytes before the pixel data and the stored file's pixel data.
anonymization_output output_of(dicom::anonymized_image& image,
                               const std::vector<dicom::tag_mapping>& mappings, bool in_place,
                               const std::filesystem::path& temp) {
  if (!in_place) {
    if (auto parts = image.output(mappings))
      return {parts->file.string(), {}, std::move(parts->head), parts->offset, false};
  }
  image.write(temp, mappings);
  return {temp.string(), {}, {}, 0, true};
}

/// Anonymizes one stored file and records its key (docs/api.md#anonymization): reads and
/// de-identifies it here, lets the keeper match and record the key, then puts the output together
/// here and hands it to `done`. In place, PatientIdentityRemoved is stripped first and the output
/// is a file. Failures go to `promise`.
template <class Done>
void anonymize_with_key(anonymization_worker_actor::pointer self, const worker_config& cfg,
                        std::int64_t image_id, const std::filesystem::path& source,
                        const std::vector<dicom::confidentiality_option>& profile,
                        const std::vector<tag_value>& custom, bool in_place,
                        caf::typed_response_promise<anonymization_output> promise, Done done) {
  auto temp = cfg.store->temp_path();
  auto fail = [=](const std::exception& e) mutable {
    remove_quietly(temp);
    std::error_code ec;
    if (!std::filesystem::exists(source, ec)) {
      // Deleted, or replaced by a new upload of the same instance, while it was read: the image
      // the client asked for is gone (a concurrent request, not a fault of the node).
      spdlog::info("anonymizing image {} stopped: its file went away ({})", image_id, e.what());
      promise.deliver(make_error(
          errc::not_found, "The image was deleted or replaced while it was being anonymized"));
      return;
    }
    spdlog::error("anonymizing image {} failed: {}", image_id, e.what());
    promise.deliver(internal_error());
  };
  std::shared_ptr<dicom::anonymized_image> image;
  try {
    image = std::make_shared<dicom::anonymized_image>(source, profile, in_place);
    // Already anonymous: sent as it is, no custom values, no key
    // (POST /api/images/{id}/anonymized, docs/api.md#already-anonymous-data).
    if (image->unchanged()) return done(output_of(*image, {}, in_place, temp));
  } catch (const std::exception& e) {
    return fail(e);
  }
  key_request request{image_id, image->real_values(), image->anonymized_values(), {}};
  // Unless stripped, PatientIdentityRemoved is recorded even when the input has none (real value
  // ""), so that reverse anonymization (docs/api.md#reverse-anonymization) clears the flag on
  // data that comes back.
  if (!in_place) request.real.try_emplace(patient_identity_removed, "");
  for (const auto& v : custom)
    if (v.path.size() == 1) request.custom.emplace(v.path.front().tag, v.value);
  self->request(cfg.keeper, caf::infinite, record_atom::value, std::move(request))
      .then(
          [=](const std::vector<tag_value>& harmonized) mutable {
            // The output gets the custom values and the harmonized values of its matched levels.
            std::vector<dicom::tag_mapping> mappings;
            for (const auto& v : custom) mappings.push_back({v.path, v.value});
            for (const auto& v : harmonized) mappings.push_back({v.path, v.value});
            anonymization_output out;
            try {
              out = output_of(*image, mappings, in_place, temp);
            } catch (const std::exception& e) {
              return fail(e);
            }
            done(std::move(out));
          },
          [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
}

/// `POST /api/images/{id}/anonymized` and `PUT /api/images/{id}/anonymize`: the image's file (in
/// place also its series' source), then the anonymized output with its key recorded. In place,
/// the output is ingested as a new image and the original deleted once its copy is stored.
struct anonymize_job : step_chain<anonymization_worker_actor::pointer, anonymization_output> {
  using step_chain::step_chain;
  worker_config cfg;
  std::int64_t id = -1;
  std::vector<dicom::confidentiality_option> profile;
  std::vector<tag_value> custom;
  bool in_place = false;
  std::string key;
  source src;  ///< in place: the original's source, which its copy keeps

  caf::error missing() const {
    return make_error(errc::not_found,
                      "No image meta data found for image id " + std::to_string(id));
  }
};
using anonymize_ptr = std::shared_ptr<anonymize_job>;

void anonymize_find_image(const anonymize_ptr& j);
void anonymize_find_source(const anonymize_ptr& j, std::int64_t series_id);
void anonymize_file(const anonymize_ptr& j);
void anonymize_ingest_copy(const anonymize_ptr& j, const anonymization_output& out);

void anonymize_find_file(const anonymize_ptr& j) {
  j->ask(j->cfg.metadata, get_atom::value, file_atom::value, j->id)
      .then(
          [j](const std::string& key) {
            j->key = key;
            if (j->in_place)
              anonymize_find_image(j);
            else
              anonymize_file(j);
          },
          j->fail_with(j->missing()));
}

void anonymize_find_image(const anonymize_ptr& j) {
  j->ask(j->cfg.metadata, get_atom::value, image_atom::value, j->id)
      .then([j](const image& original) { anonymize_find_source(j, original.series_id); },
            j->fail_with(j->missing()));
}

void anonymize_find_source(const anonymize_ptr& j, std::int64_t series_id) {
  j->ask(j->cfg.metadata, source_atom::value, series_id)
      .then(
          [j](const source& src) {
            j->src = src;
            anonymize_file(j);
          },
          j->fail_with(j->missing()));
}

void anonymize_file(const anonymize_ptr& j) {
  std::filesystem::path file;
  try {
    file = j->cfg.store->path_of(j->key);
  } catch (const persistence::store_unavailable& e) {
    spdlog::warn("anonymize image {}: {}", j->id, e.what());
    return (void)j->promise.deliver(store_unavailable_error());
  }
  anonymize_with_key(j->self, j->cfg, j->id, file, j->profile, j->custom, j->in_place, j->promise,
                     [j](anonymization_output out) {
                       if (j->in_place)
                         anonymize_ingest_copy(j, out);
                       else
                         j->promise.deliver(std::move(out));
                     });
}

/// The anonymized copy replaces the original in one commit (ingest_request::replaces).
void anonymize_ingest_copy(const anonymize_ptr& j, const anonymization_output& out) {
  j->ask(j->cfg.ingest, ingest_atom::value,
         ingest_request{out.file, j->src, context_set::extended, false, j->id})
      .then(
          [j](const ingest_result& r) {
            j->promise.deliver(anonymization_output{{}, r.img, {}, 0, false});
          },
          j->fail());
}

anonymization_worker_actor::behavior_type anonymization_worker(
    anonymization_worker_actor::pointer self, worker_config cfg) {
  return {
      [=](anonymize_atom, std::int64_t id, const std::vector<std::string>& names,
          std::vector<tag_value>& custom, bool in_place) -> caf::result<anonymization_output> {
        std::vector<dicom::confidentiality_option> profile;
        for (const auto& n : names) {
          auto o = dicom::parse_option(n);
          if (!o) return make_error(errc::bad_request, "Unknown confidentiality option " + n);
          profile.push_back(*o);
        }
        try {
          for (auto& v : custom) {
            dicom::resolve_names(v.path);
            if (!addresses_element(v.path))
              return make_error(errc::bad_request, "A tag path must end in a tag");
          }
        } catch (const std::invalid_argument& e) {
          return make_error(errc::bad_request, e.what());
        }
        auto j = std::make_shared<anonymize_job>(
            self, self->make_response_promise<anonymization_output>());
        j->cfg = cfg;
        j->id = id;
        j->profile = std::move(profile);
        j->custom = std::move(custom);
        j->in_place = in_place;
        anonymize_find_file(j);
        return j->promise;
      },
      [=](anonymize_atom, std::vector<std::string>& names,
          std::vector<image_tag_values>& set) -> caf::result<std::vector<image>> {
        if (std::find(names.begin(), names.end(), "BASIC_PROFILE") == names.end())
          names.insert(names.begin(), "BASIC_PROFILE");
        auto promise = self->make_response_promise<std::vector<image>>();
        if (set.empty()) return std::vector<image>{};
        struct progress {
          std::size_t left;
          std::vector<image> done;
        };
        auto p = std::make_shared<progress>(progress{set.size(), {}});
        // Each image goes through the service, so the workers share them.
        for (auto& i : set)
          self->request(*cfg.service, caf::infinite, anonymize_atom::value, i.image_id, names,
                        std::move(i.values), true)
              .then(
                  [=](const anonymization_output& o) mutable {
                    p->done.push_back(o.img);
                    if (--p->left == 0) promise.deliver(p->done);
                  },
                  [=](caf::error&) mutable {  // missing images are skipped silently
                    if (--p->left == 0) promise.deliver(p->done);
                  });
        return promise;
      },
      [=](reverse_atom, const std::string& file) -> caf::result<std::string> {
        root_value_map anon;
        try {
          anon = dicom::root_values(file);
        } catch (const std::exception& e) {
          spdlog::error("reverse anonymization of {} failed: {}", file, e.what());
          return internal_error();
        }
        auto promise = self->make_response_promise<std::string>();
        self->request(cfg.keeper, caf::infinite, reverse_atom::value, keys_atom::value,
                      std::move(anon))
            .then(
                [=](const reverse_match& m) mutable {
                  if (!m.matched) return (void)promise.deliver(file);
                  std::vector<dicom::tag_mapping> mappings;
                  for (const auto& v : m.real) mappings.push_back({v.path, v.value});
                  auto out = cfg.store->temp_path();
                  try {
                    dicom::modify_file(file, out, mappings);
                  } catch (const std::exception& e) {
                    spdlog::error("reverse anonymization of {} failed: {}", file, e.what());
                    remove_quietly(out);
                    return (void)promise.deliver(internal_error());
                  }
                  remove_quietly(file);
                  promise.deliver(out.string());
                },
                [=](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
  };
}

/// True for the messages the workers take (the file work); the keeper takes the others.
bool is_file_work(const caf::type_erased_tuple& m) {
  if (m.empty() || !m.match_element<caf::atom_value>(0)) return false;
  auto a = m.get_as<caf::atom_value>(0);
  return a == anonymize_atom::value || a == reverse_atom::value;
}

}  // namespace

proto::anonymization_actor spawn_anonymization_actor(caf::actor_system& sys,
                                                     anonymization_service_config config) {
  auto keeper = sys.spawn<caf::detached>(key_keeper, config.database, config.purge_empty_keys);
  auto service = std::make_shared<proto::anonymization_actor>();
  worker_config wc{config.store, config.metadata, config.ingest, keeper, service};
  // Worker 0 is the keeper; the others do the file work, round robin, so that reading and
  // writing images never waits behind key transactions or each other.
  auto counter = std::make_shared<std::atomic<std::size_t>>(0);
  auto policy = [counter](caf::actor_system&, caf::actor_pool::uplock& guard,
                          const caf::actor_pool::actor_vec& workers, caf::mailbox_element_ptr& m,
                          caf::execution_unit* host) {
    caf::actor target = workers.front();
    if (workers.size() > 1 && is_file_work(m->content())) {
      auto i = 1 + counter->fetch_add(1, std::memory_order_relaxed) % (workers.size() - 1);
      target = workers[i];
    }
    guard.unlock();
    target->enqueue(std::move(m), host);
  };
  bool keeper_given = false;
  auto factory = [&]() -> caf::actor {
    if (!keeper_given) {
      keeper_given = true;
      return caf::actor_cast<caf::actor>(keeper);
    }
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(anonymization_worker, wc));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), 1 + std::max(1u, config.workers),
                                    factory, policy);
  *service = caf::actor_cast<proto::anonymization_actor>(pool);
  relay_events<images_deleted>(sys, config.events, pool);  // handled by the keeper
  return *service;
}

}  // namespace sbx::actors
