// SPDX-License-Identifier: Apache-2.0
#include "actors/box_link.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "actors/box_payload.hpp"
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

/// The files a batch creates, removed however it ends.
struct temp_files {
  std::vector<std::filesystem::path> paths;
  ~temp_files() {
    for (const auto& p : paths) {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
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

  /// Asks the anonymization service for the outgoing versions of some images, all at once
  /// (it works on several files in parallel); `collect` receives them.
  auto anonymize(const std::vector<outgoing_transaction_image>& items) {
    auto ask = [this](const outgoing_transaction_image& ti) {
      std::vector<std::string> profile;
      for (const auto& o : ti.transaction.profile) profile.push_back(o.name);
      return self_->request(caf::actor_cast<caf::actor>(config_.service.anonymization),
                            caf::infinite, anonymize_atom::value, ti.image.image_id,
                            std::move(profile), tag_values_of(ti.image.id), false);
    };
    std::vector<decltype(ask(std::declval<const outgoing_transaction_image&>()))> asked;
    for (const auto& ti : items) asked.push_back(ask(ti));
    return asked;
  }

  /// The compressed payloads of what `anonymize` asked for (an empty path for an image that
  /// failed, recorded as such); every answer is received, whatever happens. The images are
  /// compressed in parallel, each as soon as its answer is in.
  template <class Handles>
  std::vector<std::filesystem::path> collect(const std::vector<outgoing_transaction_image>& items,
                                             Handles& asked, temp_files& temps) {
    std::vector<std::filesystem::path> out(items.size());
    std::vector<std::future<std::string>> compressing(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      asked[i].receive(
          [&](anonymization_output& o) {
            auto path = config_.service.store->temp_path();
            temps.paths.push_back(path);
            out[i] = path;
            const int level = timing().compression_level;
            compressing[i] = std::async(std::launch::async, [o = std::move(o), path, level] {
              std::string why;
              try {
                compress_payload(o.head, o.file, o.offset, path, level);
              } catch (const std::exception& e) {
                why = std::string("cannot prepare the image: ") + e.what();
              }
              if (o.temporary && !o.file.empty()) {
                std::error_code ec;
                std::filesystem::remove(o.file, ec);
              }
              return why;
            });
          },
          [&](caf::error& e) {
            const bool gone =
                e.category() == error_category && static_cast<errc>(e.code()) == errc::not_found;
            auto why = e.context().match_elements<std::string>()
                           ? e.context().get_as<std::string>(0)
                           : caf::to_string(e);
            failed_image(items[i], gone ? "the image no longer exists: " + why : why, gone);
          });
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!compressing[i].valid()) continue;
      if (auto why = compressing[i].get(); !why.empty()) {
        failed_image(items[i], why);
        out[i].clear();
      }
    }
    return out;
  }

  batch push_batch() {
    auto items = repo_->pending(box_.id, timing().batch_size, now_ms());
    if (items.empty()) return batch::idle;
    bool progressed = false;
    const auto chunk = std::max<std::size_t>(1, timing().parallelism);
    auto part_at = [&](std::size_t start) {
      return std::vector<outgoing_transaction_image>(
          items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), start)),
          items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), start + chunk)));
    };
    // While one chunk is on the wire, the next one is being anonymized.
    auto part = part_at(0);
    auto asked = anonymize(part);
    for (std::size_t start = 0; start < items.size(); start += chunk) {
      temp_files temps;
      auto files = collect(part, asked, temps);
      if (stopping()) return batch::failed;
      auto next = part_at(start + chunk);
      auto next_asked = anonymize(next);
      std::vector<client::request> requests;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < part.size(); ++i) {
        if (files[i].empty()) continue;
        const auto& ti = part[i];
        auto r = request(
            "POST", base_ + "/image?transactionid=" + std::to_string(ti.transaction.id) +
                        "&sequencenumber=" + std::to_string(ti.image.sequence_number) +
                        "&totalimagecount=" + std::to_string(ti.transaction.total_image_count));
        r.headers.push_back({"Content-Type", "application/octet-stream"});
        r.body_file = files[i];
        requests.push_back(std::move(r));
        which.push_back(i);
      }
      auto results = exchange(std::move(requests));
      std::optional<std::string> link_error;
      std::vector<std::pair<std::int64_t, std::int64_t>> sent;
      for (std::size_t k = 0; k < results.size(); ++k) {
        const auto& ti = part[which[k]];
        const auto* res = answer(results[k]);
        if (!res || res->status == 401) {
          link_error = failure_text(results[k]);
          continue;
        }
        if (!accepted(res->status)) {
          failed_image(ti, failure_text(results[k]));
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
      for (const auto transaction_id : repo_->mark_sent(sent, now_ms())) finish(transaction_id);
      part = std::move(next);
      asked = std::move(next_asked);
      if (link_error) {
        temp_files unused;
        collect(part, asked, unused);  // nothing is left unanswered in the mailbox
        repo_->note_outgoing_error(box_.id, *link_error, now_ms());
        link_failed("push", push_error_, *link_error);
        return batch::failed;
      }
      link_works("push", push_error_);
    }
    return progressed ? batch::progressed : batch::failed;
  }

  // --- poll: what the public remote queued for us ---------------------------------------------

  /// A fetched image that may be acknowledged to the remote once it is recorded here.
  struct arrival {
    outgoing_transaction_image item;
    persistence::incoming_delivery delivery;
    incoming_transaction recorded;
  };

  /// Inflates a fetched payload into `file`. False: incomplete, fetched again later (the
  /// remote is not told); true with `a.delivery.error` set: given up on, to be recorded as
  /// rejected.
  bool inflate_fetched(arrival& a, const std::filesystem::path& payload,
                       const std::filesystem::path& file) {
    std::string why;
    const auto key = std::pair{a.item.transaction.id, a.item.image.id};
    if (inflate_payload(payload, file, why) == payload_state::complete) {
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

  /// Stores the complete payloads of a chunk (`files`, one for each arrival that has one)
  /// through ingest, all asked at once so that their commits are shared, and records every
  /// arrival that was stored or given up on (a 400/404 answer of the remote is not recorded).
  /// Throws for faults of ours (the batch fails, the images are fetched again later), after every
  /// answer has been received.
  void store_fetched(std::vector<arrival>& arrivals,
                     const std::vector<std::optional<std::filesystem::path>>& files) {
    auto ask = [this](const std::filesystem::path& file) {
      return self_->request(caf::actor_cast<caf::actor>(config_.service.ingest), caf::infinite,
                            ingest_atom::value,
                            ingest_request{file.string(), source{"box", box_.name, box_.id},
                                           context_set::extended, true});
    };
    using handle = decltype(ask(std::filesystem::path{}));
    std::vector<std::optional<handle>> asked(arrivals.size());
    for (std::size_t i = 0; i < arrivals.size(); ++i)
      if (files[i]) asked[i].emplace(ask(*files[i]));
    std::optional<caf::error> fault;
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
      if (!asked[i]) continue;
      auto& d = arrivals[i].delivery;
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
              fault = e;
            }
          });
    }
    if (fault) throw std::runtime_error("could not store an image: " + caf::to_string(*fault));
    for (std::size_t i = 0; i < arrivals.size(); ++i)
      if (files[i] || !arrivals[i].delivery.error.empty())
        arrivals[i].recorded = repo_->record_incoming(arrivals[i].delivery, now_ms());
  }

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

    bool progressed = false;
    const auto chunk = std::max<std::size_t>(1, timing().parallelism);
    for (std::size_t start = 0; start < items.size(); start += chunk) {
      if (stopping()) return batch::failed;
      const auto end = std::min(items.size(), start + chunk);
      temp_files temps;
      std::vector<client::request> fetches;
      for (auto i = start; i < end; ++i) {
        auto r = request(
            "GET", base_ + "/outgoing?transactionid=" + std::to_string(items[i].transaction.id) +
                       "&imageid=" + std::to_string(items[i].image.id));
        r.response_file = config_.service.store->temp_path();
        temps.paths.push_back(r.response_file);
        fetches.push_back(std::move(r));
      }
      std::vector<std::filesystem::path> files;
      for (const auto& f : fetches) files.push_back(f.response_file);
      auto results = exchange(std::move(fetches));
      std::vector<arrival> arrivals;
      std::vector<std::optional<std::filesystem::path>> to_store;
      std::optional<std::string> link_error;
      for (auto i = start; i < end; ++i) {
        const auto& result = results[i - start];
        const auto* r = answer(result);
        if (!r || (!accepted(r->status))) {
          link_error = failure_text(result);
          continue;
        }
        arrival a{items[i],
                  {box_.id,
                   box_.name,
                   items[i].transaction.id,
                   items[i].image.sequence_number,
                   items[i].transaction.total_image_count,
                   std::nullopt,
                   false,
                   {}},
                  {}};
        a.recorded.id = -1;
        a.recorded.received_image_count = items[i].transaction.sent_image_count;
        std::optional<std::filesystem::path> store;
        if (r->status >= 200 && r->status < 300) {
          auto inflated = config_.service.store->temp_path();
          temps.paths.push_back(inflated);
          if (!inflate_fetched(a, files[i - start], inflated)) continue;  // fetched again
          if (a.delivery.error.empty()) store = inflated;
        }
        arrivals.push_back(std::move(a));
        to_store.push_back(std::move(store));
      }
      store_fetched(arrivals, to_store);
      std::vector<client::request> acks;
      std::vector<incoming_transaction> counted;
      for (const auto& a : arrivals) {
        auto acknowledged = a.item;
        acknowledged.transaction.sent_image_count = a.recorded.received_image_count;
        auto ack = request("POST", base_ + "/outgoing/done");
        ack.headers.push_back({"Content-Type", "application/json"});
        ack.body = json::encode(acknowledged);
        acks.push_back(std::move(ack));
        counted.push_back(a.recorded);
      }
      auto done = exchange(std::move(acks));
      for (std::size_t k = 0; k < done.size(); ++k) {
        const auto* r = answer(done[k]);
        if (!r || !accepted(r->status)) {
          link_error = failure_text(done[k]);
          continue;
        }
        progressed = true;
        const auto& t = counted[k];
        if (t.id >= 0 && t.received_image_count >= t.total_image_count) {
          auto put = request(
              "PUT", base_ + "/status?transactionid=" + std::to_string(t.outgoing_transaction_id));
          put.headers.push_back({"Content-Type", "application/json"});
          put.body = json::transaction_status(finished_status);
          exchange_one(std::move(put));  // Slicebox 2.1.1 sends it; nobody relies on it
        }
      }
      if (link_error) {
        link_failed("poll", poll_error_, *link_error);
        return batch::failed;
      }
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
