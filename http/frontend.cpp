// SPDX-License-Identifier: Apache-2.0
#include "http/frontend.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <filesystem>
#include <set>
#include <vector>

#include "http/exchange.hpp"
#include "proto/json.hpp"

namespace sbx::http {
namespace {
/// A request header waiting for admission (frontend::admission).
struct admission_job {
  exchange_ptr ex;
  std::function<void(admission_verdict)> decide;
};
}  // namespace
}  // namespace sbx::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::http::exchange_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::http::admission_job)

namespace sbx::http {
namespace {

constexpr const char* not_found_text = "The requested resource could not be found.";

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The value of one cookie in a Cookie header.
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(trim(pair.substr(eq + 1)));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

/// The client address a session is bound to (docs/api.md#authentication): the first address of
/// X-Forwarded-For, else the peer, else X-Real-Ip.
std::string client_ip(const http_request& r) {
  if (auto fwd = r.header("x-forwarded-for")) {
    auto first = trim(fwd->substr(0, fwd->find(',')));
    if (!first.empty()) return std::string(first);
  }
  if (!r.peer_ip.empty()) return r.peer_ip;
  if (auto real = r.header("x-real-ip")) return std::string(trim(*real));
  return {};
}

/// Basic credentials from an Authorization header, or nullopt if malformed.
std::optional<proto::credentials> basic_credentials(std::string_view header) {
  auto encoded = trim(header.substr(6));
  std::string decoded(encoded.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        encoded.data(), encoded.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  decoded.resize(length);
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return proto::credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

}  // namespace

struct frontend::impl {
  caf::actor_system& sys;
  std::shared_ptr<const router> routes;
  proto::user_actor users;
  std::shared_ptr<const actors::credential_cache> verified;
  std::vector<caf::actor> bridges;
  std::atomic<std::size_t> next{0};
  std::shared_ptr<actors::metrics> counters;
  std::set<std::string, std::less<>> groups;  ///< the first segments of the /api routes
  std::function<bool()> storage_full;

  impl(caf::actor_system& s, std::shared_ptr<const router> r, proto::user_actor u,
       std::shared_ptr<const actors::credential_cache> v, std::shared_ptr<actors::metrics> c)
      : sys(s),
        routes(std::move(r)),
        users(std::move(u)),
        verified(std::move(v)),
        counters(std::move(c)) {
    for (const auto* route : routes->list()) {
      std::string_view p = route->pattern;
      if (p.substr(0, 5) != "/api/") continue;
      p.remove_prefix(5);
      groups.emplace(p.substr(0, p.find('/')));
    }
  }

  /// The route group a request is counted under (GET /metrics): a bounded set of names.
  std::string group_of(std::string_view path) const {
    if (path.substr(0, 5) == "/api/") {
      auto rest = path.substr(5);
      auto first = rest.substr(0, rest.find('/'));
      if (auto it = groups.find(first); it != groups.end()) return *it;
      return "other";
    }
    if (path.substr(0, 11) == "/dicom-web/") return "dicom-web";
    if (path == "/metrics") return "metrics";
    return "other";
  }

  /// Checks a request as Slicebox orders its rejections (docs/api.md#roles-and-rejections):
  /// outside /api 404; public routes pass; then 401 without valid credentials, 404 or 405 for an
  /// unknown route, 403 for a role too low. `next` gets the route of a request that passes.
  template <class Next>
  void check(caf::event_based_actor* self, const exchange_ptr& ex, Next next) {
    auto path = ex->request.path();
    auto m = routes->find(ex->request.method, path);
    if (path != "/api" && path.substr(0, 5) != "/api/" && path.substr(0, 11) != "/dicom-web/" &&
        path != "/metrics")
      return ex->reply(text_response(404, not_found_text));
    if (m.found && (m.found->who == access::anyone || m.found->who == access::box_token))
      return next(m, ex);
    authenticate(self, ex, [m = std::move(m), next](const exchange_ptr& ex) mutable {
      if (auto refusal = refusal_for(m, ex->user)) return ex->reply(std::move(*refusal));
      next(m, ex);
    });
  }

  /// The answer for an authenticated user whose request cannot go to its route, if any.
  static std::optional<http_response> refusal_for(const router::match& m,
                                                  const proto::api_user& user) {
    if (!m.found) {
      if (m.allowed.empty()) return text_response(404, not_found_text);
      std::string list;
      for (const auto& method : m.allowed) list += (list.empty() ? "" : ", ") + method;
      auto r = text_response(405, "HTTP method not allowed, supported methods: " + list);
      r.headers.emplace_back("Allow", list);
      return r;
    }
    if (m.found->who == access::admin &&
        !proto::satisfies(user.user_role, proto::role::administrator))
      return text_response(403,
                           "The supplied authentication is not authorized to access this resource");
    return std::nullopt;
  }

  void dispatch(caf::event_based_actor* self, const exchange_ptr& ex) {
    check(self, ex, [self](router::match& m, const exchange_ptr& ex) { run(self, m, ex); });
  }

  /// The check of a request's header before its body is read (`ex` holds the header only and
  /// answers with the refusal).
  void admit(caf::event_based_actor* self, const exchange_ptr& ex,
             const std::function<void(admission_verdict)>& decide) {
    check(self, ex, [decide](router::match&, const exchange_ptr& ex) {
      decide({std::nullopt, std::make_shared<const http::admission>(http::admission{ex->user})});
    });
  }

  template <class Next>
  void authenticate(caf::event_based_actor* self, const exchange_ptr& ex, Next next) {
    auto on_user = [ex, next](proto::api_user& u) mutable {
      ex->user = std::move(u);
      next(ex);
    };
    if (ex->request.admitted) {  // authenticated from the header, before the body was read
      auto user = ex->request.admitted->user;
      return on_user(user);
    }
    auto on_error = [ex](caf::error& e) { ex->fail(e); };
    auto authorization = ex->request.header("authorization");
    if (authorization && starts_with_icase(*authorization, "basic ")) {
      auto c = basic_credentials(*authorization);
      if (!c) return ex->reply(text_response(401, "The supplied authentication is invalid"));
      if (auto u = verified->find(c->user, c->password)) return on_user(*u);
      self->request(users, caf::infinite, proto::auth_atom::value, std::move(*c))
          .then(std::move(on_user), on_error);
      return;
    }
    self->request(users, caf::infinite, proto::auth_atom::value, client_identity_of(ex->request))
        .then(std::move(on_user), on_error);
  }

  static void run(caf::event_based_actor* self, router::match& m, const exchange_ptr& ex) {
    ex->params = std::move(m.params);
    try {
      m.found->run(self, ex);
    } catch (const rejection& r) {
      ex->reply(r.response);
    } catch (const proto::json::malformed& e) {
      ex->reply(text_response(400, std::string("The request content was malformed:\n") + e.what()));
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", ex->request.method, ex->request.target, e.what());
      ex->reply(text_response(500, "There was an internal server error."));
    }
  }
};

proto::client_identity client_identity_of(const http_request& r) {
  proto::client_identity id;
  if (auto cookie = r.header("cookie")) id.token = cookie_value(*cookie, "slicebox-session");
  id.ip = client_ip(r);
  if (auto ua = r.header("user-agent")) id.user_agent = std::string(*ua);
  return id;
}

exchange::~exchange() {
  if (request.body_file.empty()) return;
  std::error_code ec;
  std::filesystem::remove(request.body_file, ec);
}

const std::string& exchange::json_body() const {
  if (request.body.empty())
    throw rejection(text_response(400, "Request entity expected but not supplied"));
  auto type = request.header("content-type").value_or("");
  auto media = trim(type.substr(0, type.find(';')));
  if (!starts_with_icase(media, "application/json") || media.size() != 16)
    throw rejection(text_response(415, "The request's Content-Type [" + std::string(type) +
                                           "] is not supported. Expected:\napplication/json"));
  return request.body;
}

frontend::frontend(caf::actor_system& sys, std::shared_ptr<const router> routes,
                   proto::user_actor users,
                   std::shared_ptr<const actors::credential_cache> verified, unsigned bridges,
                   std::shared_ptr<actors::metrics> counters, std::function<bool()> storage_full)
    : impl_(std::make_shared<impl>(sys, std::move(routes), std::move(users), std::move(verified),
                                   std::move(counters))) {
  impl_->storage_full = std::move(storage_full);
  for (unsigned i = 0; i < std::max(1u, bridges); ++i) {
    impl_->bridges.push_back(sys.spawn([state = impl_](caf::event_based_actor* self) {
      return caf::behavior{
          [self, state](exchange_ptr& ex) { state->dispatch(self, ex); },
          [self, state](admission_job& job) { state->admit(self, job.ex, job.decide); },
      };
    }));
  }
}

frontend::~frontend() { stop(); }

request_handler frontend::handler() {
  return [state = impl_](http_request&& request, responder respond) {
    auto ex = std::make_shared<exchange>();
    if (state->counters) {
      respond = [counters = state->counters, group = state->group_of(request.path()),
                 start = std::chrono::steady_clock::now(),
                 respond = std::move(respond)](http_response r) {
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        counters->http_request(group, r.status, took.count());
        respond(std::move(r));
      };
    }
    ex->request = std::move(request);
    ex->respond = [respond = std::move(respond), full = state->storage_full](http_response r) {
      // A write that failed for want of space is the client's to retry later, not a fault.
      if (r.status == 500 && full && full()) r = insufficient_storage_response();
      respond(std::move(r));
    };
    auto i = state->next.fetch_add(1, std::memory_order_relaxed) % state->bridges.size();
    caf::anon_send(state->bridges[i], std::move(ex));
  };
}

admission_handler frontend::admission() {
  return [state = impl_](http_request&& head, std::function<void(admission_verdict)> decide) {
    auto ex = std::make_shared<exchange>();
    ex->request = std::move(head);
    ex->respond = [decide](http_response r) { decide({std::move(r), nullptr}); };
    auto i = state->next.fetch_add(1, std::memory_order_relaxed) % state->bridges.size();
    caf::anon_send(state->bridges[i], admission_job{std::move(ex), std::move(decide)});
  };
}

void frontend::stop() {
  for (auto& b : impl_->bridges) caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

}  // namespace sbx::http
