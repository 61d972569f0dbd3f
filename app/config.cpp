// SPDX-License-Identifier: Apache-2.0
#include "app/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string_view>
#include <type_traits>
#include <variant>

namespace sbx::app {

namespace {

/// A value as read from TOML or from an environment variable, before it is checked.
using raw_value = std::variant<std::string, std::int64_t, bool>;

enum class value_kind { text, integer, boolean };

/// One configuration key. Both the TOML reader and the environment reader work only from this
/// table, so adding a key is one line below plus one entry in deploy/slicebox.example.toml.
struct key_descriptor {
  std::string_view name;  ///< dotted TOML name, e.g. "http.port"
  value_kind kind;
  std::string expected;  ///< for error messages: "an integer 0..65535"
  std::function<bool(const raw_value&)> accepts;
  std::function<void(config&, const raw_value&)> set;
};

/// The largest value a member of type M (an integer or a std::chrono::duration) can take.
template <class M>
constexpr std::int64_t largest_value() {
  if constexpr (std::is_integral_v<M>) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(
        std::numeric_limits<M>::max(), std::numeric_limits<std::int64_t>::max()));
  } else {
    return largest_value<typename M::rep>();
  }
}

/// Integer bounds; no max means "as large as the member can hold".
struct bounds {
  std::int64_t min = 0;
  std::optional<std::int64_t> max;
};

bounds at_least(std::int64_t min) { return {min, std::nullopt}; }
bounds between(std::int64_t min, std::int64_t max) { return {min, max}; }

template <class M>
key_descriptor integer_key(std::string_view name, M config::*member, bounds b) {
  const std::int64_t min = b.min;
  const std::int64_t max = std::min(b.max.value_or(largest_value<M>()), largest_value<M>());
  std::string expected = b.max ? "an integer " + std::to_string(min) + ".." + std::to_string(max)
                               : "an integer >= " + std::to_string(min);
  return {name, value_kind::integer, std::move(expected),
          [min, max](const raw_value& v) {
            const auto i = std::get<std::int64_t>(v);
            return i >= min && i <= max;
          },
          [member](config& c, const raw_value& v) { c.*member = M(std::get<std::int64_t>(v)); }};
}

enum class emptiness { allowed, rejected };

template <class M>
key_descriptor text_key(std::string_view name, M config::*member, emptiness e) {
  const bool allow_empty = e == emptiness::allowed;
  return {name, value_kind::text, allow_empty ? "a string" : "a non-empty string",
          [allow_empty](const raw_value& v) {
            return allow_empty || !std::get<std::string>(v).empty();
          },
          [member](config& c, const raw_value& v) { c.*member = M(std::get<std::string>(v)); }};
}

key_descriptor choice_key(std::string_view name, std::string config::*member,
                          std::initializer_list<std::string_view> choices) {
  std::string listed;
  for (const auto choice : choices) listed += (listed.empty() ? "" : "|") + std::string(choice);
  return {name, value_kind::text, "one of " + listed,
          [allowed = std::vector<std::string_view>(choices)](const raw_value& v) {
            return std::ranges::find(allowed, std::get<std::string>(v)) != allowed.end();
          },
          [member](config& c, const raw_value& v) { c.*member = std::get<std::string>(v); }};
}

key_descriptor flag_key(std::string_view name, bool config::*member) {
  return {name, value_kind::boolean, "a boolean", [](const raw_value&) { return true; },
          [member](config& c, const raw_value& v) { c.*member = std::get<bool>(v); }};
}

