// SPDX-License-Identifier: Apache-2.0
#include "actors/box_link.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "actors/box_payload.hpp"
#include "actors/box_workers.hpp"
#include "actors/clock.hpp"
#include "dicom/tag_path.hpp"
#include "persistence/box_repo.hpp"
#include "proto/box_json.hpp"
#include "proto/error.hpp"

namespace sbx::actors {

void announce_finished(const box_service_config& config, persistence::box_repo& repo,
                       std::int64_t transaction_id) {
  auto t = repo.outgoing_by_id(transaction_id);
  if (!t) return;
  auto ids = repo.sent_image_ids(transaction_id);
  std::string message =
      "Finished sending " + std::to_string(ids.size()) + " images to box " + t->box_name;
  if (t->skipped_image_count > 0)
    message += "; " + std::to_string(t->skipped_image_count) +
               " images were skipped, the last because: " + t->last_error;
  caf::anon_send(config.log, proto::log_atom::value,
                 t->skipped_image_count ? proto::log_type::warn : proto::log_type::info,
                 std::string("Box"), std::move(message));
  caf::anon_send(
      config.events,
      proto::images_sent{proto::destination{"box", t->box_name, t->box_id}, std::move(ids), t->id});
}

namespace {

using namespace proto;
namespace client = http::client;

/// How a batch went: nothing to do, something done, or a failure (wait for the next interval).
enum class batch { idle, progressed, failed };

const client::response* answer(const client::result& r) {
  return std::get_if<client::response>(&r);
}

std::string failure_text(const client::result& r) {
  if (auto e = std::get_if<client::transport_error>(&r)) return e->message;
  const auto& res = std::get<client::response>(r);
  auto text = "remote answered " + std::to_string(res.status);
  if (!res.body.empty()) text += ": " + res.body.substr(0, 200);
  return text;
}

bool accepted(long status) {
  return (status >= 200 && status < 300) || status == 400 || status == 404;
}

/// What other threads (the HTTP client's, the workers) report to an engine thread, which waits
/// for it.
template <class Outcome>
struct reports {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Outcome> done;

  void add(Outcome o) {
    {
      std::lock_guard lock{mutex};
      done.push_back(std::move(o));
    }
    cv.notify_all();
  }

  /// Everything reported so far, once there is something or `stopping` says so.
  template <class Stopping>
  std::deque<Outcome> take(Stopping stopping) {
    std::unique_lock lock{mutex};
    while (done.empty() && !stopping()) cv.wait_for(lock, std::chrono::milliseconds{100});
    return std::exchange(done, {});
  }
};

class link {
 public:
  link(caf::blocking_actor* self, box_link_config config, box b)
      : self_(self), config_(std::move(config)), box_(std::move(b)) {
    db_ = persistence::open_database(config_.service.database);
    repo_ = std::make_unique<persistence::box_repo>(*db_);
    base_ = box_.base_url;
    while (!base_.empty() &&
           (base_.back() == '/' || std::isspace(static_cast<unsigned char>(base_.back()))))
      base_.pop_back();
  }

  void run() {
    bool running = true;
    while (running && !stopping()) {
      batch push = batch::failed, poll = batch::failed;
      try {
        push = push_batch();
        if (!stopping()) poll = poll_batch();
      } catch (const persistence::database_error& e) {
        spdlog::error("box {}: database failure: {}", box_.name, e.what());
      } catch (const std::exception& e) {
        spdlog::error("box {}: {}", box_.name, e.what());
      }
      if ((push == batch::progressed || poll == batch::progressed) && push != batch::failed &&
          poll != batch::failed)
        continue;  // more may be waiting: no pause
      self_->receive([](tick_atom) {}, [&](delete_atom) { running = false; },
                     caf::after(config_.service.settings.interval) >> [] {});
    }
  }

 private:
  const box_settings& timing() const { return config_.service.settings; }
  bool stopping() const { return config_.stop->load(); }

  void note(log_type type, std::string message) {
    caf::anon_send(config_.service.log, log_atom::value, type, std::string("Box"),
                   std::move(message));
  }

