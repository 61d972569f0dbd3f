// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>

namespace gdcm {
class Writer;
}

namespace sbx::dicom {

/// Runs `writer` (its file already set) into a new file at `out`. GDCM asserts, and so aborts the
/// process, when its output stream fails midway (a full disk): here the stream never fails while
/// GDCM writes; the first write error is kept and thrown afterwards as std::system_error (ENOSPC
/// for a full disk, docs/operations.md#full-disk), and `out` is removed.
void write_file_with(gdcm::Writer& writer, const std::filesystem::path& out);

}  // namespace sbx::dicom
