// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "proto/atoms.hpp"

namespace sbx::proto {

/// The image files. Missing image or file: errc::not_found.
using storage_actor = caf::typed_actor<
    // The path of an image's file, checked to exist.
    caf::replies_to<file_atom, std::int64_t>::with<std::string>>;

}  // namespace sbx::proto