const std::vector<key_descriptor>& key_table() {
  static const std::vector<key_descriptor> keys = {
      text_key("data_dir", &config::data_dir, emptiness::rejected),
      choice_key("log_level", &config::log_level,
                 {"trace", "debug", "info", "warn", "error", "off"}),

      text_key("http.host", &config::http_host, emptiness::rejected),
      integer_key("http.port", &config::http_port, between(0, 65535)),
      integer_key("http.threads", &config::http_threads, at_least(1)),
      integer_key("http.max_body_bytes", &config::http_max_body, at_least(1)),
      integer_key("http.read_timeout_seconds", &config::http_read_timeout, at_least(1)),
      integer_key("http.write_timeout_seconds", &config::http_write_timeout, at_least(1)),
      integer_key("http.idle_timeout_seconds", &config::http_idle_timeout, at_least(1)),
      integer_key("http.request_timeout_seconds", &config::http_request_timeout, at_least(1)),
      text_key("http.ui_dir", &config::http_ui_dir, emptiness::allowed),
      integer_key("http.header_timeout_seconds", &config::http_header_timeout, at_least(1)),
      integer_key("http.max_header_bytes", &config::http_max_header_bytes, at_least(1024)),
      integer_key("http.max_target_bytes", &config::http_max_target_bytes, at_least(64)),
      integer_key("http.max_connections", &config::http_max_connections, at_least(1)),
      integer_key("http.max_uploads", &config::http_max_uploads, at_least(1)),

      integer_key("actors.threads", &config::actor_threads, at_least(1)),

      text_key("database.url", &config::database_url, emptiness::allowed),
      text_key("database.sqlite_path", &config::sqlite_path, emptiness::allowed),

      text_key("auth.superuser_name", &config::superuser_name, emptiness::rejected),
      text_key("auth.superuser_password", &config::superuser_password, emptiness::rejected),
      integer_key("auth.session_timeout_seconds", &config::session_timeout, at_least(1)),
      flag_key("auth.sessions_include_ip_and_useragent",
               &config::sessions_include_ip_and_useragent),

      flag_key("ingest.original_contexts", &config::ingest_original_contexts),

      flag_key("anonymization.purge_empty_keys", &config::anonymization_purge_empty_keys),

      flag_key("directory_watch.delete_on_import", &config::directory_watch_delete_on_import),
      integer_key("directory_watch.rescan_seconds", &config::directory_watch_rescan, at_least(1)),

      integer_key("forwarding.batch_idle_ms", &config::forwarding_batch_idle, at_least(1)),
      integer_key("forwarding.retry_initial_ms", &config::forwarding_retry_initial, at_least(1)),
      integer_key("forwarding.retry_max_ms", &config::forwarding_retry_max, at_least(1)),

      integer_key("cluster.leader_check_ms", &config::cluster_leader_check, at_least(10)),

      integer_key("export.lifetime_seconds", &config::export_lifetime, at_least(1)),
      integer_key("export.compression_level", &config::export_compression_level, between(0, 9)),

      choice_key("storage.backend", &config::storage_backend, {"filesystem", "s3"}),
      text_key("storage.s3.endpoint", &config::storage_s3_endpoint, emptiness::allowed),
      text_key("storage.s3.bucket", &config::storage_s3_bucket, emptiness::allowed),
      text_key("storage.s3.prefix", &config::storage_s3_prefix, emptiness::allowed),
      text_key("storage.s3.region", &config::storage_s3_region, emptiness::allowed),
      text_key("storage.s3.access_key_id", &config::storage_s3_access_key_id, emptiness::allowed),
      text_key("storage.s3.secret_access_key", &config::storage_s3_secret_access_key,
               emptiness::allowed),
      flag_key("storage.s3.path_style", &config::storage_s3_path_style),
      integer_key("storage.cache_bytes", &config::storage_cache_bytes, at_least(1)),

      text_key("metrics.token", &config::metrics_token, emptiness::allowed),

      text_key("box.public_url", &config::box_public_url, emptiness::allowed),
      integer_key("box.interval_ms", &config::box_interval, at_least(1)),
      integer_key("box.batch_size", &config::box_batch_size, at_least(1)),
      integer_key("box.parallelism", &config::box_parallelism, between(1, 64)),
      integer_key("box.housekeeping_ms", &config::box_housekeeping, at_least(1)),
      integer_key("box.offline_after_ms", &config::box_offline_after, at_least(1)),
      integer_key("box.request_timeout_seconds", &config::box_request_timeout, at_least(1)),
      integer_key("box.connect_timeout_seconds", &config::box_connect_timeout, at_least(1)),
      integer_key("box.stall_timeout_seconds", &config::box_stall_timeout, at_least(1)),
      integer_key("box.max_attempts", &config::box_max_attempts, at_least(1)),
      integer_key("box.max_backoff_seconds", &config::box_max_backoff, at_least(1)),
      integer_key("box.compression_level", &config::box_compression_level, between(0, 9)),
      text_key("box.ca_file", &config::box_ca_file, emptiness::allowed),
      text_key("box.proxy", &config::box_proxy, emptiness::allowed),
  };
  return keys;
}

