// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Plain request and response types: the seam between the Beast server and the CAF front-end.
// Neither side's headers leak across it.
namespace sbx::http {

/// What the front end learnt from a request's header before it let the server read the body
/// (who sent it); the server only carries it from the header to the handler.
struct admission;

/// A parsed request with its whole body.
struct http_request {
  std::string method;  ///< upper case, e.g. "GET"
  std::string target;  ///< as received, e.g. "/api/users?count=5"
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
  std::string body;
  std::string body_file;      ///< for streamed uploads: the file holding the body (body is empty)
  std::string body_filename;  ///< multipart uploads: the file name the client gave the part
  std::string body_error;     ///< streamed uploads: why the body could not be used, if it can't
  std::string peer_ip;        ///< TCP peer address
  /// Set when the front end admitted the request from its header (requests with a body).
  std::shared_ptr<const admission> admitted;

  /// The path part of the target (before '?').
  std::string_view path() const;
  /// The raw query part of the target (after '?'; empty if none).
  std::string_view query() const;
  /// The first header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view name) const;
};

/// A response body made while it is sent (e.g. a ZIP written on the fly), pulled piece by piece
/// on the connection's thread.
class body_source {
 public:
  virtual ~body_source() = default;
  /// The next piece of the body, valid until the next call; empty once the body is complete.
  /// Throws when the body cannot be completed: the connection is then closed mid-body, so the
  /// client sees a truncated response rather than one that looks whole.
  virtual std::string_view next() = 0;
};

/// A response to write.
struct http_response {
  int status = 200;
  std::string content_type;  ///< empty for bodiless responses
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string file;  ///< if set, the body is `body` followed by this file's content, from disk
  std::uint64_t file_offset = 0;  ///< where in `file` its part of the body starts
  bool remove_file = false;       ///< the file is temporary: remove it once sent (or not sendable)
  std::shared_ptr<body_source> source;  ///< if set, the body comes from here (length unknown)
};

/// Writes the answer to one request; called exactly once, from any thread.
using responder = std::function<void(http_response)>;

/// A response streaming a file from disk (`application/octet-stream` unless told otherwise).
http_response file_response(std::string path,
                            std::string content_type = "application/octet-stream");

/// What the server hands every request to; it must not block.
using request_handler = std::function<void(http_request&&, responder)>;

/// The front end's decision on a request's header: `refusal`, if set, is the answer, sent without
/// reading any of the body; otherwise `admitted` travels with the request to the handler.
struct admission_verdict {
  std::optional<http_response> refusal;
  std::shared_ptr<const admission> admitted;
};

/// Decides on a request from its header alone (no body yet); `decide` is called exactly once,
/// from any thread. It must not block.
using admission_handler =
    std::function<void(http_request&& head, std::function<void(admission_verdict)> decide)>;

/// A plain-text response (`text/plain; charset=UTF-8`).
http_response text_response(int status, std::string body);
/// 507 Insufficient Storage: the data folder's file system is full (docs/operations.md#full-disk).
http_response insufficient_storage_response();
/// A JSON response.
http_response json_response(int status, std::string body);
/// A response without a body (e.g. 204).
http_response empty_response(int status);

}  // namespace sbx::http
