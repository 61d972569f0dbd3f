// SPDX-License-Identifier: Apache-2.0
#include "http/message.hpp"

namespace sbx::http {

std::string_view http_request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view http_request::query() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<std::string_view> http_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return std::string_view{v};
  return std::nullopt;
}

http_response text_response(int status, std::string body) {
  return {.status = status, .content_type = "text/plain; charset=UTF-8", .body = std::move(body)};
}

http_response insufficient_storage_response() {
  return text_response(507,
                       "Insufficient storage: the node's data folder is full. Nothing was stored; "
                       "please try again once space has been freed.");
}

http_response json_response(int status, std::string body) {
  return {.status = status, .content_type = "application/json", .body = std::move(body)};
}

http_response empty_response(int status) { return {.status = status}; }

http_response file_response(std::string path, std::string content_type) {
  return {.status = 200, .content_type = std::move(content_type), .file = std::move(path)};
}

}  // namespace sbx::http
