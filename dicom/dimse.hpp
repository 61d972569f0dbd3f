// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the DICOM network services (dimse_scp, dimse_scu) share.
namespace sbx::dicom {

/// Process-wide DCMTK settings: TCP_NODELAY in the environment (Debian's DCMTK keeps Nagle's
/// algorithm on otherwise), no reverse DNS lookups, warnings only, SIGPIPE ignored. Done once; the
/// first SCP or SCU does it, but setenv is best called (by the node) before other threads run.
void prepare_dimse_networking();

}  // namespace sbx::dicom
