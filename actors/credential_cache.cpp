// SPDX-License-Identifier: Apache-2.0
#include "actors/credential_cache.hpp"

#include <sodium.h>

#include <mutex>

namespace sbx::actors {

credential_cache::credential_cache() {
  static const int ok = sodium_init();
  (void)ok;
  // A per-process random key: the digests are worthless outside this process.
  randombytes_buf(key_.data(), key_.size());
}

credential_cache::digest_type credential_cache::digest(const std::string& password) const {
  digest_type out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                     key_.data(), key_.size());
  return out;
}

std::optional<proto::api_user> credential_cache::find(const std::string& name,
                                                      const std::string& password) const {
  auto d = digest(password);
  std::shared_lock lock{mutex_};
  auto it = entries_.find(name);
  if (it == entries_.end() || sodium_memcmp(it->second.digest.data(), d.data(), d.size()) != 0)
    return std::nullopt;
  return it->second.user;
}

void credential_cache::remember(const proto::api_user& user, const std::string& password) {
  auto d = digest(password);
  std::unique_lock lock{mutex_};
  entries_[user.user] = entry{user, d};
}

void credential_cache::forget(const std::string& name) {
  std::unique_lock lock{mutex_};
  entries_.erase(name);
}

void credential_cache::clear() {
  std::unique_lock lock{mutex_};
  entries_.clear();
}

}  // namespace sbx::actors
