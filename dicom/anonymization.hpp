// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/modify.hpp"

namespace sbx::dicom {

/// The building blocks of a de-identification profile (docs/api.md#profiles), in rank order.
enum class confidentiality_option {
  basic_profile,
  clean_pixel_data,
  clean_recognizable_visual_features,
  clean_graphics,
  clean_structured_content,
  clean_descriptors,
  retain_longitudinal_temporal_information,
  retain_longitudinal_temporal_information_modified_dates,
  retain_patient_characteristics,
  retain_device_identity,
  retain_institution_identity,
  retain_uids,
  retain_safe_private,
};

/// What the API shows of an option (GET /api/anonymization/options).
struct option_info {
  std::string_view name;         ///< wire name, e.g. "BASIC_PROFILE"
  std::string_view title;        ///< e.g. "Basic Profile"
  std::string_view description;  ///< joined into DeidentificationMethod
  int rank;                      ///< higher ranks win in action lookup
  bool supported;                ///< as Slicebox 2.1.1 reports it
};

/// The option's name, title, description and rank.
const option_info& info(confidentiality_option o);
/// All 13 options in rank order.
std::span<const confidentiality_option> all_options();
/// The option with this wire name; nullopt for unknown names.
std::optional<confidentiality_option> parse_option(std::string_view name);

/// An action code of the de-identification table (PS3.15 Table E.1-1).
enum class deid_action { x, x_z, x_d, x_z_d, x_z_u, z, d, z_d, c, u, k };

/// What an action does to an element (docs/api.md#profiles).
enum class deid_effect {
  remove,   ///< X, X/Z, X/D, X/Z/D, X/Z/U*: the element (or whole sequence) is dropped
  empty,    ///< Z, D, Z/D, C: zero-length value, element kept
  new_uid,  ///< U: a fresh random UID
  keep,     ///< K
};

deid_effect effect_of(deid_action a);
/// The table spelling of an action ("X/Z/U*", "K", ...).
std::string_view action_code(deid_action a);

/// One column entry of a table row.
struct column_action {
  confidentiality_option option;
  deid_action action;
};

/// One row of the action table (PS3.15 Table E.1-1): matches tag t iff (t & mask) == tag.
struct action_table_row {
  std::uint32_t tag;
  std::uint32_t mask;  ///< 0xFFFFFFFF for exact rows
  std::string_view name;
  int column_count;
  std::array<column_action, 3> columns;

  bool exact() const { return mask == 0xFFFFFFFF; }
  bool matches(std::uint32_t t) const { return (t & mask) == tag; }
  /// The action in the column of option o, if the row has one.
  std::optional<deid_action> action_of(confidentiality_option o) const;
};

/// Appendix A, every row in table order.
std::span<const action_table_row> action_table();
/// Appendix B: GGGG00EE entries matched with mask FFFF00FF (any private block).
std::span<const std::uint32_t> safe_private_tags();
inline constexpr std::uint32_t safe_private_mask = 0xFFFF00FF;

/// The action a profile assigns to a tag (docs/api.md#profiles); nullopt = no action (keep).
std::optional<deid_action> action_for(std::uint32_t tag,
                                      const std::vector<confidentiality_option>& profile);

/// A Part-10 output made of `head` followed by the bytes of `file` from `offset` to its end.
struct output_parts {
  std::string head;
  std::filesystem::path file;
  std::uint64_t offset = 0;
};

/// An image de-identified in memory from one read of its Part-10 file (docs/api.md#anonymization):
/// the key values before and after de-identification are at hand, and the output is written once,
/// with the values the key brings (custom and harmonized, docs/api.md#anonymization-keys) already
/// applied.
class anonymized_image {
 public:
  /// Reads `in` (checked by read_header first: GDCM aborts on some malformed input) and
  /// de-identifies it with `profile` (docs/api.md#profiles). With strip_identity_removed false an
  /// already anonymous input is left unchanged (POST /api/images/{id}/anonymized,
  /// docs/api.md#already-anonymous-data); with true its
  /// PatientIdentityRemoved/DeidentificationMethod are dropped first and it is anonymized again.
  /// Deliberate deviation from 2.1.1 (docs/api.md#deviations-from-slicebox-211):
  /// MediaStorageSOPInstanceUID is set to the output's SOPInstanceUID. Throws invalid_dicom for
  /// unreadable input.
  anonymized_image(const std::filesystem::path& in,
                   const std::vector<confidentiality_option>& profile, bool strip_identity_removed);
  anonymized_image(anonymized_image&&) noexcept;
  anonymized_image& operator=(anonymized_image&&) noexcept;
  ~anonymized_image();

  /// The input had PatientIdentityRemoved YES.
  bool was_anonymous() const;
  /// The input is passed on as it is (anonymous, not stripped): no values, no key
  /// (docs/api.md#already-anonymous-data).
  bool unchanged() const;
  /// root_values of the input, without PatientIdentityRemoved and DeidentificationMethod when
  /// they were stripped (the "real" values of a key).
  const std::map<std::uint32_t, std::string>& real_values() const;
  /// root_values of the de-identified dataset.
  const std::map<std::uint32_t, std::string>& anonymized_values() const;

  /// The output without writing it, when the input's pixel data ends it and no mapping reaches
  /// it: the de-identified dataset with `mappings` applied as modify_file applies them, up to
  /// the pixel data, and where the rest lies in the input (or the whole unchanged input).
  /// nullopt otherwise: then write() it. Call output() or write() once.
  std::optional<output_parts> output(const std::vector<tag_mapping>& mappings = {});

  /// Writes the output: the de-identified dataset with `mappings` applied as modify_file
  /// applies them (or the unchanged input). Pixel data is copied bit-exact. Throws
  /// std::runtime_error when the output cannot be written.
  void write(const std::filesystem::path& out, const std::vector<tag_mapping>& mappings = {});

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// What anonymize_file found.
struct anonymization_result {
  bool was_anonymous = false;  ///< the input had PatientIdentityRemoved YES
};

/// Writes the de-identified form of Part-10 file `in` to `out`: anonymized_image written without
/// mappings (an unchanged input is copied).
anonymization_result anonymize_file(const std::filesystem::path& in,
                                    const std::filesystem::path& out,
                                    const std::vector<confidentiality_option>& profile,
                                    bool strip_identity_removed);

/// A new random UID: "2.25." and a version 4 UUID as a decimal integer (at most 44 characters).
std::string new_uid();

}  // namespace sbx::dicom
