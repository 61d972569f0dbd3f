// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/dicomweb.hpp"

namespace sbx::proto {

/// The file work of DICOMweb (docs/dicomweb.md), on a pool of threads of its own; the index is
/// searched by the metadata service. Files are named by storage key. A key whose file is missing:
/// errc::not_found; a frame that does not exist: errc::bad_request; pixel data the node cannot
/// decode: errc::unsupported.
using dicomweb_actor = caf::typed_actor<
    // The paths of stored files, in the order given (WADO-RS retrieval).
    caf::replies_to<get_atom, file_atom, std::vector<std::string>>::with<std::vector<std::string>>,
    // The datasets as a DICOM JSON array (WADO-RS /metadata).
    caf::replies_to<get_atom, dicomjson_atom, std::vector<std::string>>::with<std::string>,
    // Frames of one file, 1-based (WADO-RS /frames/{list}), and their transfer syntax: compressed
    // frames as stored if the flag is set, else decoded.
    caf::replies_to<get_atom, frames_atom, std::string, std::vector<std::int64_t>,
                    bool>::with<std::vector<std::string>, std::string>,
    // What each received STOW-RS part is (SOP class and instance, study), read from its header;
    // a part that is no readable DICOM gets a problem and its file is removed.
    caf::replies_to<stow_atom, std::vector<std::string>>::with<std::vector<stow_part>>>;

}  // namespace sbx::proto

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<sbx::proto::stow_part>)
