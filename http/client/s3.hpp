// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// A small blocking S3 client over libcurl: one request at a time on the calling thread, signed
// with AWS Signature Version 4 by libcurl itself (CURLOPT_AWS_SIGV4). Each thread keeps one easy
// handle, so consecutive requests of a thread reuse their connection. Nothing of the rest of the
// project crosses this interface (docs/operations.md#images-in-s3).
namespace sbx::http::client {

/// Where the bucket is and how to sign for it.
struct s3_settings {
  /// Scheme, host and port, e.g. "http://127.0.0.1:9000"; empty =
  /// https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  /// true: <endpoint>/<bucket>/<key>; false: virtual-host addressing, <bucket>.<host>/<key>.
  bool path_style = false;
  std::chrono::milliseconds timeout{300000};  ///< one whole request
  std::chrono::milliseconds connect_timeout{10000};
};

/// A request that did not succeed: `status` is the HTTP status, 0 when no response arrived.
class s3_error : public std::runtime_error {
 public:
  s3_error(long status, const std::string& what) : std::runtime_error(what), status(status) {}
  long status;
};

/// One object of a listing.
struct s3_object {
  std::string key;
  std::int64_t size = 0;
  std::int64_t last_modified_ms = 0;  ///< milliseconds since the Unix epoch
};

class s3_download;

class s3_client {
 public:
  explicit s3_client(s3_settings settings);

  /// PUT Object from a file; returns once the server acknowledged it (2xx), throws s3_error.
  void put_file(const std::string& key, const std::filesystem::path& file) const;
  /// GET Object into `out` (created or truncated); false if there is no such object, throws
  /// s3_error for any other failure (`out` is then removed).
  bool get_file(const std::string& key, const std::filesystem::path& out) const;
  /// GET Object read while it arrives, on a thread of its own: returns once S3 has answered, with
  /// nullptr if there is no such object; throws s3_error for any other failure. At most
  /// `max_buffered` bytes wait unread: the transfer pauses until the reader catches up.
  std::unique_ptr<s3_download> open(const std::string& key,
                                    std::size_t max_buffered = 1u << 20) const;
  /// HEAD Object: whether it exists; throws s3_error when that cannot be told.
  bool exists(const std::string& key) const;
  /// DELETE Object (a missing object is no error); throws s3_error.
  void remove(const std::string& key) const;
  /// ListObjectsV2 of every object whose key starts with `prefix`, all pages of `page_size`.
  std::vector<s3_object> list(const std::string& prefix, int page_size = 1000) const;
  /// Whether the bucket is there and ours to use (a ListObjectsV2 of at most one key); throws
  /// s3_error with a message that names the bucket and the endpoint otherwise.
  void check_bucket() const;

  /// The URL of an object (or of the bucket for an empty key), as requests use it.
  std::string url(const std::string& key, const std::string& query = {}) const;

 private:
  s3_settings settings_;
  std::string scheme_;     ///< "http" or "https"
  std::string authority_;  ///< host[:port] of the endpoint
  std::string base_path_;  ///< the endpoint's path, without a trailing '/'
};

/// The body of one GET Object as it arrives (s3_client::open). Destroying it ends the transfer.
class s3_download {
 public:
  struct state;
  explicit s3_download(std::shared_ptr<state> s);
  ~s3_download();
  s3_download(const s3_download&) = delete;
  s3_download& operator=(const s3_download&) = delete;

  /// The next piece of the body, valid until the next call; empty once it is complete. Waits for
  /// it; throws s3_error if the transfer fails midway.
  std::string_view next();
  /// The object's size (Content-Length), if S3 sent one.
  std::optional<std::uint64_t> size() const;

 private:
  std::shared_ptr<state> state_;
};

/// Percent-encodes as SigV4's canonical form wants: everything but A-Z a-z 0-9 - _ . ~ (and '/'
/// when `keep_slash`) becomes %XX with upper-case hex digits.
std::string s3_uri_encode(const std::string& s, bool keep_slash);

}  // namespace sbx::http::client
