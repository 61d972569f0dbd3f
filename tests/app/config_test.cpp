// SPDX-License-Identifier: Apache-2.0
#include "app/config.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <set>
#include <sstream>

#include "version.hpp"

using namespace sbx::app;
using namespace std::chrono_literals;

namespace {

/// One key with a non-default value, as TOML and as environment text, and how to see it applied.
struct key_case {
  std::string key;
  std::string toml_value;
  std::string env_value;
  std::function<bool(const config&)> applied;
};

const std::vector<key_case>& key_cases() {
  static const std::vector<key_case> cases = {
      {"data_dir", R"("/srv/sbx")", "/srv/sbx",
       [](const config& c) { return c.data_dir == "/srv/sbx"; }},
      {"log_level", R"("debug")", "debug", [](const config& c) { return c.log_level == "debug"; }},
      {"http.host", R"("127.0.0.1")", "127.0.0.1",
       [](const config& c) { return c.http_host == "127.0.0.1"; }},
      {"http.port", "8080", "8080", [](const config& c) { return c.http_port == 8080; }},
      {"http.threads", "7", "7", [](const config& c) { return c.http_threads == 7; }},
      {"http.max_body_bytes", "1024", "1024",
       [](const config& c) { return c.http_max_body == 1024; }},
      {"http.read_timeout_seconds", "11", "11",
       [](const config& c) { return c.http_read_timeout == 11s; }},
      {"http.write_timeout_seconds", "12", "12",
       [](const config& c) { return c.http_write_timeout == 12s; }},
      {"http.idle_timeout_seconds", "13", "13",
       [](const config& c) { return c.http_idle_timeout == 13s; }},
      {"http.request_timeout_seconds", "14", "14",
       [](const config& c) { return c.http_request_timeout == 14s; }},
      {"http.ui_dir", R"("/srv/ui")", "/srv/ui",
       [](const config& c) { return c.http_ui_dir == "/srv/ui"; }},
      {"http.header_timeout_seconds", "15", "15",
       [](const config& c) { return c.http_header_timeout == 15s; }},
      {"http.max_header_bytes", "4096", "4096",
       [](const config& c) { return c.http_max_header_bytes == 4096; }},
      {"http.max_target_bytes", "2048", "2048",
       [](const config& c) { return c.http_max_target_bytes == 2048; }},
      {"http.max_connections", "100", "100",
       [](const config& c) { return c.http_max_connections == 100; }},
      {"http.max_uploads", "9", "9", [](const config& c) { return c.http_max_uploads == 9; }},
      {"actors.threads", "5", "5", [](const config& c) { return c.actor_threads == 5; }},
      {"database.url", R"("host=db dbname=sbx")", "host=db dbname=sbx",
       [](const config& c) { return c.database_url == "host=db dbname=sbx"; }},
      {"database.sqlite_path", R"("/tmp/x.db")", "/tmp/x.db",
       [](const config& c) { return c.sqlite_path == "/tmp/x.db"; }},
      {"auth.superuser_name", R"("root")", "root",
       [](const config& c) { return c.superuser_name == "root"; }},
      {"auth.superuser_password", R"("s3cret")", "s3cret",
       [](const config& c) { return c.superuser_password == "s3cret"; }},
      {"auth.session_timeout_seconds", "60", "60",
       [](const config& c) { return c.session_timeout == 60s; }},
      {"auth.sessions_include_ip_and_useragent", "false", "false",
       [](const config& c) { return !c.sessions_include_ip_and_useragent; }},
      {"ingest.original_contexts", "true", "true",
       [](const config& c) { return c.ingest_original_contexts; }},
      {"anonymization.purge_empty_keys", "false", "false",
       [](const config& c) { return !c.anonymization_purge_empty_keys; }},
      {"directory_watch.delete_on_import", "true", "true",
       [](const config& c) { return c.directory_watch_delete_on_import; }},
      {"directory_watch.rescan_seconds", "2", "2",
       [](const config& c) { return c.directory_watch_rescan == 2s; }},
      {"forwarding.batch_idle_ms", "150", "150",
       [](const config& c) { return c.forwarding_batch_idle == 150ms; }},
      {"forwarding.retry_initial_ms", "100", "100",
       [](const config& c) { return c.forwarding_retry_initial == 100ms; }},
      {"forwarding.retry_max_ms", "400", "400",
       [](const config& c) { return c.forwarding_retry_max == 400ms; }},
      {"cluster.leader_check_ms", "250", "250",
       [](const config& c) { return c.cluster_leader_check == 250ms; }},
      {"export.lifetime_seconds", "90", "90",
       [](const config& c) { return c.export_lifetime == 90s; }},
      {"export.compression_level", "6", "6",
       [](const config& c) { return c.export_compression_level == 6; }},
      {"storage.backend", R"("s3")", "s3",
       [](const config& c) { return c.storage_backend == "s3"; }},
      {"storage.s3.endpoint", R"("http://127.0.0.1:9000")", "http://127.0.0.1:9000",
       [](const config& c) { return c.storage_s3_endpoint == "http://127.0.0.1:9000"; }},
      {"storage.s3.bucket", R"("images")", "images",
       [](const config& c) { return c.storage_s3_bucket == "images"; }},
      {"storage.s3.prefix", R"("site-a")", "site-a",
       [](const config& c) { return c.storage_s3_prefix == "site-a"; }},
      {"storage.s3.region", R"("eu-north-1")", "eu-north-1",
       [](const config& c) { return c.storage_s3_region == "eu-north-1"; }},
      {"storage.s3.access_key_id", R"("AKID")", "AKID",
       [](const config& c) { return c.storage_s3_access_key_id == "AKID"; }},
      {"storage.s3.secret_access_key", R"("secret")", "secret",
       [](const config& c) { return c.storage_s3_secret_access_key == "secret"; }},
      {"storage.s3.path_style", "true", "true",
       [](const config& c) { return c.storage_s3_path_style; }},
      {"storage.cache_bytes", "1048576", "1048576",
       [](const config& c) { return c.storage_cache_bytes == 1048576; }},
      {"metrics.token", R"("s3cret")", "s3cret",
       [](const config& c) { return c.metrics_token == "s3cret"; }},
      {"box.public_url", R"("https://sbx.example.org")", "https://sbx.example.org",
       [](const config& c) { return c.box_public_url == "https://sbx.example.org"; }},
      {"box.interval_ms", "100", "100",
       [](const config& c) { return c.box_interval == std::chrono::milliseconds{100}; }},
      {"box.batch_size", "50", "50", [](const config& c) { return c.box_batch_size == 50; }},
      {"box.parallelism", "2", "2", [](const config& c) { return c.box_parallelism == 2; }},
      {"box.housekeeping_ms", "300", "300",
       [](const config& c) { return c.box_housekeeping == std::chrono::milliseconds{300}; }},
      {"box.offline_after_ms", "900", "900",
       [](const config& c) { return c.box_offline_after == std::chrono::milliseconds{900}; }},
      {"box.request_timeout_seconds", "30", "30",
       [](const config& c) { return c.box_request_timeout == 30s; }},
      {"box.connect_timeout_seconds", "3", "3",
       [](const config& c) { return c.box_connect_timeout == 3s; }},
      {"box.stall_timeout_seconds", "4", "4",
       [](const config& c) { return c.box_stall_timeout == 4s; }},
      {"box.max_attempts", "3", "3", [](const config& c) { return c.box_max_attempts == 3; }},
      {"box.max_backoff_seconds", "60", "60",
       [](const config& c) { return c.box_max_backoff == 60s; }},
      {"box.compression_level", "0", "0",
       [](const config& c) { return c.box_compression_level == 0; }},
      {"box.ca_file", R"("/etc/ca.pem")", "/etc/ca.pem",
       [](const config& c) { return c.box_ca_file == "/etc/ca.pem"; }},
      {"box.proxy", R"("http://proxy:3128")", "http://proxy:3128",
       [](const config& c) { return c.box_proxy == "http://proxy:3128"; }},
  };
  return cases;
}

/// `a.b = v` as a TOML document: "[a]\nb = v".
std::string toml_for(const std::string& key, const std::string& value) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) return key + " = " + value + "\n";
  return "[" + key.substr(0, dot) + "]\n" + key.substr(dot + 1) + " = " + value + "\n";
}

