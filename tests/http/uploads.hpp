// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "http/json_view.hpp"
#include "http/running_node.hpp"

// Uploads through `POST /api/images`, the way every HTTP test stores images. None of them uses a
// Catch2 assertion, so background threads may call them too.
namespace sbx::test {

/// `POST /api/images` with `bytes` as the raw body, as `user`:`pass`.
inline client_response upload_as(const running_node& n, const std::string& user,
                                 const std::string& pass, const std::string& bytes) {
  return n.client().request("POST", "/api/images", bytes,
                            {basic_auth(user, pass), {"Content-Type", "application/octet-stream"}});
}

/// `POST /api/images` with `bytes` as the raw body, as the superuser.
inline client_response upload(const running_node& n, const std::string& bytes) {
  return upload_as(n, "admin", "admin", bytes);
}

/// A multipart/form-data upload to `target` as the superuser: a text part first, then `bytes`
/// in part `field` as a file named `filename`.
inline client_response upload_multipart_to(const running_node& n, const std::string& target,
                                           const std::string& bytes,
                                           const std::string& field = "file",
                                           const std::string& filename = "test.dcm") {
  const std::string boundary = "----sbxboundary7MA4YWxkTrZu0gW";
  const std::string body =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" +
      boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" +
      filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n--" +
      boundary + "--\r\n";
  return n.client().request("POST", target, body,
                            {basic_auth("admin", "admin"),
                             {"Content-Type", "multipart/form-data; boundary=" + boundary}});
}

/// `POST /api/images` as multipart/form-data, the file in part `field`.
inline client_response upload_multipart(const running_node& n, const std::string& bytes,
                                        const std::string& field = "file") {
  return upload_multipart_to(n, "/api/images", bytes, field);
}

/// Uploads as the superuser; the stored image's id. Throws unless the node stored it (201 new,
/// 200 already there).
inline std::int64_t upload_id(const running_node& n, const std::string& bytes) {
  auto r = upload(n, bytes);
  if (r.status != 201 && r.status != 200)
    throw std::runtime_error("upload refused (status " + std::to_string(r.status) +
                             "): " + r.body.substr(0, 300));
  return id_of(r);
}

}  // namespace sbx::test
