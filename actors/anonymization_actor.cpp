// SPDX-License-Identifier: Apache-2.0
#include "actors/anonymization_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/database_call.hpp"
#include "dicom/anonymization.hpp"
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
  // Typed actors cannot join groups in CAF 0.17: a linked relay subscribes for it (and dies
  // with it).
  if (events)
    sys.spawn([target, events](caf::event_based_actor* relay) -> caf::behavior {
      relay->join(events);
      relay->link_to(target);
      relay->set_default_handler(caf::drop);  // other events are not ours
      return {[=](const images_deleted& e) { relay->send(target, e); }};
    });
  return target;
}

}  // namespace sbx::actors
