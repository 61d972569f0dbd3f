// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sbx::test {

/// The bytes of a file of tests/fixtures/ (see tests/fixtures/README.md).
std::string fixture(const std::string& name);

/// A copy of a DICOM fixture with some root attributes replaced: tag (group << 16 | element) →
/// value (an empty value keeps the attribute, empty), and the root attributes `removed` left out.
/// The meta header is kept, and the pixel data unless removed.
std::string dicom_variant(const std::string& fixture_name,
                          const std::map<std::uint32_t, std::string>& values,
                          const std::vector<std::uint32_t>& removed = {});

/// Every `*.dcm` file shipped by Debian's python3-pydicom (real samples of many transfer
/// syntaxes), sorted; empty if the package is missing.
std::vector<std::string> pydicom_samples();

/// Tags the tests set.
namespace tags {
inline constexpr std::uint32_t patient_name = 0x00100010;
inline constexpr std::uint32_t patient_id = 0x00100020;
inline constexpr std::uint32_t study_uid = 0x0020000D;
inline constexpr std::uint32_t series_uid = 0x0020000E;
inline constexpr std::uint32_t sop_uid = 0x00080018;
inline constexpr std::uint32_t media_sop_uid = 0x00020003;
inline constexpr std::uint32_t instance_number = 0x00200013;
inline constexpr std::uint32_t modality = 0x00080060;
inline constexpr std::uint32_t pixel_data = 0x7FE00010;
}  // namespace tags

/// A variant of test.dcm placed in a given patient (name and ID) / study / series / instance,
/// the UIDs being the given names (as Slicebox's metadata fixture: stuid1, seuid1, souid1, ...).
std::string f1_in(const std::string& patient, const std::string& study, const std::string& series,
                  const std::string& instance, const std::string& instance_number = "1");

/// As f1_in without pixel data (~3 KB): for tests that need thousands of images.
std::string small_f1_in(const std::string& patient, const std::string& study,
                        const std::string& series, const std::string& instance);

}  // namespace sbx::test
