// SPDX-License-Identifier: Apache-2.0
#include "actors/qr_index.hpp"

#include <limits>

#include "persistence/qido_repo.hpp"
#include "persistence/scu_repo.hpp"

namespace sbx::actors {
namespace {

/// At most this many connections are kept idle; more are closed after use.
constexpr std::size_t max_idle = 4;

std::string trimmed(const std::string& s) {
  const auto begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

}  // namespace

template <class F>
auto qr_index::with_connection(F&& f) {
  std::unique_ptr<persistence::database> db;
  {
    std::lock_guard lock{mutex_};
    if (!idle_.empty()) {
      db = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!db) db = persistence::open_database(config_);
  auto result = f(*db);  // a connection that threw is dropped with the exception
  std::lock_guard lock{mutex_};
  if (idle_.size() < max_idle) idle_.push_back(std::move(db));
  return result;
}

std::vector<proto::qido_match> qr_index::search(const proto::qido_query& q) {
  return with_connection(
      [&](persistence::database& db) { return persistence::qido_search(db, q); });
}

std::optional<proto::scu> qr_index::scu_by_ae_title(const std::string& ae_title) {
  const auto wanted = trimmed(ae_title);
  return with_connection([&](persistence::database& db) -> std::optional<proto::scu> {
    persistence::scu_repo repo(db);
    for (auto& s : repo.list(0, std::numeric_limits<std::int64_t>::max()))
      if (trimmed(s.ae_title) == wanted) return std::move(s);
    return std::nullopt;
  });
}

}  // namespace sbx::actors
