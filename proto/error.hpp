// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <cstdint>
#include <string>

namespace sbx::proto {

/// What went wrong, as a service reports it; http/error_map turns each into a status.
enum class errc : std::uint8_t {
  none = 0,
  bad_request,   ///< the client's input is invalid (message says why)
  not_found,     ///< the thing asked for does not exist
  unauthorized,  ///< no or invalid credentials
  forbidden,     ///< the user's role does not allow it
  bad_gateway,   ///< a remote peer could not be reached
  unavailable,   ///< the node is shutting down or overloaded
  unsupported,   ///< the node cannot do this with this data (e.g. decode its pixels)
  internal,      ///< a fault of the node (I/O, database)
};

/// The name of an error code ("bad_request", ...).
std::string to_string(errc e);

/// An error value with a message for the client.
inline caf::error make_error(errc e, std::string message) {
  return caf::error{static_cast<std::uint8_t>(e), caf::atom("sbx"),
                    caf::make_message(std::move(message))};
}

/// The body of a bare 404 (docs/api.md#errors): what routes answer that complete with the status
/// alone.
inline constexpr const char* bare_not_found_text =
    "The requested resource could not be found but may be available again in the future.";

/// A bare 404 (docs/api.md#errors).
inline caf::error bare_not_found() { return make_error(errc::not_found, bare_not_found_text); }

/// A fault of the node, told to the client without its details (those go to the log).
inline caf::error internal_error() {
  return make_error(errc::internal, "There was an internal server error.");
}

/// The image store (S3) cannot be reached now: the client may try again (503).
inline caf::error store_unavailable_error() {
  return make_error(errc::unavailable, "The image store is unavailable.");
}

/// The atom naming our error category.
inline constexpr caf::atom_value error_category = caf::atom("sbx");

}  // namespace sbx::proto
