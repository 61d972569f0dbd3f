// SPDX-License-Identifier: Apache-2.0
#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>

namespace sbx::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::optional<std::string> client_response::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return std::nullopt;
}

client_response http_client::request(const std::string& method, const std::string& target,
                                     const std::string& body, const header_list& headers) const {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds(60));
  stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_});
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (method != "GET" && method != "HEAD" && method != "DELETE")
    req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  bhttp::read(stream, buffer, parser);
  auto res = parser.release();
  client_response out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res)
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string http_client::raw(const std::string& bytes) const {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_});
  net::write(stream, net::buffer(bytes));
  std::string out;
  char chunk[4096];
  beast::error_code ec;
  while (true) {
    auto n = stream.read_some(net::buffer(chunk), ec);
    out.append(chunk, n);
    if (ec) break;
  }
  return out;
}

std::pair<std::string, std::string> basic_auth(const std::string& user, const std::string& pass) {
  auto plain = user + ":" + pass;
  std::string encoded(beast::detail::base64::encoded_size(plain.size()), '\0');
  encoded.resize(beast::detail::base64::encode(encoded.data(), plain.data(), plain.size()));
  return {"Authorization", "Basic " + encoded};
}

}  // namespace sbx::test
