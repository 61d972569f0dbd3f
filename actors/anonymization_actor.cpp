// SPDX-License-Identifier: Apache-2.0
#include "actors/anonymization_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <algorithm>
#include <map>

#include "actors/database_call.hpp"
#include "actors/event_relay.hpp"
#include "actors/clock.hpp"
#include "dicom/anonymization.hpp"
#include "dicom/anonymization_keys.hpp"
#include "dicom/modify.hpp"
#include "dicom/dictionary.hpp"
#include "dicom/tag_path.hpp"
#include "persistence/anonymization_repo.hpp"
#include "proto/csv.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

struct anonymization_state {
  static inline const char* name = "anonymization";
  anonymization_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::anonymization_repo> repo;
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

constexpr std::uint32_t patient_name = 0x00100010, patient_id = 0x00100020,
                        study_uid = 0x0020000D, series_uid = 0x0020000E, sop_uid = 0x00080018;

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

/// The string form of a root-level tag's path, as key values store it.
std::string root_path(std::uint32_t tag) { return dicom::to_string(tag_path{{tag, "", false, 0}}); }

bool is_yes(const std::string& v) {
  return v.size() == 3 && std::toupper(v[0]) == 'Y' && std::toupper(v[1]) == 'E' &&
         std::toupper(v[2]) == 'S';
}

/// Anonymizes one stored file and records its key (spec §7.3-§7.5); returns the output file.
/// Runs inside one message handler, so matching and inserting keys is serialised.
std::filesystem::path anonymize_with_key(anonymization_state& st, std::int64_t image_id,
                                         const std::filesystem::path& source,
                                         const std::vector<dicom::confidentiality_option>& profile,
                                         const std::vector<tag_value>& custom, bool strip) {
  auto real = dicom::root_values(source);
  auto out = st.config.store->temp_path();
  if (!strip && is_yes(real[0x00120062])) {
    // Already anonymous: sent as it is, no custom values, no key (§7.4).
    std::filesystem::copy_file(source, out);
    return out;
  }
  if (strip) {
    real.erase(0x00120062);
    real.erase(0x00120063);
  }
  auto first = st.config.store->temp_path();
  dicom::anonymize_file(source, first, profile, strip);
  auto produced = dicom::root_values(first);
  std::map<std::uint32_t, std::string> custom_root;
  for (const auto& v : custom)
    if (v.path.size() == 1 && !custom_root.count(v.path.front().tag))
      custom_root[v.path.front().tag] = v.value;

  struct entry {
    dicom::value_tag vt;
    std::string real, anon;
  };
  std::vector<entry> entries;
  for (const auto& vt : dicom::value_tags()) {
    auto r = real.find(vt.tag);
    if (r == real.end()) continue;
    auto c = custom_root.find(vt.tag);
    auto a = produced.find(vt.tag);
    entries.push_back({vt, r->second,
                       c != custom_root.end() ? c->second : a != produced.end() ? a->second : ""});
  }

  auto match = st.repo->best_match_by_real(
      {real[patient_name], real[patient_id], real[study_uid], real[series_uid], real[sop_uid]});
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
  key.image_id = image_id;
  std::vector<anonymization_key_value> values;
  for (const auto& e : entries) {
    if (const auto* c = column_of(e.vt.tag)) {
      key.*(c->real) = e.real;
      key.*(c->anon) = e.anon;
    } else {
      values.push_back({-1, -1, root_path(e.vt.tag), e.real, e.anon});
    }
  }
  {
    persistence::transaction tx{*st.db};
    st.repo->insert(key, values);
    tx.commit();
  }

  // The output gets the custom values and the harmonised values of its matched levels.
  std::vector<dicom::tag_mapping> mappings;
  for (const auto& v : custom) mappings.push_back({v.path, v.value});
  for (const auto& e : entries) {
    if (static_cast<int>(e.vt.level) > level || custom_root.count(e.vt.tag)) continue;
    mappings.push_back({tag_path{{e.vt.tag, "", false, 0}}, e.anon});
    if (e.vt.tag == sop_uid)  // the meta header names the same instance
      mappings.push_back({tag_path{{0x00020003, "", false, 0}}, e.anon});
  }
  dicom::modify_file(first, out, mappings);
  std::error_code ec;
  std::filesystem::remove(first, ec);
  return out;
}

anonymization_actor::behavior_type anonymization_behavior(
    anonymization_actor::stateful_pointer<anonymization_state> self,
    anonymization_service_config config) {
  self->state.config = std::move(config);
  self->state.db = persistence::open_database(self->state.config.database);
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
          out.push_back({std::string(i.name), std::string(i.title), std::string(i.description),
                         i.rank});
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
        auto promise = self->make_response_promise<anonymization_output>();
        auto& cfg = self->state.config;
        auto missing = [id] {
          return make_error(errc::not_found,
                            "No image meta data found for image id " + std::to_string(id));
        };
        auto run = [=](const std::string& key) -> std::optional<std::filesystem::path> {
          try {
            return anonymize_with_key(self->state, id, self->state.config.store->path_of(key),
                                      profile, custom, in_place);
          } catch (const std::exception& e) {
            spdlog::error("anonymizing image {} failed: {}", id, e.what());
            return std::nullopt;
          }
        };
        auto internal = [] {
          return make_error(errc::internal, "There was an internal server error.");
        };
        self->request(cfg.metadata, caf::infinite, get_atom::value, file_atom::value, id)
            .then(
                [=](const std::string& key) mutable {
                  if (!in_place) {
                    auto out = run(key);
                    if (!out) return (void)promise.deliver(internal());
                    return (void)promise.deliver(anonymization_output{out->string(), {}});
                  }
                  self->request(cfg.metadata, caf::infinite, get_atom::value, image_atom::value, id)
                      .then(
                          [=](const image& original) mutable {
                            self->request(cfg.metadata, caf::infinite, source_atom::value,
                                          original.series_id)
                                .then(
                                    [=](const source& src) mutable {
                                      auto out = run(key);
                                      if (!out) return (void)promise.deliver(internal());
                                      self->request(cfg.ingest, caf::infinite, ingest_atom::value,
                                                    ingest_request{out->string(), src,
                                                                   context_set::extended, false})
                                          .then(
                                              [=](const ingest_result& r) mutable {
                                                // The original goes once its copy is stored.
                                                self->request(cfg.metadata, caf::infinite,
                                                              delete_atom::value,
                                                              std::vector<std::int64_t>{id})
                                                    .then(
                                                        [=](const deletion&) mutable {
                                                          promise.deliver(
                                                              anonymization_output{{}, r.img});
                                                        },
                                                        [=](caf::error& e) mutable {
                                                          promise.deliver(std::move(e));
                                                        });
                                              },
                                              [=](caf::error& e) mutable {
                                                promise.deliver(std::move(e));
                                              });
                                    },
                                    [=](caf::error&) mutable { promise.deliver(missing()); });
                          },
                          [=](caf::error&) mutable { promise.deliver(missing()); });
                },
                [=](caf::error&) mutable { promise.deliver(missing()); });
        return promise;
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
        // Each image goes through this actor's own queue, so keys stay serialised.
        auto me = caf::actor_cast<anonymization_actor>(self);
        for (auto& i : set)
          self->request(me, caf::infinite, anonymize_atom::value, i.image_id, names,
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
        try {
          auto anon = dicom::root_values(file);
          auto match = self->state.repo->best_match_by_anon(
              {anon[patient_name], anon[patient_id], anon[study_uid], anon[series_uid],
               anon[sop_uid]});
          if (!match) return file;
          auto level = static_cast<int>(match->level);
          auto level_of = [](std::uint32_t tag) {
            for (const auto& vt : dicom::value_tags())
              if (vt.tag == tag) return static_cast<int>(vt.level);
            return 99;
          };
          const auto& k = match->key;
          std::vector<dicom::tag_mapping> mappings;
          for (const auto& c : key_columns)
            if (level_of(c.tag) <= level && !(k.*(c.real)).empty())
              mappings.push_back({tag_path{{c.tag, "", false, 0}}, k.*(c.real)});
          for (const auto& v : self->state.repo->values_of(k.id)) {
            auto path = parsed(v.tag_path);
            if (path.size() == 1 && level_of(path.front().tag) <= level)
              mappings.push_back({path, v.value});
          }
          auto out = self->state.config.store->temp_path();
          dicom::modify_file(file, out, mappings);
          std::error_code ec;
          std::filesystem::remove(file, ec);
          return out.string();
        } catch (const std::exception& e) {
          spdlog::error("reverse anonymization of {} failed: {}", file, e.what());
          return make_error(errc::internal, "There was an internal server error.");
        }
      },
      [=](const images_deleted& e) {
        if (!self->state.config.purge_empty_keys || e.image_ids.empty()) return;
        try {
          repo().remove_for_images(e.image_ids);
        } catch (const persistence::database_error& err) {
          spdlog::error("anonymization: purging keys failed: {}", err.what());
        }
      },
  };
}

}  // namespace

proto::anonymization_actor spawn_anonymization_actor(caf::actor_system& sys,
                                                     anonymization_service_config config) {
  auto events = config.events;
  auto target = sys.spawn<caf::detached>(anonymization_behavior, std::move(config));
  relay_events<images_deleted>(sys, events, target);
  return target;
}

}  // namespace sbx::actors