std::string env_for(const std::string& key) {
  std::string name = "SBX_" + key;
  for (auto& ch : name) ch = ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
  return name;
}

config from_toml(const std::string& text) {
  config c;
  apply_toml(c, text, "test.toml");
  return c;
}

config from_env(const std::vector<std::string>& env) {
  config c;
  apply_environment(c, env);
  return c;
}

command_line parse(std::vector<const char*> args) {
  args.insert(args.begin(), "slicebox");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

void check_same(const config& a, const config& b) {
  CHECK(a.data_dir == b.data_dir);
  CHECK(a.log_level == b.log_level);
  CHECK(a.http_host == b.http_host);
  CHECK(a.http_port == b.http_port);
  CHECK(a.http_threads == b.http_threads);
  CHECK(a.http_max_body == b.http_max_body);
  CHECK(a.http_read_timeout == b.http_read_timeout);
  CHECK(a.http_write_timeout == b.http_write_timeout);
  CHECK(a.http_idle_timeout == b.http_idle_timeout);
  CHECK(a.http_request_timeout == b.http_request_timeout);
  CHECK(a.http_ui_dir == b.http_ui_dir);
  CHECK(a.http_header_timeout == b.http_header_timeout);
  CHECK(a.http_max_header_bytes == b.http_max_header_bytes);
  CHECK(a.http_max_target_bytes == b.http_max_target_bytes);
  CHECK(a.http_max_connections == b.http_max_connections);
  CHECK(a.http_max_uploads == b.http_max_uploads);
  CHECK(a.actor_threads == b.actor_threads);
  CHECK(a.database_url == b.database_url);
  CHECK(a.sqlite_path == b.sqlite_path);
  CHECK(a.superuser_name == b.superuser_name);
  CHECK(a.superuser_password == b.superuser_password);
  CHECK(a.session_timeout == b.session_timeout);
  CHECK(a.sessions_include_ip_and_useragent == b.sessions_include_ip_and_useragent);
  CHECK(a.ingest_original_contexts == b.ingest_original_contexts);
  CHECK(a.anonymization_purge_empty_keys == b.anonymization_purge_empty_keys);
  CHECK(a.directory_watch_delete_on_import == b.directory_watch_delete_on_import);
  CHECK(a.directory_watch_rescan == b.directory_watch_rescan);
  CHECK(a.forwarding_batch_idle == b.forwarding_batch_idle);
  CHECK(a.forwarding_retry_initial == b.forwarding_retry_initial);
  CHECK(a.forwarding_retry_max == b.forwarding_retry_max);
  CHECK(a.cluster_leader_check == b.cluster_leader_check);
  CHECK(a.export_lifetime == b.export_lifetime);
  CHECK(a.export_compression_level == b.export_compression_level);
  CHECK(a.metrics_token == b.metrics_token);
  CHECK(a.storage_backend == b.storage_backend);
  CHECK(a.storage_s3_endpoint == b.storage_s3_endpoint);
  CHECK(a.storage_s3_bucket == b.storage_s3_bucket);
  CHECK(a.storage_s3_prefix == b.storage_s3_prefix);
  CHECK(a.storage_s3_region == b.storage_s3_region);
  CHECK(a.storage_s3_access_key_id == b.storage_s3_access_key_id);
  CHECK(a.storage_s3_secret_access_key == b.storage_s3_secret_access_key);
  CHECK(a.storage_s3_path_style == b.storage_s3_path_style);
  CHECK(a.storage_cache_bytes == b.storage_cache_bytes);
}

/// A file under the temp directory, removed again at scope exit.
class temp_file {
 public:
  explicit temp_file(const std::string& content) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("sbx_config_test_" + std::to_string(rd()) + ".toml");
    std::ofstream(path_) << content;
  }
  ~temp_file() { std::filesystem::remove(path_); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

const std::filesystem::path example_file =
    std::filesystem::path(SBX_SOURCE_DIR) / "deploy" / "slicebox.example.toml";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("defaults run a node on port 5000 with SQLite under ./data", "[unit]") {
  const config c;
  CHECK(c.data_dir == "data");
  CHECK(c.log_level == "info");
  CHECK(c.http_host == "0.0.0.0");
  CHECK(c.http_port == 5000);
  CHECK(c.http_threads == 2);
  CHECK(c.http_max_body == 64u << 20);
  CHECK(c.http_read_timeout == 60s);
  CHECK(c.http_write_timeout == 60s);
  CHECK(c.http_idle_timeout == 30s);
  CHECK(c.http_request_timeout == 600s);
  CHECK(c.http_ui_dir.empty());
  CHECK(c.http_header_timeout == 10s);
  CHECK(c.http_max_header_bytes == 64u << 10);
  CHECK(c.http_max_target_bytes == 8u << 10);
  CHECK(c.http_max_connections == 1024);
  CHECK(c.http_max_uploads == 64);
  CHECK(c.actor_threads == 2);
  CHECK(c.database_url.empty());
  CHECK(c.effective_sqlite_path() == std::filesystem::path("data") / "slicebox.db");
  CHECK(c.superuser_name == "admin");
  CHECK(c.superuser_password == "admin");
  CHECK(c.session_timeout == 3600s);
  CHECK(c.sessions_include_ip_and_useragent);
  check_same(load_config(command_line{}, {}), c);
}

TEST_CASE("every key can be set in TOML", "[unit]") {
  for (const auto& k : key_cases()) {
    DYNAMIC_SECTION(k.key) {
      const auto c = from_toml(toml_for(k.key, k.toml_value));
      CHECK(k.applied(c));
      CHECK_FALSE(k.applied(config{}));
    }
  }
}

TEST_CASE("TOML keys left out keep their value", "[unit]") {
  config c;
  c.http_port = 1234;
  apply_toml(c, "[auth]\nsuperuser_name = \"root\"\n", "test.toml");
  CHECK(c.http_port == 1234);
  CHECK(c.superuser_name == "root");
  CHECK(c.superuser_password == "admin");
}

TEST_CASE("TOML dotted keys and inline tables are the same keys", "[unit]") {
  CHECK(from_toml("http.port = 81\n").http_port == 81);
  CHECK(from_toml("http = { port = 82, threads = 3 }\n").http_port == 82);
}

TEST_CASE("the sqlite path defaults under the data dir unless given", "[unit]") {
  CHECK(from_toml("data_dir = \"/d\"\n").effective_sqlite_path() == "/d/slicebox.db");
  CHECK(from_toml("[database]\nsqlite_path = \"/e.db\"\n").effective_sqlite_path() == "/e.db");
}

TEST_CASE("every key can be set by an SBX_ variable", "[unit]") {
  for (const auto& k : key_cases()) {
    DYNAMIC_SECTION(env_for(k.key)) {
      const auto c = from_env({env_for(k.key) + "=" + k.env_value});
      CHECK(k.applied(c));
    }
  }
}

TEST_CASE("environment names follow the documented examples", "[unit]") {
  const auto c =
      from_env({"SBX_HTTP_PORT=81", "SBX_DATABASE_URL=host=x", "SBX_AUTH_SUPERUSER_PASSWORD=pw",
                "SBX_DATA_DIR=/d", "SBX_LOG_LEVEL=warn"});
  CHECK(c.http_port == 81);
  CHECK(c.database_url == "host=x");  // only the first '=' separates name from value
  CHECK(c.superuser_password == "pw");
  CHECK(c.data_dir == "/d");
  CHECK(c.log_level == "warn");
}

TEST_CASE("environment booleans accept the usual spellings", "[unit]") {
  const std::string name = "SBX_AUTH_SESSIONS_INCLUDE_IP_AND_USERAGENT=";
  for (const auto* yes : {"true", "TRUE", "1", "yes", "Yes", "on", "ON"}) {
    config c;
    c.sessions_include_ip_and_useragent = false;
    apply_environment(c, {name + yes});
    CHECK(c.sessions_include_ip_and_useragent);
  }
  for (const auto* no : {"false", "False", "0", "no", "NO", "off", "Off"}) {
    CHECK_FALSE(from_env({name + no}).sessions_include_ip_and_useragent);
  }
}

TEST_CASE("variables outside SBX_ and SBX_TEST_ ones are ignored", "[unit]") {
  const auto c = from_env({"HOME=/root", "HTTP_PORT=1", "SBX_TEST_PG_URL=host=x", "SBX_TEST_",
                           "NOEQUALS", "SBX_DATA=/bench", "SBX_PORT=1"});
  check_same(c, config{});
}

TEST_CASE("precedence is flags over environment over file over defaults", "[unit]") {
  const temp_file file(
      "data_dir = \"/file\"\nlog_level = \"debug\"\n"
      "[http]\nport = 1001\nthreads = 3\nhost = \"10.0.0.1\"\n");
  const std::vector<std::string> env = {"SBX_HTTP_PORT=1002", "SBX_DATA_DIR=/env",
                                        "SBX_HTTP_THREADS=4"};

  command_line cl;
  cl.config_file = file.path();
  SECTION("file over defaults") {
    const auto c = load_config(cl, {});
    CHECK(c.http_port == 1001);
    CHECK(c.data_dir == "/file");
    CHECK(c.log_level == "debug");
    CHECK(c.actor_threads == 2);
  }
  SECTION("environment over file") {
    const auto c = load_config(cl, env);
    CHECK(c.http_port == 1002);
    CHECK(c.data_dir == "/env");
    CHECK(c.http_threads == 4);
    CHECK(c.http_host == "10.0.0.1");
  }
  SECTION("flags over environment") {
    cl.port = 1003;
    cl.data_dir = "/flag";
    const auto c = load_config(cl, env);
    CHECK(c.http_port == 1003);
    CHECK(c.data_dir == "/flag");
    CHECK(c.http_threads == 4);
    CHECK(c.log_level == "debug");
  }
  SECTION("flags from the command line") {
    const auto parsed = parse({"--config", file.path().c_str(), "--port=1004"});
    const auto c = load_config(parsed, env);
    CHECK(c.http_port == 1004);
    CHECK(c.data_dir == "/env");
  }
}

TEST_CASE("TOML errors name the key", "[unit]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(from_toml("[http]\nprot = 1\n"), Contains("http.prot") && Contains("unknown"));
  CHECK_THROWS_WITH(from_toml("colour = \"red\"\n"), Contains("colour"));
  CHECK_THROWS_WITH(from_toml("[tls]\ncert = \"x\"\n"), Contains("tls"));
  CHECK_THROWS_WITH(from_toml("[tls]\n"), Contains("tls"));
  CHECK_THROWS_WITH(from_toml("http = 5\n"), Contains("http: expected a table"));
  CHECK_THROWS_WITH(from_toml("[http]\nport = \"80\"\n"),
                    Contains("http.port: expected an integer 0..65535"));
  CHECK_THROWS_WITH(from_toml("[http]\nport = 80.0\n"), Contains("http.port"));
  CHECK_THROWS_WITH(from_toml("[http]\nport = 65536\n"),
                    Contains("http.port: expected an integer 0..65535"));
  CHECK_THROWS_WITH(from_toml("[http]\nport = -1\n"), Contains("http.port"));
  CHECK_THROWS_WITH(from_toml("[http]\nthreads = 0\n"),
                    Contains("http.threads: expected an integer >= 1"));
  CHECK_THROWS_WITH(from_toml("[http]\nmax_body_bytes = 0\n"), Contains("http.max_body_bytes"));
  CHECK_THROWS_WITH(from_toml("[actors]\nthreads = 0\n"), Contains("actors.threads"));
  CHECK_THROWS_WITH(from_toml("[http]\nidle_timeout_seconds = 0\n"),
                    Contains("http.idle_timeout_seconds"));
  CHECK_THROWS_WITH(from_toml("[auth]\nsuperuser_password = \"\"\n"),
                    Contains("auth.superuser_password: expected a non-empty string"));
  CHECK_THROWS_WITH(from_toml("[auth]\nsessions_include_ip_and_useragent = \"yes\"\n"),
                    Contains("auth.sessions_include_ip_and_useragent: expected a boolean"));
  CHECK_THROWS_WITH(from_toml("log_level = \"verbose\"\n"),
                    Contains("log_level: expected one of trace|debug|info|warn|error|off"));
  CHECK_THROWS_AS(from_toml("[http]\nport = [1]\n"), config_error);
}

TEST_CASE("TOML errors say where", "[unit]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(from_toml("\n\n[http]\nport = 99999\n"), Contains("test.toml:4:"));
  // A syntax error carries the origin and line of the parser's complaint.
  CHECK_THROWS_WITH(from_toml("data_dir = \"x\"\nport = = 3\n"), Contains("test.toml:2:"));
  CHECK_THROWS_AS(from_toml("[http\n"), config_error);
}

TEST_CASE("environment errors name the variable", "[unit]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(from_env({"SBX_HTTP_PROT=80"}),
                    Contains("SBX_HTTP_PROT") && Contains("unknown"));
  CHECK_THROWS_WITH(from_env({"SBX_HTTP_PORT=eighty"}),
                    Contains("SBX_HTTP_PORT: expected an integer 0..65535"));
  CHECK_THROWS_WITH(from_env({"SBX_HTTP_PORT=70000"}), Contains("SBX_HTTP_PORT"));
  CHECK_THROWS_WITH(from_env({"SBX_HTTP_PORT=80 "}), Contains("SBX_HTTP_PORT"));
  CHECK_THROWS_WITH(from_env({"SBX_HTTP_PORT="}), Contains("SBX_HTTP_PORT"));
  CHECK_THROWS_WITH(from_env({"SBX_AUTH_SESSIONS_INCLUDE_IP_AND_USERAGENT=maybe"}),
                    Contains("SBX_AUTH_SESSIONS_INCLUDE_IP_AND_USERAGENT: expected a boolean"));
  CHECK_THROWS_WITH(from_env({"SBX_LOG_LEVEL=loud"}), Contains("SBX_LOG_LEVEL"));
  CHECK_THROWS_WITH(from_env({"SBX_AUTH_SUPERUSER_PASSWORD="}),
                    Contains("SBX_AUTH_SUPERUSER_PASSWORD"));
  CHECK_THROWS_WITH(from_env({"SBX_ACTORS_THREADS=0"}), Contains("SBX_ACTORS_THREADS"));
  // An empty database URL is how SQLite is chosen.
  CHECK(from_env({"SBX_DATABASE_URL="}).database_url.empty());
}

TEST_CASE("a config file that cannot be read is an error", "[unit]") {
  using Catch::Matchers::Contains;
  command_line cl;
  cl.config_file = "/nonexistent/slicebox.toml";
  CHECK_THROWS_WITH(load_config(cl, {}), Contains("/nonexistent/slicebox.toml"));
  cl.config_file = std::filesystem::temp_directory_path();
  CHECK_THROWS_AS(load_config(cl, {}), config_error);
}

TEST_CASE("bad file or environment stops load_config", "[unit]") {
  const temp_file bad("[http]\nport = \"x\"\n");
  command_line cl;
  cl.config_file = bad.path();
  CHECK_THROWS_WITH(load_config(cl, {}), Catch::Matchers::Contains(bad.path().string()));
  CHECK_THROWS_AS(load_config(command_line{}, {"SBX_NOPE=1"}), config_error);
}

TEST_CASE("the example file documents every key and loads to the defaults", "[unit]") {
  const auto text = read_file(example_file);
  check_same(from_toml(text), config{});

  command_line cl;
  cl.config_file = example_file;
  check_same(load_config(cl, {}), config{});

  // Every key appears commented-in, so the file doubles as the reference of all settings.
  std::set<std::string> documented;
  std::istringstream lines(text);
  std::string section;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("[")) {
      section = line.substr(1, line.find(']') - 1) + ".";
    } else if (!line.empty() && std::isalpha(static_cast<unsigned char>(line[0]))) {
      documented.insert(section + line.substr(0, line.find_first_of(" =")));
    }
  }
  for (const auto& k : key_cases()) {
    INFO(k.key);
    CHECK(documented.contains(k.key));
  }
  CHECK(documented.size() == key_cases().size());
}

