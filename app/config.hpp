// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sbx::app {

/// Everything the node can be configured with. Defaults run a working node: SQLite and images
/// under ./data, port 5000, superuser admin/admin. deploy/slicebox.example.toml documents each
/// key; every key `a.b` can be overridden by the environment variable `SBX_A_B`.
struct config {
  std::filesystem::path data_dir = "data";  ///< data_dir
  std::string log_level = "info";           ///< log_level: trace|debug|info|warn|error|off

  std::string http_host = "0.0.0.0";                ///< http.host
  std::uint16_t http_port = 5000;                   ///< http.port (0 = any free port)
  unsigned http_threads = 2;                        ///< http.threads
  std::uint64_t http_max_body = 64u << 20;          ///< http.max_body_bytes (uploads are exempt)
  std::chrono::seconds http_read_timeout{60};       ///< http.read_timeout_seconds
  std::chrono::seconds http_write_timeout{60};      ///< http.write_timeout_seconds
  std::chrono::seconds http_idle_timeout{30};       ///< http.idle_timeout_seconds (keep-alive)
  std::chrono::seconds http_request_timeout{600};   ///< http.request_timeout_seconds
  std::chrono::seconds http_header_timeout{10};     ///< http.header_timeout_seconds
  std::uint32_t http_max_header_bytes = 64u << 10;  ///< http.max_header_bytes (431)
  std::uint32_t http_max_target_bytes = 8u << 10;   ///< http.max_target_bytes (414)
  std::size_t http_max_connections = 1024;          ///< http.max_connections (503)
  std::size_t http_max_uploads = 64;                ///< http.max_uploads (503)
  /// http.ui_dir: the web interface's folder served at `/`; empty = the `ui/dist` built in the
  /// source tree this binary was built from (docs/ui.md#serving).
  std::string http_ui_dir;

  unsigned actor_threads = 2;  ///< actors.threads (CAF scheduler)

  std::string database_url;  ///< database.url: PostgreSQL connection string; empty = SQLite
  std::filesystem::path sqlite_path;  ///< database.sqlite_path; empty = <data_dir>/slicebox.db

  std::string superuser_name = "admin";           ///< auth.superuser_name
  std::string superuser_password = "admin";       ///< auth.superuser_password
  std::chrono::seconds session_timeout{3600};     ///< auth.session_timeout_seconds
  bool sessions_include_ip_and_useragent = true;  ///< auth.sessions_include_ip_and_useragent

  /// ingest.original_contexts: accept exactly Slicebox 2.1.1's SOP classes and transfer syntaxes
  /// instead of also the compressed syntaxes GDCM decodes and the real DX-for-processing class.
  bool ingest_original_contexts = false;

  /// anonymization.purge_empty_keys: delete the keys of deleted images
  /// (docs/api.md#anonymization-keys).
  bool anonymization_purge_empty_keys = true;
  /// directory_watch.delete_on_import: delete a watched file once it is stored.
  bool directory_watch_delete_on_import = false;
  /// directory_watch.rescan_seconds: how often each watched tree is walked in full (network
  /// shares send no change events).
  std::chrono::seconds directory_watch_rescan{5};
  /// forwarding.batch_idle_ms: a forwarding batch that got no image for this long is sent
  /// (Slicebox: 30 s).
  std::chrono::milliseconds forwarding_batch_idle{30000};
  /// forwarding.retry_initial_ms: how long a batch whose send failed waits before it is tried
  /// again; the wait doubles with every further failure up to forwarding.retry_max_ms.
  std::chrono::milliseconds forwarding_retry_initial{30000};
  std::chrono::milliseconds forwarding_retry_max{600000};
  /// cluster.leader_check_ms: how often a node tries for the leader lock on PostgreSQL, and how
  /// often the leader checks it still holds it (docs/operations.md#running-a-cluster).
  std::chrono::milliseconds cluster_leader_check{2000};
  /// export.lifetime_seconds: how long an export set can be downloaded (Slicebox: 6 hours).
  std::chrono::seconds export_lifetime{6 * 3600};
  /// export.compression_level: deflate level of export ZIPs, 0 (stored) to 9. Stored by default:
  /// deflate runs at ~100 MB/s a core, a tenth of what the disk and the network deliver.
  int export_compression_level = 0;

