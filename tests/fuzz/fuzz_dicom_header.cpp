// SPDX-License-Identifier: Apache-2.0
// The header reader and completeness check of ingest (step 2, README "Ingest"): a file that is
// not usable DICOM may only be `invalid_dicom` (400), never a crash or another exception.
#include "dicom/dataset_header.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto contexts = sbx::dicom::extended_contexts(sbx::dicom::context_defaults::node);
  const auto file = sbx::fuzz::file_with(sbx::fuzz::text_of(data, size));
  try {
    auto header = sbx::dicom::read_header(file);
    sbx::dicom::check_context(header, contexts);
  } catch (const sbx::dicom::invalid_dicom&) {
  }
  try {
    sbx::dicom::read_file_meta(file);
  } catch (const sbx::dicom::invalid_dicom&) {
  }
  return 0;
}