const key_descriptor* find_key(std::string_view name) {
  const auto& keys = key_table();
  const auto it = std::ranges::find(keys, name, &key_descriptor::name);
  return it == keys.end() ? nullptr : &*it;
}

/// Whether `prefix` names a table of the key table ("http" for "http.port").
bool is_table_name(std::string_view prefix) {
  return std::ranges::any_of(key_table(), [prefix](const key_descriptor& k) {
    return k.name.size() > prefix.size() && k.name.starts_with(prefix) &&
           k.name[prefix.size()] == '.';
  });
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

/// "http.port" -> "SBX_HTTP_PORT".
std::string env_name(std::string_view key) {
  std::string out = "SBX_" + to_upper(key);
  std::ranges::replace(out, '.', '_');
  return out;
}

/// Checks `v` against `key` and stores it; `where` prefixes the error message.
void assign(config& c, const key_descriptor& key, const raw_value& v, const std::string& where) {
  if (!key.accepts(v)) throw config_error(where + ": expected " + key.expected);
  key.set(c, v);
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  const auto lower = to_lower(text);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

/// The value of a TOML node, if its type is the one the key needs.
std::optional<raw_value> toml_value(const toml::node& node, value_kind kind) {
  switch (kind) {
    case value_kind::text:
      if (const auto* s = node.as_string()) return raw_value{s->get()};
      break;
    case value_kind::integer:
      if (const auto* i = node.as_integer()) return raw_value{i->get()};
      break;
    case value_kind::boolean:
      if (const auto* b = node.as_boolean()) return raw_value{b->get()};
      break;
  }
  return std::nullopt;
}

/// The value of an environment variable, if it parses as the kind the key needs.
std::optional<raw_value> text_value(std::string_view text, value_kind kind) {
  switch (kind) {
    case value_kind::text:
      return raw_value{std::string(text)};
    case value_kind::integer:
      if (const auto i = parse_integer(text)) return raw_value{*i};
      break;
    case value_kind::boolean:
      if (const auto b = parse_bool(text)) return raw_value{*b};
      break;
  }
  return std::nullopt;
}

void apply_table(config& c, const toml::table& table, const std::string& prefix,
                 const std::string& origin) {
  for (auto&& [toml_key, node] : table) {
    const std::string name = prefix + std::string(toml_key.str());
    const std::string where = origin + ":" + std::to_string(node.source().begin.line) + ": " + name;
    if (const auto* key = find_key(name)) {
      const auto v = toml_value(node, key->kind);
      if (!v) throw config_error(where + ": expected " + key->expected);
      assign(c, *key, *v, where);
    } else if (is_table_name(name)) {
      const auto* sub = node.as_table();
      if (sub == nullptr) throw config_error(where + ": expected a table");
      apply_table(c, *sub, name + ".", origin);
    } else {
      throw config_error(where + (node.is_table() ? ": unknown table" : ": unknown key") +
                         " (see deploy/slicebox.example.toml)");
    }
  }
}

/// Variables that start with SBX_ but are not configuration keys, yet may legitimately be in a
/// node's environment: test settings, and the two the benchmark driver exports to the server it
/// starts (tests/bench).
bool is_foreign_variable(std::string_view name) {
  return name.starts_with("SBX_TEST_") || name == "SBX_DATA" || name == "SBX_PORT";
}

}  // namespace

void apply_toml(config& c, const std::string& toml_text, const std::string& origin) {
  toml::table table;
  try {
    table = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw config_error(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                       std::string(e.description()));
  }
  apply_table(c, table, "", origin);
}

void apply_environment(config& c, const std::vector<std::string>& env) {
  for (const auto& entry : env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string_view name(entry.data(), eq);
    if (!name.starts_with("SBX_")) continue;
    const std::string_view text = std::string_view(entry).substr(eq + 1);

    const auto& keys = key_table();
    const auto it = std::ranges::find_if(
        keys, [name](const key_descriptor& k) { return env_name(k.name) == name; });
    if (it == keys.end()) {
      if (is_foreign_variable(name)) continue;
      // A misspelt variable would otherwise leave the default in place without a word.
      throw config_error(std::string(name) +
                         ": unknown configuration variable (key a.b is SBX_A_B; see "
                         "deploy/slicebox.example.toml)");
    }
    const auto v = text_value(text, it->kind);
    if (!v) throw config_error(std::string(name) + ": expected " + it->expected);
    assign(c, *it, *v, std::string(name));
  }
}

command_line parse_command_line(int argc, const char* const* argv) {
  command_line cl;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--")) {
      if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    const auto value = [&]() -> std::string_view {
      if (inline_value) {
        if (inline_value->empty()) throw config_error(std::string(arg) + ": missing value");
        return *inline_value;
      }
      if (i + 1 >= argc) throw config_error(std::string(arg) + ": missing value");
      return argv[++i];
    };
    const auto no_value = [&] {
      if (inline_value) throw config_error(std::string(arg) + ": takes no value");
    };

    if (arg == "--help" || arg == "-h") {
      no_value();
      cl.help = true;
    } else if (arg == "--version") {
      no_value();
      cl.version = true;
    } else if (arg == "--config") {
      cl.config_file = std::filesystem::path(value());
    } else if (arg == "--data-dir") {
      cl.data_dir = std::filesystem::path(value());
    } else if (arg == "--port") {
      // The flag overrides http.port, so it obeys the same rule.
      const auto& key = *find_key("http.port");
      const auto v = text_value(value(), key.kind);
      if (!v || !key.accepts(*v)) throw config_error("--port: expected " + key.expected);
      cl.port = static_cast<std::uint16_t>(std::get<std::int64_t>(*v));
    } else {
      throw config_error(std::string(arg) + ": unknown option (try --help)");
    }
  }
  return cl;
}

