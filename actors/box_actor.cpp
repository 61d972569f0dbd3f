// SPDX-License-Identifier: Apache-2.0
#include "actors/box_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <cctype>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "actors/box_link.hpp"
#include "actors/box_payload.hpp"
#include "actors/box_receiver.hpp"
#include "actors/box_workers.hpp"
#include "actors/clock.hpp"
#include "actors/database_call.hpp"
#include "actors/event_relay.hpp"
#include "actors/password.hpp"
#include "dicom/anonymization.hpp"
#include "dicom/tag_path.hpp"
#include "persistence/box_repo.hpp"
#include "persistence/cluster.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

/// A running PUSH box engine.
struct running_link {
  caf::actor actor;
  std::shared_ptr<std::atomic<bool>> stop;
};

struct box_state {
  static inline const char* name = "box";
  box_service_config config;
  std::unique_ptr<persistence::database> db;
  std::unique_ptr<persistence::box_repo> repo;
  std::shared_ptr<http::client::client> client;
  std::shared_ptr<box_workers> workers;  ///< compress and inflate for the engines
  box_receiver receiver;                 ///< stores what is pushed to us
  /// Shared with the exit handler, which stops them when the service ends.
  std::shared_ptr<std::map<std::int64_t, running_link>> links =
      std::make_shared<std::map<std::int64_t, running_link>>();
  /// When each POLL box's remote last polled or acknowledged through this node, as last written
  /// to the box's row (docs/federation.md, "Online"): the rows are what every node reads.
  std::map<std::int64_t, std::int64_t> last_contact;
  std::int64_t last_housekeeping = 0;  ///< epoch ms
};

using box_pointer = box_actor::stateful_pointer<box_state>;

constexpr const char* basic_profile = "BASIC_PROFILE";

caf::error unknown_token(const std::string& token) {
  return make_error(errc::unauthorized, "No box found for token " + token);
}

/// The options of a profile with their titles, descriptions and ranks; unknown names are bad
/// requests.
caf::expected<std::vector<confidentiality_option_info>> resolved(
    const std::vector<std::string>& names) {
  std::vector<confidentiality_option_info> out;
  for (const auto& n : names) {
    auto o = dicom::parse_option(n);
    if (!o) return make_error(errc::bad_request, "Unknown confidentiality option " + n);
    const auto& i = dicom::info(*o);
    out.push_back({std::string(i.name), std::string(i.title), std::string(i.description), i.rank});
  }
  return out;
}

/// Stored names shown with their titles (a name this version does not know is shown bare).
std::vector<confidentiality_option_info> shown(std::vector<confidentiality_option_info> options) {
  for (auto& o : options)
    if (auto r = resolved({o.name}); r && !r->empty()) o = r->front();
  return options;
}

box shown(box b) {
  b.default_profile = shown(std::move(b.default_profile));
  return b;
}

outgoing_transaction shown(outgoing_transaction t) {
  t.profile = shown(std::move(t.profile));
  return t;
}

template <class T>
std::vector<T> shown(std::vector<T> list) {
  for (auto& x : list) x = shown(std::move(x));
  return list;
}

/// The token at the end of a public box's URL (`POST /boxes/connect`): the last path segment
/// after trimming and dropping one trailing slash, which must be five dash-separated groups of
/// hex digits (as Slicebox 2.1.1 accepts).
std::optional<std::string> token_of_url(std::string url) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!url.empty() && blank(static_cast<unsigned char>(url.back()))) url.pop_back();
  url.erase(url.begin(), std::find_if(url.begin(), url.end(), [&](char c) {
              return !blank(static_cast<unsigned char>(c));
            }));
  if (!url.empty() && url.back() == '/') url.pop_back();
  auto token = url.substr(url.rfind('/') == std::string::npos ? 0 : url.rfind('/') + 1);
  int groups = 1;
  std::size_t run = 0;
  for (char c : token) {
    if (c == '-') {
      if (run == 0) return std::nullopt;
      ++groups;
      run = 0;
    } else if (std::isxdigit(static_cast<unsigned char>(c))) {
      ++run;
    } else {
      return std::nullopt;
    }
  }
  if (groups != 5 || run == 0) return std::nullopt;
  return token;
}