  /// Logs a link failure once (not every interval), and its end.
  void link_failed(const char* loop, std::string& last, const std::string& why) {
    if (last == why) return;
    last = why;
    note(log_type::warn, std::string("Connection to box ") + box_.name + " (" + loop +
                             ") failed: " + why + ". Retrying later.");
  }
  void link_works(const char* loop, std::string& last) {
    if (last.empty()) return;
    last.clear();
    note(log_type::info,
         std::string("Connection to box ") + box_.name + " (" + loop + ") works again");
  }

  client::request request(std::string method, std::string url) const {
    client::request r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.headers.push_back({"User-Agent", "slicebox"});
    r.timeout = timing().request_timeout;
    r.connect_timeout = timing().connect_timeout;
    r.low_speed_window = timing().stall_timeout;
    return r;
  }

  /// Runs requests at once and waits for all of them (or for the stop flag).
  std::vector<client::result> exchange(std::vector<client::request> requests) {
    struct shared {
      std::mutex mutex;
      std::condition_variable cv;
      std::vector<std::optional<client::result>> results;
      std::size_t left = 0;
    };
    auto s = std::make_shared<shared>();
    s->results.resize(requests.size());
    s->left = requests.size();
    for (std::size_t i = 0; i < requests.size(); ++i)
      config_.client->start(std::move(requests[i]), [s, i](client::result r) {
        std::lock_guard lock{s->mutex};
        s->results[i] = std::move(r);
        --s->left;
        s->cv.notify_all();
      });
    std::unique_lock lock{s->mutex};
    while (s->left > 0 && !stopping()) s->cv.wait_for(lock, std::chrono::milliseconds{100});
    std::vector<client::result> out;
    for (auto& r : s->results)
      out.push_back(r ? std::move(*r) : client::result{client::transport_error{"stopping", false}});
    return out;
  }

  client::result exchange_one(client::request r) {
    std::vector<client::request> one;
    one.push_back(std::move(r));
    return std::move(exchange(std::move(one)).front());
  }

  // --- push: our outgoing transactions to the public remote --------------------------------

  std::vector<tag_value> tag_values_of(std::int64_t row_id) {
    std::vector<tag_value> out;
    for (const auto& [path, value] : repo_->tag_values(row_id)) {
      try {
        out.push_back({dicom::parse_tag_path(path, false), value});
      } catch (const std::invalid_argument&) {
      }
    }
    return out;
  }

  void failed_image(const outgoing_transaction_image& ti, const std::string& why,
                    bool give_up = false) {
    const auto f = repo_->record_failure(ti.transaction.id, ti.image.id, why,
                                         timing().interval.count(), timing().max_backoff.count(),
                                         give_up ? 1 : timing().max_attempts, now_ms());
    if (f.skipped) {
      note(log_type::error, "Image " + std::to_string(ti.image.image_id) + " of transaction " +
                                std::to_string(ti.transaction.id) + " to box " + box_.name +
                                " skipped after " + std::to_string(f.attempts) +
                                " attempts: " + why);
      finish(ti.transaction.id);
    }
  }

  void finish(std::int64_t transaction_id) {
    if (!repo_->finish_if_complete(transaction_id, now_ms())) return;
    // Tell the remote (Slicebox 2.1.1 does; its answer changes nothing here).
    auto r = request("PUT", base_ + "/status?transactionid=" + std::to_string(transaction_id));
    r.headers.push_back({"Content-Type", "application/json"});
    r.body = json::transaction_status(finished_status);
    if (!answer(exchange_one(std::move(r))))
      spdlog::info("box {}: unable to set the remote status of transaction {}", box_.name,
                   transaction_id);
    announce_finished(config_.service, *repo_, transaction_id);
  }

  /// Asks the anonymization service for the outgoing version of an image (it works on several
  /// files in parallel, so the push loop asks ahead of what it sends).
  auto anonymize(const outgoing_transaction_image& ti) {
    std::vector<std::string> profile;
    for (const auto& o : ti.transaction.profile) profile.push_back(o.name);
    return self_->request(caf::actor_cast<caf::actor>(config_.service.anonymization), caf::infinite,
                          anonymize_atom::value, ti.image.image_id, std::move(profile),
                          tag_values_of(ti.image.id), false);
  }

