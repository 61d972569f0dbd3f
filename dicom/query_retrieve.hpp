// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "proto/dicomweb.hpp"

// The Query/Retrieve service class (PS3.4 Annex C) over the DICOM index, apart from the network:
// what a C-FIND, C-MOVE or C-GET identifier asks for, as a search of the index (the matching of
// QIDO-RS), and the identifiers a C-FIND answers with (docs/api.md#queryretrieve). No DCMTK type
// appears here.
namespace sbx::dicom {

/// The information models answered.
enum class qr_model : std::uint8_t { patient_root, study_root };

/// DIMSE statuses of the Query/Retrieve services (PS3.4 C.4).
namespace qr_status {
inline constexpr std::uint16_t success = 0x0000;
inline constexpr std::uint16_t pending = 0xFF00;
inline constexpr std::uint16_t cancel = 0xFE00;
inline constexpr std::uint16_t sub_operations_failed = 0xB000;  ///< some sub-operations failed
inline constexpr std::uint16_t unable_to_perform = 0xA702;      ///< every sub-operation failed
inline constexpr std::uint16_t move_destination_unknown = 0xA801;
inline constexpr std::uint16_t identifier_mismatch = 0xA900;  ///< identifier does not match class
inline constexpr std::uint16_t unable_to_process = 0xC000;
}  // namespace qr_status

/// One element of an identifier: its tag, VR and value as text (values separated by `\`,
/// padding removed); sequences are not carried.
struct qr_element {
  std::uint32_t tag = 0;
  std::string vr;
  std::string value;
};

using qr_identifier = std::vector<qr_element>;

/// An identifier the SCP cannot act on: answered with `status` and the reason as Error Comment.
class qr_refusal : public std::runtime_error {
 public:
  qr_refusal(std::uint16_t status, const std::string& why)
      : std::runtime_error(why), status_(status) {}
  std::uint16_t status() const noexcept { return status_; }

 private:
  std::uint16_t status_;
};

/// A C-FIND: the search and the keys each answer carries.
struct qr_find {
  proto::qido_query query;
  std::string level;                 ///< QueryRetrieveLevel as asked (PATIENT ... IMAGE)
  std::vector<qr_element> returned;  ///< the keys asked for, values empty
};

/// The search a C-FIND identifier stands for; throws qr_refusal.
qr_find parse_find(qr_model model, const qr_identifier& identifier);

/// The identifier answering one match of a C-FIND: QueryRetrieveLevel, the keys asked for with
/// the values of the index (empty for those it does not hold), and SpecificCharacterSet
/// ISO_IR 192 when a value is not ASCII.
qr_identifier answer(const qr_find& find, const proto::qido_match& match);

/// The instances a C-MOVE or C-GET identifier names (a search at instance level); the unique key
/// of the retrieve level must be there. Throws qr_refusal.
proto::qido_query parse_retrieve(qr_model model, const qr_identifier& identifier);

}  // namespace sbx::dicom