void note(box_pointer self, log_type type, std::string message) {
  caf::anon_send(self->state.config.log, log_atom::value, type, std::string("Box"),
                 std::move(message));
}

/// Makes the listener's token set equal to the POLL boxes' tokens.
void load_tokens(persistence::box_repo& repo, box_tokens& tokens) {
  std::vector<std::string> poll_tokens;
  for (const auto& b : repo.list(0, std::numeric_limits<std::int64_t>::max()))
    if (b.send_method == poll_method) poll_tokens.push_back(b.token);
  tokens.assign(poll_tokens);
}

void refresh_tokens(box_pointer self) {
  load_tokens(*self->state.repo, *self->state.config.tokens);
}

void start_link(box_pointer self, const box& b) {
  auto& s = self->state;
  if (s.links->count(b.id)) return;
  box_link_config lc;
  lc.service = s.config;
  lc.client = s.client;
  lc.workers = s.workers;
  auto actor = spawn_box_link(self->system(), lc, b);
  (*s.links)[b.id] = {actor, lc.stop};
}

void stop_link(box_pointer self, std::int64_t id) {
  auto& links = *self->state.links;
  auto it = links.find(id);
  if (it == links.end()) return;
  it->second.stop->store(true);
  caf::anon_send(it->second.actor, delete_atom::value);
  links.erase(it);
}

/// Runs the engines of the stored PUSH boxes while this node leads, and none otherwise; whether it
/// leads. A box connected or deleted through another node is picked up or stopped here.
bool follow_leadership(box_pointer self) {
  auto& s = self->state;
  if (!leads(s.config.cluster)) {
    while (!s.links->empty()) stop_link(self, s.links->begin()->first);
    return false;
  }
  std::set<std::int64_t> push_boxes;
  for (const auto& b : s.repo->list(0, std::numeric_limits<std::int64_t>::max()))
    if (b.send_method == push_method) {
      push_boxes.insert(b.id);
      start_link(self, b);
    }
  std::vector<std::int64_t> gone;
  for (const auto& [id, link] : *s.links)
    if (!push_boxes.count(id)) gone.push_back(id);
  for (auto id : gone) stop_link(self, id);
  return true;
}

/// Publishes images_sent once a transaction has just finished (`finish_if_complete` said so).
void announce_finished(box_pointer self, std::int64_t transaction_id) {
  announce_finished(self->state.config, *self->state.repo, transaction_id);
}

/// The stored images of some ids, in order, leaving out those that no longer exist.
caf::result<std::vector<image>> images_of(box_pointer self, std::vector<std::int64_t> ids) {
  if (ids.empty()) return std::vector<image>{};
  auto promise = self->make_response_promise<std::vector<image>>();
  struct gathering {
    std::vector<std::optional<image>> found;
    std::size_t left = 0;
  };
  auto g = std::make_shared<gathering>();
  g->found.resize(ids.size());
  g->left = ids.size();
  auto finish = [g, promise]() mutable {
    if (--g->left > 0) return;
    std::vector<image> out;
    for (auto& i : g->found)
      if (i) out.push_back(std::move(*i));
    promise.deliver(std::move(out));
  };
  for (std::size_t i = 0; i < ids.size(); ++i)
    self->request(self->state.config.metadata, caf::infinite, get_atom::value, image_atom::value,
                  ids[i])
        .then(
            [g, i, finish](image& img) mutable {
              g->found[i] = std::move(img);
              finish();
            },
            [finish](caf::error&) mutable { finish(); });
  return promise;
}