  /// How an upload of a push batch ended (reported from the client's thread, or from a worker
  /// when the image could not be prepared).
  struct upload_outcome {
    std::size_t index = 0;
    std::optional<client::result> result;  ///< empty: not sent, `prepare_error` says why
    std::string prepare_error;
  };
  using completions = reports<upload_outcome>;

  /// Payloads up to this size are compressed into memory and sent from there; larger ones go
  /// through a temporary file.
  static constexpr std::uintmax_t in_memory_payload = std::uintmax_t{32} << 20;

  /// Receives the anonymized image of `ti` and hands it to a worker, which compresses it and
  /// starts its upload; its outcome arrives in `c` under `index`. False if the image failed
  /// before that (recorded as such).
  template <class Handle>
  bool start_upload(const outgoing_transaction_image& ti, Handle& anonymized,
                    const std::shared_ptr<completions>& c, std::size_t index) {
    bool started = false;
    anonymized.receive(
        [&](anonymization_output& o) {
          auto r = request(
              "POST", base_ + "/image?transactionid=" + std::to_string(ti.transaction.id) +
                          "&sequencenumber=" + std::to_string(ti.image.sequence_number) +
                          "&totalimagecount=" + std::to_string(ti.transaction.total_image_count));
          r.headers.push_back({"Content-Type", "application/octet-stream"});
          std::error_code ec;
          const auto size = o.file.empty() ? 0 : std::filesystem::file_size(o.file, ec);
          std::filesystem::path spill;  // a temporary payload file, for large images only
          if (ec || size > in_memory_payload) spill = config_.service.store->temp_path();
          config_.workers->post([o = std::move(o), r = std::move(r), spill, c, index,
                                 level = timing().compression_level,
                                 http = config_.client]() mutable {
            std::string why;
            try {
              if (spill.empty()) {
                r.body = compress_payload(o.head, o.file, o.offset, level);
              } else {
                compress_payload(o.head, o.file, o.offset, spill, level);
                r.body_file = spill;
              }
            } catch (const std::exception& e) {
              why = std::string("cannot prepare the image: ") + e.what();
            }
            std::error_code ec;
            if (o.temporary && !o.file.empty()) std::filesystem::remove(o.file, ec);
            if (!why.empty()) {
              if (!spill.empty()) std::filesystem::remove(spill, ec);
              return c->add({index, std::nullopt, std::move(why)});
            }
            http->start(std::move(r), [c, index, spill](client::result res) {
              std::error_code ec;
              if (!spill.empty()) std::filesystem::remove(spill, ec);
              c->add({index, std::move(res), {}});
            });
          });
          started = true;
        },
        [&](caf::error& e) {
          const bool gone =
              e.category() == error_category && static_cast<errc>(e.code()) == errc::not_found;
          auto why = e.context().match_elements<std::string>() ? e.context().get_as<std::string>(0)
                                                               : caf::to_string(e);
          failed_image(ti, gone ? "the image no longer exists: " + why : why, gone);
        });
    return started;
  }

  /// Receives an anonymization answer that will not be sent (the batch ended early).
  template <class Handle>
  void discard(Handle& anonymized) {
    anonymized.receive(
        [](anonymization_output& o) {
          std::error_code ec;
          if (o.temporary && !o.file.empty()) std::filesystem::remove(o.file, ec);
        },
        [](caf::error&) {});
  }

