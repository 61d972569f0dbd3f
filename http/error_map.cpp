// SPDX-License-Identifier: Apache-2.0
#include "http/error_map.hpp"

#include <spdlog/spdlog.h>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace sbx::http {

int status_of(proto::errc code) {
  using proto::errc;
  switch (code) {
    case errc::none:
      return 200;
    case errc::bad_request:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::bad_gateway:
      return 502;
    case errc::unavailable:
      return 503;
    case errc::unsupported:
      return 501;
    case errc::internal:
      return 500;
  }
  return 500;
}

http_response error_response(const caf::error& e) {
  if (e.category() == proto::error_category) {
    auto code = static_cast<proto::errc>(e.code());
    std::string text;
    if (e.context().match_elements<std::string>()) text = e.context().get_as<std::string>(0);
    if (code == proto::errc::internal || text.empty())
      text = code == proto::errc::internal ? "There was an internal server error."
                                           : "The requested resource could not be found.";
    return text_response(status_of(code), std::move(text));
  }
  if (e == caf::sec::request_timeout)
    return text_response(503,
                         "The server was not able to produce a timely response to your "
                         "request.\nPlease try again in a short while!");
  spdlog::error("request failed: {}", caf::to_string(e));
  return text_response(500, "There was an internal server error.");
}

}  // namespace sbx::http
