// SPDX-License-Identifier: Apache-2.0
#include "app/node.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "actors/anonymization_actor.hpp"
#include "actors/box_actor.hpp"
#include "actors/cluster_member.hpp"
#include "actors/dicomweb_actor.hpp"
#include "actors/dictionary_actor.hpp"
#include "actors/directory_watch_actor.hpp"
#include "actors/filtering_actor.hpp"
#include "actors/forwarding_actor.hpp"
#include "actors/image_actor.hpp"
#include "actors/import_actor.hpp"
#include "actors/ingest_actor.hpp"
#include "actors/log_actor.hpp"
#include "actors/metadata_actor.hpp"
#include "actors/scp_actor.hpp"
#include "actors/scu_actor.hpp"
#include "actors/series_type_actor.hpp"
#include "actors/source_actor.hpp"
#include "actors/storage_actor.hpp"
#include "actors/user_actor.hpp"
#include "dicom/dimse_scp.hpp"
#include "http/frontend.hpp"
#include "http/routes/box_routes.hpp"
#include "http/routes/routes.hpp"
#include "http/server.hpp"
#include "http/static_site.hpp"
#include "persistence/cluster.hpp"
#include "persistence/migrations.hpp"
#include "proto/error.hpp"
#include "version.hpp"

namespace sbx::app {
namespace {

persistence::database_config database_of(const config& c) {
  persistence::database_config d;
  d.postgres_url = c.database_url;
  d.sqlite_path = c.effective_sqlite_path().string();
  return d;
}

actors::box_settings box_settings_of(const config& c) {
  actors::box_settings s;
  s.interval = c.box_interval;
  s.batch_size = c.box_batch_size;
  s.parallelism = c.box_parallelism;
  s.housekeeping = c.box_housekeeping;
  s.offline_after = c.box_offline_after;
  s.request_timeout = c.box_request_timeout;
  s.connect_timeout = c.box_connect_timeout;
  s.stall_timeout = c.box_stall_timeout;
  s.max_attempts = c.box_max_attempts;
  s.max_backoff = c.box_max_backoff;
  s.compression_level = c.box_compression_level;
  s.ca_file = c.box_ca_file;
  s.proxy = c.box_proxy;
  return s;
}

caf::actor_system_config actor_config(const config& c) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(std::max(1u, c.actor_threads)));
  // Work sharing sleeps on a condition variable; work stealing polls with short sleeps, which
  // cost a measurable share of a 2-core machine under load.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.add_error_category(proto::error_category, [](std::uint8_t code, caf::atom_value,
                                                   const caf::message& ctx) {
    return "sbx." + proto::to_string(static_cast<proto::errc>(code)) + ": " + caf::to_string(ctx);
  });
  return cfg;
}

persistence::store_settings store_settings_of(const config& c) {
  persistence::store_settings s;
  s.data_dir = c.data_dir;
  s.backend = c.storage_backend;
  s.s3_endpoint = c.storage_s3_endpoint;
  s.s3_bucket = c.storage_s3_bucket;
  s.s3_prefix = c.storage_s3_prefix;
  s.s3_region = c.storage_s3_region;
  s.s3_access_key_id = c.storage_s3_access_key_id;
  s.s3_secret_access_key = c.storage_s3_secret_access_key;
  s.s3_path_style = c.storage_s3_path_style;
  s.cache_bytes = c.storage_cache_bytes;
  return s;
}

}  // namespace

struct node::impl {
  /// One node per SQLite file; none on PostgreSQL (docs/operations.md#running-a-cluster).
  std::unique_ptr<persistence::sqlite_file_lock> sqlite_lock;
  config cfg;
  caf::actor_system_config actor_cfg;
  caf::actor_system sys;
  /// Leadership and the other nodes' changes; after `sys`, so it stops before the actors go.
  std::shared_ptr<actors::cluster_member> cluster;
  proto::services services;  ///< every service, as spawned
  std::unique_ptr<http::frontend> frontend;
  std::unique_ptr<http::http_server> server;

  std::mutex mutex;
  std::condition_variable cv;
  std::optional<std::chrono::steady_clock::time_point> stop_at;
  bool stopped = false;

  explicit impl(config c) : cfg(std::move(c)), actor_cfg(actor_config(cfg)), sys(actor_cfg) {}

  void shutdown() {
    if (stopped) return;
    stopped = true;
    spdlog::info("stopping: closing the HTTP listener");
    if (server) server->stop();
    if (frontend) frontend->stop();
    if (cluster) cluster->stop();  // no more notifications for the services
    // In the table's stop order: the listeners drained while ingest is still there to answer
    // the stores in flight; upstream before ingest, so nothing new enters it; the log last.
    {
      caf::scoped_actor self{sys};
      services.each_in_stop_order([&](const auto& service, proto::on_stop how) {
        if (!service) return;
        self->send_exit(service, caf::exit_reason::user_shutdown);
        if (how == proto::on_stop::drain) self->wait_for(service);
      });
    }
    sys.await_all_actors_done();
    spdlog::info("stopped");
  }
};