  /// Sends a batch through a sliding window (docs/federation.md, "Engines"): `box.parallelism`
  /// uploads in flight, the next started as soon as one ends, anonymization asked ahead and
  /// compression on the workers; acknowledged images are marked sent a group at a time.
  batch push_batch() {
    auto items = repo_->pending(box_.id, timing().batch_size, now_ms());
    if (items.empty()) return batch::idle;
    const auto window = std::max<std::size_t>(1, timing().parallelism);
    using handle = decltype(anonymize(items.front()));
    std::vector<std::optional<handle>> asked(items.size());
    std::size_t next_ask = 0, next_send = 0, in_flight = 0;
    auto ask_ahead = [&] {
      for (; next_ask < items.size() && next_ask < next_send + 2 * window; ++next_ask)
        asked[next_ask].emplace(anonymize(items[next_ask]));
    };
    auto c = std::make_shared<completions>();
    std::optional<std::string> link_error;
    std::vector<std::pair<std::int64_t, std::int64_t>> sent;
    bool progressed = false;
    auto mark_sent = [&] {
      auto done = std::exchange(sent, {});
      for (const auto transaction_id : repo_->mark_sent(done, now_ms())) finish(transaction_id);
    };
    for (;;) {
      ask_ahead();
      while (!link_error && !stopping() && in_flight < window && next_send < items.size()) {
        if (start_upload(items[next_send], *asked[next_send], c, next_send)) ++in_flight;
        asked[next_send].reset();
        ++next_send;
        ask_ahead();
      }
      if (in_flight == 0) break;
      auto ended = c->take([this] { return stopping(); });
      if (stopping()) return batch::failed;  // what is in flight reports to `c`, unread
      for (auto& o : ended) {
        --in_flight;
        const auto& ti = items[o.index];
        if (!o.result) {
          failed_image(ti, o.prepare_error);
          continue;
        }
        const auto* res = answer(*o.result);
        if (!res || res->status == 401) {
          link_error = failure_text(*o.result);
          continue;
        }
        if (!accepted(res->status)) {
          failed_image(ti, failure_text(*o.result));
          continue;
        }
        if (res->status == 400 || res->status == 404)
          note(log_type::warn, "Box " + box_.name + " " +
                                   (res->status == 400 ? "rejected" : "could not find") +
                                   " image " + std::to_string(ti.image.image_id) +
                                   " of transaction " + std::to_string(ti.transaction.id));
        progressed = true;
        sent.emplace_back(ti.transaction.id, ti.image.id);
      }
      if (sent.size() >= window) mark_sent();
    }
    mark_sent();
    for (auto i = next_send; i < next_ask; ++i) discard(*asked[i]);  // nothing left unanswered
    if (link_error) {
      repo_->note_outgoing_error(box_.id, *link_error, now_ms());
      link_failed("push", push_error_, *link_error);
      return batch::failed;
    }
    link_works("push", push_error_);
    return progressed ? batch::progressed : batch::failed;
  }

  // --- poll: what the public remote queued for us ---------------------------------------------

  /// A fetched image that may be acknowledged to the remote once it is recorded here.
  struct arrival {
    outgoing_transaction_image item;
    persistence::incoming_delivery delivery;
    incoming_transaction recorded;
  };

  /// What a fetched payload was found to be. False: incomplete, fetched again later (the
  /// remote is not told); true with `a.delivery.error` set when given up on after
  /// `box.max_attempts` incomplete fetches, to be recorded as rejected.
  bool usable(arrival& a, payload_state state, const std::string& why) {
    const auto key = std::pair{a.item.transaction.id, a.item.image.id};
    if (state == payload_state::complete) {
      fetch_failures_.erase(key);
      return true;
    }
    if (++fetch_failures_[key] < timing().max_attempts) return false;
    a.delivery.error = "the image payload arrived incomplete " +
                       std::to_string(fetch_failures_[key]) + " times: " + why;
    note(log_type::error, "Image " + std::to_string(a.item.image.sequence_number) +
                              " of transaction " + std::to_string(a.item.transaction.id) +
                              " from box " + box_.name + " skipped: " + a.delivery.error);
    fetch_failures_.erase(key);
    return true;
  }

  /// How a fetch (inflated by a worker) or an acknowledgement of a poll batch ended.
  struct poll_outcome {
    std::size_t index = 0;
    bool acknowledgement = false;
    client::result result;
    payload_state state = payload_state::corrupt;  ///< of a fetched 2xx payload
    std::string why;
    std::filesystem::path inflated;  ///< the image, when complete
  };
  using poll_events = reports<poll_outcome>;

