// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>

#include "dicom/dimse_scu.hpp"

// Shared by dimse_scp and dimse_scu only: C-STORE on an association DCMTK already holds.
struct T_ASC_Association;

namespace sbx::dicom {

/// Sends one file as a C-STORE sub-operation of a C-GET on the association the node accepted,
/// on a context where the requester took the SCP role, exactly as stored when it accepted the
/// file's transfer syntax (converted otherwise, as send_files). A file that cannot be read or has
/// no fitting context fails. `cancelled` is set when the requester sent a C-CANCEL meanwhile.
/// Throws store_error when the association is lost.
store_outcome send_on_association(T_ASC_Association* accepted_association,
                                  const std::filesystem::path& file, std::chrono::seconds timeout,
                                  bool* cancelled);

}  // namespace sbx::dicom