/// Validated tag values of a send request as stored text (tag path string, value).
caf::expected<std::vector<persistence::outgoing_request_image>> request_images(
    std::vector<image_tag_values> images) {
  std::vector<persistence::outgoing_request_image> out;
  for (auto& i : images) {
    persistence::outgoing_request_image r{i.image_id, {}};
    for (auto& v : i.values) {
      try {
        dicom::resolve_names(v.path);
      } catch (const std::invalid_argument& e) {
        return make_error(errc::bad_request, e.what());
      }
      if (!addresses_element(v.path))
        return make_error(errc::bad_request, "A tag path must end in a tag");
      r.tag_values.emplace_back(dicom::to_string(v.path), v.value);
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// The tag values of an outgoing image as the anonymization service takes them.
std::vector<tag_value> stored_tag_values(persistence::box_repo& repo, std::int64_t row_id) {
  std::vector<tag_value> out;
  for (const auto& [path, value] : repo.tag_values(row_id)) {
    try {
      out.push_back({dicom::parse_tag_path(path, false), value});
    } catch (const std::invalid_argument& e) {
      spdlog::warn("box: ignoring stored tag path {}: {}", path, e.what());
    }
  }
  return out;
}

std::vector<std::string> names_of(const std::vector<confidentiality_option_info>& options) {
  std::vector<std::string> out;
  for (const auto& o : options) out.push_back(o.name);
  return out;
}

box_actor::behavior_type box_behavior(box_pointer self, box_service_config config) {
  auto& s = self->state;
  s.config = std::move(config);
  s.db = persistence::open_database(s.config.database);
  s.repo = std::make_unique<persistence::box_repo>(*s.db);
  http::client::options options;
  options.ca_file = s.config.settings.ca_file;
  options.proxy = s.config.settings.proxy;
  options.max_connections = std::max(1u, s.config.settings.parallelism);
  s.client = std::make_shared<http::client::client>(options);
  s.workers = std::make_shared<box_workers>(
      box_workers::default_threads(std::max(1u, s.config.settings.parallelism)));
  s.receiver = spawn_box_receiver(self->system(), s.config);
  refresh_tokens(self);
  follow_leadership(self);
  self->attach_functor([links = s.links, receiver = s.receiver](const caf::error&) {
    receiver.stop();
    for (auto& [id, link] : *links) {
      link.stop->store(true);
      caf::anon_send(link.actor, delete_atom::value);
    }
  });
  self->delayed_send(self, std::chrono::milliseconds{100}, tick_atom::value);
  auto repo = [self]() -> persistence::box_repo& { return *self->state.repo; };
  auto poll_box = [self](const std::string& token) -> caf::expected<box> {
    if (auto b = self->state.repo->poll_box_by_token(token)) return *b;
    return unknown_token(token);
  };
  auto touched = [self](const box& b) {
    // Written at most once a second per box and node: every node serves the remote's requests.
    auto& last = self->state.last_contact[b.id];
    const auto now = now_ms();
    if (!b.online || now - last >= 1000) {
      self->state.repo->touch(b.id, now);
      last = now;
    }
  };
  // POST /api/boxes/{id}/send, and forwarding (`forwarded`: the box's default profile).
  auto send_images = [=](std::int64_t id, box_send_request r,
                         bool forwarded) -> caf::expected<outgoing_transaction> {
    auto b = repo().by_id(id);
    if (!b) return make_error(errc::not_found, "No box found for id " + std::to_string(id));
    if (forwarded)
      for (const auto& o : b->default_profile) r.profile.push_back(o.name);
    if (std::find(r.profile.begin(), r.profile.end(), basic_profile) == r.profile.end())
      r.profile.insert(r.profile.begin(), basic_profile);
    if (auto profile = resolved(r.profile); !profile) return profile.error();
    auto images = request_images(std::move(r.images));
    if (!images) return images.error();
    auto t = repo().insert_outgoing(*b, r.profile, *images, now_ms());
    note(self, log_type::info,
         "Sending " + std::to_string(t.total_image_count) + " images to box " + b->name);
    if (auto it = self->state.links->find(id); it != self->state.links->end())
      caf::anon_send(it->second.actor, tick_atom::value);
    return shown(t);
  };
  return {
      [=](list_atom, std::int64_t start, std::int64_t count) {
        return database_call<std::vector<box>>("box", [&]() -> caf::result<std::vector<box>> {
          return shown(repo().list(start, count));
        });
      },
      [=](create_atom, remote_box& r) {
        return database_call<box>("box", [&]() -> caf::result<box> {
          auto profile = resolved(r.default_profile);
          if (!profile) return profile.error();
          if (auto existing = repo().by_name(r.name)) {
            if (existing->send_method == poll_method) return shown(*existing);
            return make_error(errc::bad_request, "A box with name " + r.name +
                                                     " but with a different type already exists");
          }
          box b;
          b.name = r.name;
          b.token = random_uuid();
          b.base_url = *self->state.config.api_base_url + "/transactions/" + b.token;
          b.send_method = poll_method;
          b.default_profile = *profile;
          b = repo().insert(b);
          refresh_tokens(self);
          persistence::notify_change(*self->state.db, persistence::topic::boxes);
          caf::anon_send(self->state.config.events, source_added{source{"box", b.name, b.id}});
          note(self, log_type::info, "Box " + b.name + " created; it connects to " + b.base_url);
          return b;
        });
      },
      [=](connect_atom, remote_box& r) {
        return database_call<box>("box", [&]() -> caf::result<box> {
          auto profile = resolved(r.default_profile);
          if (!profile) return profile.error();
          if (auto existing = repo().by_name(r.name)) {
            if (existing->send_method == poll_method || existing->base_url != r.base_url)
              return make_error(errc::bad_request,
                                "A box with name " + r.name +
                                    " but with a different url and/or type already exists");
            return shown(*existing);
          }
          auto token = token_of_url(r.base_url);
          if (!token) return make_error(errc::bad_request, "Malformed box base url: " + r.base_url);
          box b;
          b.name = r.name;
          b.token = *token;
          b.base_url = r.base_url;
          b.send_method = push_method;
          b.default_profile = *profile;
          b = repo().insert(b);
          if (leads(self->state.config.cluster)) start_link(self, b);
          caf::anon_send(self->state.config.events, source_added{source{"box", b.name, b.id}});
          note(self, log_type::info, "Box " + b.name + " connected to " + b.base_url);
          return b;
        });
      },
      [=](delete_atom, std::int64_t id) {
        return database_call<bool>("box", [&]() -> caf::result<bool> {
          stop_link(self, id);
          auto b = repo().by_id(id);
          if (!b || !repo().remove(id)) return false;
          self->state.last_contact.erase(id);
          refresh_tokens(self);
          persistence::notify_change(*self->state.db, persistence::topic::boxes);
          caf::anon_send(self->state.config.events, source_deleted{source{"box", b->name, id}});
          note(self, log_type::info, "Box " + b->name + " deleted");
          return true;
        });
      },
      [=](send_atom, std::int64_t id, box_send_request& r) {
        return database_call<outgoing_transaction>("box",
                                                   [&]() -> caf::result<outgoing_transaction> {
                                                     auto t = send_images(id, std::move(r), false);
                                                     if (!t) return t.error();
                                                     return std::move(*t);
                                                   });
      },
      [=](forward_atom, std::int64_t id, std::vector<std::int64_t>& image_ids) {
        return database_call<std::int64_t>("box", [&]() -> caf::result<std::int64_t> {
          box_send_request r;
          for (auto image_id : image_ids) r.images.push_back({image_id, {}});
          auto t = send_images(id, std::move(r), true);
          if (!t) return t.error();
          return t->id;
        });
      },
      [=](forward_atom, status_atom, std::int64_t transaction_id) {
        return database_call<std::string>("box", [&]() -> caf::result<std::string> {
          auto t = repo().outgoing_by_id(transaction_id);
          return t ? t->status : std::string();
        });
      },
      [=](list_atom, status_atom) {
        return database_call<std::vector<box_queue>>(
            "box", [&]() -> caf::result<std::vector<box_queue>> { return repo().queues(); });
      },
      [=](list_atom, incoming_atom, std::int64_t start, std::int64_t count) {
        return database_call<std::vector<incoming_transaction>>(
            "box", [&]() -> caf::result<std::vector<incoming_transaction>> {
              return repo().list_incoming(start, count);
            });
      },
      [=](list_atom, outgoing_atom, std::int64_t start, std::int64_t count) {
        return database_call<std::vector<outgoing_transaction>>(
            "box", [&]() -> caf::result<std::vector<outgoing_transaction>> {
              return shown(repo().list_outgoing(start, count));
            });
      },
      [=](delete_atom, incoming_atom, std::int64_t id) {
        return database_call<bool>(
            "box", [&]() -> caf::result<bool> { return repo().remove_incoming(id); });
      },
      [=](delete_atom, outgoing_atom, std::int64_t id) {
        return database_call<bool>(
            "box", [&]() -> caf::result<bool> { return repo().remove_outgoing(id); });
      },
      [=](images_atom, incoming_atom, std::int64_t id) {
        return database_call<std::vector<image>>("box", [&]() -> caf::result<std::vector<image>> {
          return images_of(self, repo().incoming_image_ids(id));
        });
      },
      [=](images_atom, outgoing_atom, std::int64_t id) {
        return database_call<std::vector<image>>("box", [&]() -> caf::result<std::vector<image>> {
          std::vector<std::int64_t> ids;
          for (const auto& i : repo().outgoing_images(id)) ids.push_back(i.image_id);
          return images_of(self, std::move(ids));
        });
      },
      [=](image_atom, box_delivery& d) {
        return database_call<bool>("box", [&]() -> caf::result<bool> {
          auto b = poll_box(d.token);
          if (!b) {
            std::error_code ec;
            std::filesystem::remove(d.file, ec);
            return b.error();
          }
          // Inflated, stored and recorded by the receiver's workers, several at once.
          auto promise = self->make_response_promise<bool>();
          self->request(self->state.receiver.workers, caf::infinite, image_atom::value, *b,
                        std::move(d))
              .then([promise](bool ok) mutable { promise.deliver(ok); },
                    [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
          return promise;
        });
      },
      [=](status_atom, const std::string& token, std::int64_t transaction_id) {
        return database_call<std::string>("box", [&]() -> caf::result<std::string> {
          auto b = poll_box(token);
          if (!b) return b.error();
          if (auto t = repo().incoming_of(b->id, transaction_id)) return t->status;
          return bare_not_found();
        });
      },
      [=](status_atom, const std::string& token, std::int64_t transaction_id,
          const std::string& status) {
        return database_call<bool>("box", [&]() -> caf::result<bool> {
          auto b = poll_box(token);
          if (!b) return b.error();
          if (status != waiting_status && status != processing_status &&
              status != finished_status && status != failed_status)
            return make_error(errc::bad_request, "Invalid status format: UNKNOWN");
          if (!repo().set_incoming_status(b->id, transaction_id, status, now_ms()))
            return bare_not_found();
          // Slicebox 2.1.1 also finalizes our outgoing transaction of that id and box; it acts
          // only on one that is complete anyway.
          if (status == finished_status) {
            auto t = repo().outgoing_by_id(transaction_id);
            if (t && t->box_id == b->id && repo().finish_if_complete(transaction_id, now_ms()))
              announce_finished(self, transaction_id);
          }
          return true;
        });
      },
      [=](poll_atom, const std::string& token, std::int64_t n) {
        return database_call<std::vector<outgoing_transaction_image>>(
            "box", [&]() -> caf::result<std::vector<outgoing_transaction_image>> {
              auto b = poll_box(token);
              if (!b) return b.error();
              touched(*b);
              auto items = repo().pending(b->id, n, now_ms());
              for (auto& i : items) i.transaction = shown(std::move(i.transaction));
              return items;
            });
      },
      [=](get_atom, const std::string& token, std::int64_t transaction_id,
          std::int64_t image_row_id) {
        return database_call<anonymization_output, int>(
            "box", [&]() -> caf::result<anonymization_output, int> {
              auto b = poll_box(token);
              if (!b) return b.error();
              auto ti = repo().outgoing_image(b->id, transaction_id, image_row_id);
              if (!ti)
                return make_error(errc::not_found, "No outgoing image found for transaction id " +
                                                       std::to_string(transaction_id) +
                                                       " and outgoing image id " +
                                                       std::to_string(image_row_id));
              auto promise = self->make_response_promise<anonymization_output, int>();
              self->request(self->state.config.anonymization, caf::infinite, anonymize_atom::value,
                            ti->image.image_id, names_of(ti->transaction.profile),
                            stored_tag_values(repo(), ti->image.id), false)
                  .then(
                      [promise, level = self->state.config.settings.compression_level](
                          anonymization_output& o) mutable {
                        promise.deliver(std::move(o), level);
                      },
                      [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
              return promise;
            });
      },
      [=](done_atom, const std::string& token, const outgoing_transaction_image& ti) {
        return database_call<bool>("box", [&]() -> caf::result<bool> {
          auto b = poll_box(token);
          if (!b) return b.error();
          touched(*b);
          // Committed by the recorder with the acknowledgements that arrive meanwhile.
          auto promise = self->make_response_promise<bool>();
          self->request(self->state.receiver.recorder, caf::infinite, done_atom::value, *b, ti)
              .then([promise](bool ok) mutable { promise.deliver(ok); },
                    [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
          return promise;
        });
      },
      [=](failed_atom, const std::string& token, const failed_outgoing_image& f) {
        return database_call<bool>("box", [&]() -> caf::result<bool> {
          auto b = poll_box(token);
          if (!b) return b.error();
          const auto tid = f.transaction_image.transaction.id;
          note(self, log_type::error, f.message);
          if (repo().fail_outgoing(b->id, tid, f.message, now_ms()))
            note(self, log_type::error,
                 "Transaction " + std::to_string(tid) + " to box " + b->name + " failed");
          return true;
        });
      },
      [=](const images_deleted& e) {
        try {
          for (auto id : repo().remove_images(e.image_ids, now_ms()))
            if (repo().finish_if_complete(id, now_ms())) announce_finished(self, id);
        } catch (const persistence::database_error& err) {
          spdlog::error("box: database failure: {}", err.what());
        }
      },
      [=](tick_atom) {
        auto& st = self->state;
        try {
          refresh_tokens(self);  // boxes created or deleted through other nodes
          if (follow_leadership(self)) {
            const auto now = now_ms();
            const auto limit = st.config.settings.offline_after.count();
            if (now - st.last_housekeeping >= st.config.settings.housekeeping.count()) {
              st.last_housekeeping = now;
              repo().reset_stale(now - limit);
              repo().mark_offline(now - limit);
            }
          }
        } catch (const persistence::database_error& err) {
          spdlog::error("box: database failure: {}", err.what());
        }
        auto next = st.config.settings.housekeeping;
        if (st.config.cluster) next = std::min(next, st.config.cluster->check_interval());
        self->delayed_send(self, next, tick_atom::value);
      },
  };
}

}  // namespace

proto::box_actor spawn_box_actor(caf::actor_system& sys, box_service_config config) {
  // The tokens are known before the listener starts: a remote box polling right after a
  // restart must not be told its box is unknown.
  {
    auto db = persistence::open_database(config.database);
    persistence::box_repo repo(*db);
    load_tokens(repo, *config.tokens);
  }
  // A box created or deleted through another node is known here as soon as it is announced
  // (and at the next tick if the announcement is missed).
  if (config.cluster)
    config.cluster->subscribe(persistence::topic::boxes,
                              [database = config.database, tokens = config.tokens,
                               db = std::shared_ptr<persistence::database>()]() mutable {
                                try {
                                  if (!db) db = persistence::open_database(database);
                                  persistence::box_repo repo(*db);
                                  load_tokens(repo, *tokens);
                                } catch (const std::exception& e) {
                                  db.reset();
                                  spdlog::error("box: reading the tokens failed: {}", e.what());
                                }
                              });
  auto events = config.events;
  auto actor = sys.spawn<caf::detached>(box_behavior, std::move(config));
  relay_events<images_deleted>(sys, events, actor);
  return actor;
}

}  // namespace sbx::actors