  /// Fetches `items[index]`; a worker inflates the answer into the store's tmp/ folder.
  void start_fetch(const outgoing_transaction_image& item, std::size_t index,
                   const std::shared_ptr<poll_events>& events) {
    auto r =
        request("GET", base_ + "/outgoing?transactionid=" + std::to_string(item.transaction.id) +
                           "&imageid=" + std::to_string(item.image.id));
    r.response_file = config_.service.store->temp_path();
    auto fetched = r.response_file;
    auto inflated = config_.service.store->temp_path();
    config_.client->start(std::move(r), [events, index, fetched, inflated,
                                         workers = config_.workers](client::result res) {
      workers->post([events, index, fetched, inflated, res = std::move(res)]() mutable {
        poll_outcome o{index, false, std::move(res), payload_state::corrupt, {}, {}};
        const auto* r = answer(o.result);
        std::error_code ec;
        if (r && r->status >= 200 && r->status < 300) {
          try {
            o.state = inflate_payload(fetched, inflated, o.why);
          } catch (const std::exception& e) {
            o.state = payload_state::truncated;
            o.why = e.what();
          }
          if (o.state == payload_state::complete) o.inflated = inflated;
        }
        std::filesystem::remove(fetched, ec);
        if (o.inflated.empty()) std::filesystem::remove(inflated, ec);
        events->add(std::move(o));
      });
    });
  }

  /// Stores arrivals through ingest, all asked at once so that their commits are shared, and
  /// records every one that was stored or given up on in one database transaction. Arrivals
  /// that ingest could not take for a fault of ours are left out (not acknowledged: fetched
  /// again later); `fault` says why.
  std::vector<arrival> store_fetched(std::vector<arrival> arrivals,
                                     const std::vector<std::filesystem::path>& files,
                                     std::optional<std::string>& fault) {
    auto ask = [this](const std::filesystem::path& file) {
      return self_->request(caf::actor_cast<caf::actor>(config_.service.ingest), caf::infinite,
                            ingest_atom::value,
                            ingest_request{file.string(), source{"box", box_.name, box_.id},
                                           context_set::extended, true});
    };
    using handle = decltype(ask(std::filesystem::path{}));
    std::vector<std::optional<handle>> asked(arrivals.size());
    for (std::size_t i = 0; i < arrivals.size(); ++i)
      if (!files[i].empty()) asked[i].emplace(ask(files[i]));
    std::vector<arrival> kept;
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
      auto& d = arrivals[i].delivery;
      bool keep = true;
      if (asked[i])
        asked[i]->receive(
            [&](ingest_result& r) {
              d.image_id = r.img.id;
              d.added = r.added;
            },
            [&](caf::error& e) {
              if (e.category() == error_category &&
                  static_cast<errc>(e.code()) == errc::bad_request) {
                d.error = e.context().match_elements<std::string>()
                              ? e.context().get_as<std::string>(0)
                              : std::string("invalid data");
                note(log_type::warn,
                     "Ignoring rejected image from " + box_.name + " in transaction " +
                         std::to_string(arrivals[i].item.transaction.id) + ": " + d.error);
              } else {
                fault = "could not store an image: " + caf::to_string(e);
                keep = false;
              }
            });
      if (keep) kept.push_back(std::move(arrivals[i]));
    }
    std::vector<persistence::incoming_delivery> deliveries;
    for (const auto& a : kept)
      if (a.delivery.image_id || !a.delivery.error.empty()) deliveries.push_back(a.delivery);
    auto recorded = repo_->record_incoming(deliveries, now_ms());
    std::size_t k = 0;
    for (auto& a : kept)
      if (a.delivery.image_id || !a.delivery.error.empty()) a.recorded = recorded[k++];
    return kept;
  }

