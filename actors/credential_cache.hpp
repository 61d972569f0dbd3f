// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "proto/user.hpp"

namespace sbx::actors {

/// Passwords already verified with Argon2, remembered as keyed digests (never in clear), so that
/// HTTP basic authentication costs a hash instead of Argon2 and an actor round trip on every
/// request. The users actor is its only writer: it adds a user after a successful check and
/// forgets one before it is deleted or replaced. Readers (the HTTP front-end) may call from any
/// thread.
class credential_cache {
 public:
  credential_cache();

  /// The user, if `password` is the one verified for `name`.
  std::optional<proto::api_user> find(const std::string& name, const std::string& password) const;
  /// Remembers a verified password (the user must carry no password hash).
  void remember(const proto::api_user& user, const std::string& password);
  /// Forgets a user.
  void forget(const std::string& name);
  /// Forgets everyone.
  void clear();

 private:
  using digest_type = std::array<unsigned char, 32>;
  digest_type digest(const std::string& password) const;

  struct entry {
    proto::api_user user;
    digest_type digest;
  };
  std::array<unsigned char, 32> key_{};
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace sbx::actors
