// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace caf {
class event_based_actor;
}

namespace sbx::http {

struct exchange;
using exchange_ptr = std::shared_ptr<exchange>;

/// Runs one route: asks an actor through `self` and answers through the exchange.
using route_handler = std::function<void(caf::event_based_actor* self, const exchange_ptr&)>;

/// Who may call a route. Every route states it when added (no default), and the authorization
/// sweep (docs/api.md#authorization-sweep) checks each kind; a new kind must be added there too.
/// Who may call a route: anyone; a user or an administrator (basic credentials or a session);
/// or a remote box, by the token in the path (`/api/transactions/{token}/...`), which the server
/// checks before it reads the body and the box service checks again.
enum class access { anyone, user, admin, box_token };

/// Typed values captured from a path template.
struct path_params {
  std::vector<std::pair<std::string, std::string>> values;
  /// An `{name}` integer parameter (the router has checked it fits int64).
  std::int64_t id(std::string_view name) const;
  /// A `{name:str}` parameter.
  const std::string& text(std::string_view name) const;
};

/// A route table keyed by method and path template. Templates are `/`-separated literals,
/// `{name}` (unsigned decimal that fits int64) and `{name:str}` (any non-empty segment). Method
/// `*` accepts any method. A path with one trailing slash matches templates ending in a literal.
class router {
 public:
  struct route {
    std::string method;
    std::string pattern;
    access who;
    route_handler run;
    bool upload = false;  ///< the body streams to a file (no size limit)
  };

  /// What a look-up found: a route, or the methods the path supports (405), or nothing (404).
  struct match {
    const route* found = nullptr;
    path_params params;
    std::vector<std::string> allowed;
  };

  /// Adds a route; a malformed template throws std::invalid_argument.
  void add(std::string method, std::string pattern, access who, route_handler run);
  /// Adds a route whose request body streams to a file (`http_request::body_file`).
  void add_upload(std::string method, std::string pattern, access who, route_handler run);
  /// Finds the route for a request path (as received: no decoding, no dot-segment resolution).
  match find(std::string_view method, std::string_view path) const;
  /// Number of routes.
  std::size_t size() const { return routes_.size(); }
  /// Every route, in the order added (read by the authorization sweep).
  std::vector<const route*> list() const;

 private:
  struct segment {
    enum class kind { literal, integer, text } type;
    std::string value;  ///< literal text or parameter name
  };
  struct entry {
    route r;
    std::vector<segment> segments;
  };
  static bool matches(const entry& e, const std::vector<std::string_view>& parts,
                      bool trailing_slash, path_params& params);
  std::vector<entry> routes_;
};

}  // namespace sbx::http