  /// Fetches a batch through a sliding window (docs/federation.md, "Engines"):
  /// `box.parallelism` fetches in flight, each inflated by a worker as soon as it is in; the
  /// inflated images go to ingest a group at a time, are recorded in one database transaction
  /// and only then acknowledged to the remote.
  batch poll_batch() {
    auto polled = exchange_one(
        request("GET", base_ + "/outgoing/poll?n=" + std::to_string(timing().batch_size)));
    const auto* res = answer(polled);
    std::vector<outgoing_transaction_image> items;
    std::optional<std::string> error;
    if (!res || (res->status != 200 && res->status != 404)) {
      error = failure_text(polled);
    } else if (res->status == 200) {
      try {
        items = json::decode_outgoing_transaction_images(res->body);
      } catch (const json::malformed& e) {
        error = std::string("unreadable poll answer: ") + e.what();
      }
    }
    repo_->set_online(box_.id, !error);
    if (error) {
      link_failed("poll", poll_error_, *error);
      return batch::failed;
    }
    link_works("poll", poll_error_);
    if (items.empty()) return batch::idle;

    const auto window = std::max<std::size_t>(1, timing().parallelism);
    auto events = std::make_shared<poll_events>();
    std::size_t next = 0, fetching = 0, acknowledging = 0;
    std::optional<std::string> link_error, fault;
    bool progressed = false;
    std::vector<arrival> arrived;                 // fetched, not yet stored
    std::vector<std::filesystem::path> inflated;  // their images ("" for none)
    std::vector<incoming_transaction> counted;    // of the acknowledgements in flight
    auto settle = [&] {
      auto kept = store_fetched(std::exchange(arrived, {}), std::exchange(inflated, {}), fault);
      for (const auto& a : kept) {
        auto acknowledged = a.item;
        acknowledged.transaction.sent_image_count = a.recorded.received_image_count;
        auto ack = request("POST", base_ + "/outgoing/done");
        ack.headers.push_back({"Content-Type", "application/json"});
        ack.body = json::encode(acknowledged);
        const auto k = counted.size();
        counted.push_back(a.recorded);
        ++acknowledging;
        config_.client->start(std::move(ack), [events, k](client::result r) {
          events->add({k, true, std::move(r), payload_state::corrupt, {}, {}});
        });
      }
    };
    for (;;) {
      for (; !link_error && !fault && !stopping() && fetching < window && next < items.size();
           ++next, ++fetching)
        start_fetch(items[next], next, events);
      if (!arrived.empty() && (arrived.size() >= window || fetching == 0)) settle();
      if (fetching == 0 && acknowledging == 0) break;
      auto ended = events->take([this] { return stopping(); });
      if (stopping()) return batch::failed;  // what is in flight reports to `events`, unread
      for (auto& o : ended) {
        const auto* r = answer(o.result);
        if (o.acknowledgement) {
          --acknowledging;
          if (!r || !accepted(r->status)) {
            link_error = failure_text(o.result);
            continue;
          }
          progressed = true;
          const auto& t = counted[o.index];
          if (t.id >= 0 && t.received_image_count >= t.total_image_count) {
            auto put = request("PUT", base_ + "/status?transactionid=" +
                                          std::to_string(t.outgoing_transaction_id));
            put.headers.push_back({"Content-Type", "application/json"});
            put.body = json::transaction_status(finished_status);
            exchange_one(std::move(put));  // Slicebox 2.1.1 sends it; nobody relies on it
          }
          continue;
        }
        --fetching;
        if (!r || !accepted(r->status)) {
          link_error = failure_text(o.result);
          continue;
        }
        const auto& item = items[o.index];
        arrival a{item,
                  {box_.id,
                   box_.name,
                   item.transaction.id,
                   item.image.sequence_number,
                   item.transaction.total_image_count,
                   std::nullopt,
                   false,
                   {}},
                  {}};
        a.recorded.id = -1;
        a.recorded.received_image_count = item.transaction.sent_image_count;
        if (r->status >= 200 && r->status < 300 && !usable(a, o.state, o.why))
          continue;  // fetched again later
        arrived.push_back(std::move(a));
        inflated.push_back(o.inflated);
      }
    }
    if (fault) {
      spdlog::error("box {}: {}", box_.name, *fault);
      return batch::failed;
    }
    if (link_error) {
      link_failed("poll", poll_error_, *link_error);
      return batch::failed;
    }
    return progressed ? batch::progressed : batch::failed;
  }

  caf::blocking_actor* self_;
  box_link_config config_;
  box box_;
  std::unique_ptr<persistence::database> db_;
  std::unique_ptr<persistence::box_repo> repo_;
  std::string base_;
  std::string push_error_, poll_error_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> fetch_failures_;
};

}  // namespace

caf::actor spawn_box_link(caf::actor_system& sys, box_link_config config, proto::box b) {
  return sys.spawn([config = std::move(config), b = std::move(b)](caf::blocking_actor* self) {
    try {
      link l(self, config, b);
      l.run();
    } catch (const std::exception& e) {
      spdlog::error("box {}: engine stopped: {}", b.name, e.what());
    }
  });
}

}  // namespace sbx::actors