node::node(config c) {
  dicom::prepare_dimse_networking();  // sets TCP_NODELAY: before any other thread runs
  std::filesystem::create_directories(c.data_dir);
  auto database = database_of(c);
  std::unique_ptr<persistence::sqlite_file_lock> sqlite_lock;
  if (database.postgres_url.empty())
    sqlite_lock = std::make_unique<persistence::sqlite_file_lock>(database.sqlite_path);
  {
    auto db = persistence::open_database(database);
    for (const auto& name : persistence::migrate(*db)) spdlog::info("applied migration {}", name);
    if (auto caveat = persistence::durability_caveat(*db); !caveat.empty())
      spdlog::warn("database: {}", caveat);
  }
  auto store = persistence::make_file_store(store_settings_of(c));
  if (auto caveat = store->flush_caveat(); !caveat.empty()) spdlog::warn("data folder: {}", caveat);
  if (auto c = actors::check_unflushed(*store, database); c.restored + c.removed > 0)
    spdlog::warn(
        "{} images had lost their files in a crash before they were acknowledged: {} went back "
        "to the files they replaced, {} were removed",
        c.restored + c.removed, c.restored, c.removed);
  if (auto n = actors::sweep_orphans(*store, actors::referenced_storage_keys(database)))
    spdlog::info("removed {} files no image references (left by an interrupted ingest)", n);
  impl_ = std::make_unique<impl>(std::move(c));
  auto& i = *impl_;
  i.sqlite_lock = std::move(sqlite_lock);
  // Started first: a node that can lead does so before its background loops first look.
  auto cluster = i.cluster =
      std::make_shared<actors::cluster_member>(database, i.cfg.cluster_leader_check);
  cluster->start();
  auto events = i.sys.groups().get_local("sbx.events");
  // Spawned in the order of their dependencies: each takes the handles of those before it.
  auto& s = i.services;
  s.log = actors::spawn_log_actor(i.sys, database);
  auto verified = std::make_shared<actors::credential_cache>();
  cluster->subscribe(persistence::topic::users, [verified] { verified->clear(); });
  s.users = actors::spawn_user_actor(
      i.sys, {database, i.cfg.superuser_name, i.cfg.superuser_password, i.cfg.session_timeout,
              i.cfg.sessions_include_ip_and_useragent, s.log, events, verified});
  auto counters = std::make_shared<actors::metrics>();
  s.metadata = actors::spawn_metadata_actor(i.sys, {database, store, events, 2, counters});
  auto filters = std::make_shared<actors::source_filters>();
  actors::filtering_service_config filtering;
  filtering.database = database;
  filtering.events = events;
  filtering.published = filters;
  filtering.cluster = cluster;
  s.filtering = actors::spawn_filtering_actor(i.sys, std::move(filtering));
  auto reverser = std::make_shared<proto::anonymization_actor>();
  actors::ingest_service_config ingest{store, s.metadata, events,   i.cfg.ingest_original_contexts,
                                       8,     filters,    reverser, counters};
  ingest.flush_beside_commit = database.postgres_url.empty();
  s.ingest = actors::spawn_ingest_actor(i.sys, std::move(ingest));
  s.storage =
      actors::spawn_storage_actor(i.sys, store, s.metadata, database, i.cfg.export_lifetime);
  s.imports = actors::spawn_import_actor(i.sys, {database, s.ingest, s.metadata, s.log, events});
  s.images = actors::spawn_image_actor(i.sys, {store, s.metadata, s.ingest, 2});
  s.dicomweb = actors::spawn_dicomweb_actor(i.sys, {store, 2});
  s.anonymization = actors::spawn_anonymization_actor(
      i.sys, {database, events, i.cfg.anonymization_purge_empty_keys, store, s.metadata, s.ingest});
  *reverser = s.anonymization;  // before the server starts: no ingest has run yet
  s.series_types = actors::spawn_series_type_actor(i.sys, {database, events, store, cluster});
  s.directory_watches = actors::spawn_directory_watch_actor(
      i.sys, {database, store, s.ingest, s.log, events, i.cfg.directory_watch_delete_on_import,
              i.cfg.directory_watch_rescan, cluster});
  s.scus = actors::spawn_scu_actor(i.sys, {database, s.storage, s.log, events});
  s.scps =
      actors::spawn_scp_actor(i.sys, {database, store, s.ingest, s.log,
                                      i.cfg.ingest_original_contexts, events, counters, cluster});
  actors::box_service_config box_config;
  box_config.database = database;
  box_config.store = store;
  box_config.metadata = s.metadata;
  box_config.ingest = s.ingest;
  box_config.anonymization = s.anonymization;
  box_config.log = s.log;
  box_config.events = events;
  box_config.settings = box_settings_of(i.cfg);
  box_config.cluster = cluster;
  auto box_tokens = box_config.tokens;
  auto api_base_url = box_config.api_base_url;
  s.boxes = actors::spawn_box_actor(i.sys, box_config);
  actors::forwarding_config forwarding;
  forwarding.database = database;
  forwarding.scus = s.scus;
  forwarding.boxes = s.boxes;
  forwarding.metadata = s.metadata;
  forwarding.log = s.log;
  forwarding.events = events;
  forwarding.batch_idle = i.cfg.forwarding_batch_idle;
  forwarding.retry_initial = i.cfg.forwarding_retry_initial;
  forwarding.retry_max = i.cfg.forwarding_retry_max;
  forwarding.cluster = cluster;
  s.forwarding = actors::spawn_forwarding_actor(i.sys, std::move(forwarding));
  s.sources = actors::spawn_source_actor(i.sys, s);
  s.dictionary = actors::spawn_dictionary_actor(i.sys);
  std::size_t spawned = 0;
  s.each_in_stop_order([&](const auto& service, proto::on_stop) { spawned += service ? 1 : 0; });
  if (spawned != proto::services::count) {
    i.shutdown();
    throw std::logic_error("a service of proto::services was not spawned or has no stop order");
  }

  http::services services{s,
                          i.cfg.export_compression_level,
                          sbx::version,
                          [this] { request_stop(std::chrono::seconds{1}); },
                          counters,
                          i.cfg.metrics_token,
                          i.cfg.database_url.empty() ? "SQLite" : "PostgreSQL",
                          std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count(),
                          cluster};
  auto routes = http::make_api_routes(services);
  i.frontend = std::make_unique<http::frontend>(i.sys, routes, s.users, verified,
                                                std::max(1u, i.cfg.actor_threads), counters,
                                                [store] { return store->nearly_full(); });
  http::server_options options;
  options.host = i.cfg.http_host;
  options.port = i.cfg.http_port;
  options.threads = i.cfg.http_threads;
  options.max_body = i.cfg.http_max_body;
  options.read_timeout = i.cfg.http_read_timeout;
  options.write_timeout = i.cfg.http_write_timeout;
  options.idle_timeout = i.cfg.http_idle_timeout;
  options.request_timeout = i.cfg.http_request_timeout;
  options.header_timeout = i.cfg.http_header_timeout;
  options.max_header_bytes = i.cfg.http_max_header_bytes;
  options.max_target_bytes = i.cfg.http_max_target_bytes;
  options.max_connections = i.cfg.http_max_connections;
  options.max_uploads = i.cfg.http_max_uploads;
  options.streams_body = [routes](std::string_view method, std::string_view target) {
    auto m = routes->find(method, target.substr(0, target.find('?')));
    return m.found && m.found->upload;
  };
  options.temp_file = [store] { return store->temp_path().string(); };
  options.refuse = [box_tokens](std::string_view, std::string_view target) {
    return http::refuse_unknown_box_token(*box_tokens, target);
  };
  // The web interface at `/` (docs/ui.md#serving): what no API route claims.
  auto site = std::make_shared<const http::static_site>(
      i.cfg.http_ui_dir.empty() ? std::string(SBX_DEFAULT_UI_DIR) : i.cfg.http_ui_dir);
  std::error_code no_ui;
  if (std::filesystem::is_regular_file(site->root() / "index.html", no_ui))
    spdlog::info("web interface: {}", site->root().string());
  else
    spdlog::info("web interface: not built, no index.html in {} (docs/ui.md)",
                 site->root().string());
  auto handler = [api = i.frontend->handler(), site, routes](http::http_request&& request,
                                                             http::responder respond) {
    if (http::static_site::claims(request.method, request.path())) {
      auto m = routes->find(request.method, request.path());
      if (!m.found && m.allowed.empty()) return respond(site->serve(request));
    }
    api(std::move(request), std::move(respond));
  };
  options.admit = i.frontend->admission();
  i.server = std::make_unique<http::http_server>(options, std::move(handler));
  auto where = i.cfg.http_host + ":" + std::to_string(i.cfg.http_port);
  try {
    i.server->start();
  } catch (const std::exception& e) {
    caf::anon_send(i.services.log, proto::log_atom::value, proto::log_type::error,
                   std::string("System"), "Could not bind to " + where + ", " + e.what());
    i.shutdown();
    throw std::runtime_error("could not bind to " + where + ": " + e.what());
  }
  where = i.cfg.http_host + ":" + std::to_string(i.server->port());
  *api_base_url = i.cfg.api_base_url(i.server->port());  // before any request is served
  caf::anon_send(i.services.log, proto::log_atom::value, proto::log_type::info,
                 std::string("System"), "Slicebox bound to " + where);
}

node::~node() {
  request_stop();
  wait();
}

std::uint16_t node::port() const { return impl_->server->port(); }

void node::request_stop(std::chrono::milliseconds delay) {
  std::lock_guard lock{impl_->mutex};
  auto at = std::chrono::steady_clock::now() + delay;
  if (!impl_->stop_at || at < *impl_->stop_at) impl_->stop_at = at;
  impl_->cv.notify_all();
}

void node::wait() {
  std::unique_lock lock{impl_->mutex};
  while (!impl_->stop_at || std::chrono::steady_clock::now() < *impl_->stop_at) {
    if (impl_->stop_at)
      impl_->cv.wait_until(lock, *impl_->stop_at);
    else
      impl_->cv.wait(lock);
  }
  impl_->shutdown();
}

}  // namespace sbx::app
