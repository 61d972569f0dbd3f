// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/dicomweb.hpp"
#include "proto/scu.hpp"

namespace sbx::actors {

/// The DICOM index and the SCU records as Query/Retrieve reads them (docs/api.md#queryretrieve).
/// Called on the SCPs' association threads, never on CAF's: each call borrows one of its own
/// connections (opened when none is idle), so that associations do not wait for each other nor
/// for the SCP service. Thread-safe.
class qr_index {
 public:
  explicit qr_index(persistence::database_config config) : config_(std::move(config)) {}

  /// The rows a C-FIND, C-MOVE or C-GET matches.
  std::vector<proto::qido_match> search(const proto::qido_query& q);
  /// The SCU whose AE title is `ae_title` (both trimmed), lowest id first: a C-MOVE destination.
  std::optional<proto::scu> scu_by_ae_title(const std::string& ae_title);

 private:
  /// Runs `f` with a connection of its own.
  template <class F>
  auto with_connection(F&& f);

  persistence::database_config config_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<persistence::database>> idle_;
};

}  // namespace sbx::actors