config load_config(const command_line& cl, const std::vector<std::string>& env) {
  config c;
  if (cl.config_file) {
    const auto& path = *cl.config_file;
    std::ifstream in(path, std::ios::binary);
    // Opening a directory succeeds on Linux; only the read would fail, and then quietly.
    if (!in || std::filesystem::is_directory(path)) {
      throw config_error(path.string() + ": cannot read the configuration file");
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw config_error(path.string() + ": cannot read the configuration file");
    apply_toml(c, text, path.string());
  }
  apply_environment(c, env);
  if (cl.port) c.http_port = *cl.port;
  if (cl.data_dir) c.data_dir = *cl.data_dir;
  return c;
}

std::string usage_text() {
  return R"(Usage: slicebox [options]

Options:
  --config FILE    read settings from a TOML file (every key: deploy/slicebox.example.toml)
  --port N         HTTP port, 0 = any free port (overrides http.port)
  --data-dir DIR   directory of the SQLite database and the images (overrides data_dir)
  -h, --help       print this text and exit
  --version        print the version and exit

Every key a.b of the file can also be set by the environment variable SBX_A_B, for example
SBX_HTTP_PORT=8080 or SBX_AUTH_SUPERUSER_PASSWORD=secret.
Precedence: flags, then environment, then file, then built-in defaults.
)";
}

}  // namespace sbx::app