TEST_CASE("command line flags", "[unit]") {
  SECTION("nothing") {
    const auto cl = parse({});
    CHECK_FALSE(cl.config_file);
    CHECK_FALSE(cl.port);
    CHECK_FALSE(cl.data_dir);
    CHECK_FALSE(cl.help);
    CHECK_FALSE(cl.version);
  }
  SECTION("separate values") {
    const auto cl = parse({"--config", "a.toml", "--port", "81", "--data-dir", "/d"});
    CHECK(cl.config_file == "a.toml");
    CHECK(cl.port == 81);
    CHECK(cl.data_dir == "/d");
  }
  SECTION("attached values") {
    const auto cl = parse({"--config=a.toml", "--port=0", "--data-dir=/d"});
    CHECK(cl.config_file == "a.toml");
    CHECK(cl.port == 0);
    CHECK(cl.data_dir == "/d");
  }
  SECTION("help and version") {
    CHECK(parse({"--help"}).help);
    CHECK(parse({"-h"}).help);
    CHECK(parse({"--version"}).version);
    CHECK_FALSE(parse({"--version"}).help);
  }
}

TEST_CASE("bad command lines are errors", "[unit]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(parse({"--verbose"}), Contains("--verbose"));
  CHECK_THROWS_WITH(parse({"stray"}), Contains("stray"));
  CHECK_THROWS_WITH(parse({"--port"}), Contains("--port"));
  CHECK_THROWS_WITH(parse({"--port", "http"}), Contains("--port"));
  CHECK_THROWS_WITH(parse({"--port=65536"}), Contains("--port"));
  CHECK_THROWS_WITH(parse({"--port=-1"}), Contains("--port"));
  CHECK_THROWS_WITH(parse({"--config"}), Contains("--config"));
  CHECK_THROWS_WITH(parse({"--config="}), Contains("--config"));
  CHECK_THROWS_WITH(parse({"--data-dir"}), Contains("--data-dir"));
  CHECK_THROWS_WITH(parse({"--help=yes"}), Contains("--help"));
  CHECK_THROWS_AS(parse({"-p", "80"}), config_error);
}

TEST_CASE("usage text lists the flags and where the keys are", "[unit]") {
  using Catch::Matchers::Contains;
  const auto text = usage_text();
  for (const auto* flag : {"--config", "--port", "--data-dir", "--help", "-h", "--version"}) {
    CHECK_THAT(text, Contains(flag));
  }
  CHECK_THAT(text, Contains("deploy/slicebox.example.toml"));
  CHECK_THAT(text, Contains("SBX_"));
  CHECK(std::string(sbx::version).size() > 0);
}

TEST_CASE("POLL boxes' base URL follows box.public_url, else the listener", "[unit]") {
  config c;
  c.http_host = "10.0.0.5";
  CHECK(c.api_base_url(5000) == "http://10.0.0.5:5000/api");
  c.box_public_url = "https://sbx.example.org/";
  CHECK(c.api_base_url(5000) == "https://sbx.example.org/api");
}