  /// storage.backend: where the image files are kept, "filesystem" (under data_dir) or "s3"
  /// (docs/operations.md#images-in-s3).
  std::string storage_backend = "filesystem";
  std::string storage_s3_endpoint;  ///< storage.s3.endpoint; empty = AWS for the region
  std::string storage_s3_bucket;    ///< storage.s3.bucket
  std::string storage_s3_prefix;    ///< storage.s3.prefix: objects are <prefix>/<key>
  std::string storage_s3_region;    ///< storage.s3.region; empty = AWS_REGION or us-east-1
  /// storage.s3.access_key_id, storage.s3.secret_access_key; empty = AWS_ACCESS_KEY_ID,
  /// AWS_SECRET_ACCESS_KEY
  std::string storage_s3_access_key_id;
  std::string storage_s3_secret_access_key;
  bool storage_s3_path_style = false;              ///< storage.s3.path_style; false = virtual-host
  std::uint64_t storage_cache_bytes = 1ull << 30;  ///< storage.cache_bytes (S3's local cache)

  /// metrics.token: if set, GET /metrics answers only requests carrying `Authorization: Bearer
  /// <token>`; empty (the default): the metrics are public.
  std::string metrics_token;

  /// box.public_url: where remote boxes reach this node (scheme, host, port), e.g.
  /// "https://sbx.example.org" behind a proxy; a POLL box's baseUrl is this + "/api/transactions/
  /// {token}". Empty: http://<http.host>:<bound port>.
  std::string box_public_url;
  std::chrono::milliseconds box_interval{15000};       ///< box.interval_ms
  std::int64_t box_batch_size = 200;                   ///< box.batch_size
  unsigned box_parallelism = 8;                        ///< box.parallelism
  std::chrono::milliseconds box_housekeeping{7000};    ///< box.housekeeping_ms
  std::chrono::milliseconds box_offline_after{15000};  ///< box.offline_after_ms
  std::chrono::seconds box_request_timeout{600};       ///< box.request_timeout_seconds
  std::chrono::seconds box_connect_timeout{20};        ///< box.connect_timeout_seconds
  std::chrono::seconds box_stall_timeout{30};          ///< box.stall_timeout_seconds
  std::int64_t box_max_attempts = 10;                  ///< box.max_attempts
  std::chrono::seconds box_max_backoff{3600};          ///< box.max_backoff_seconds
  int box_compression_level = 1;                       ///< box.compression_level (zlib, 0-9)
  std::string box_ca_file;                             ///< box.ca_file
  std::string box_proxy;                               ///< box.proxy

  /// The API's base URL as remote boxes see it (`box.public_url` + "/api").
  std::string api_base_url(std::uint16_t bound_port) const {
    auto base = box_public_url.empty() ? "http://" + http_host + ":" + std::to_string(bound_port)
                                       : box_public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/api";
  }

  /// The SQLite file actually used.
  std::filesystem::path effective_sqlite_path() const {
    return sqlite_path.empty() ? data_dir / "slicebox.db" : sqlite_path;
  }
};

/// A configuration that cannot be used (bad file, bad value, bad flag); the message says which.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads a TOML document into `c` (keys absent keep their value). Unknown keys and wrong types
/// throw config_error.
void apply_toml(config& c, const std::string& toml_text, const std::string& origin);

/// Applies every `SBX_*` variable found in `env` (as `NAME=value` strings) to `c`.
void apply_environment(config& c, const std::vector<std::string>& env);

/// What the command line asked for.
struct command_line {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::uint16_t> port;
  std::optional<std::filesystem::path> data_dir;
  bool help = false;
  bool version = false;
};

/// Parses `--config FILE`, `--port N`, `--data-dir DIR`, `--help`, `--version` (also as
/// `--flag=value`); anything else throws config_error.
command_line parse_command_line(int argc, const char* const* argv);

/// The whole chain: defaults, then the config file, then the environment, then the flags.
config load_config(const command_line& cl, const std::vector<std::string>& env);

/// The text printed by --help.
std::string usage_text();

}  // namespace sbx::app
