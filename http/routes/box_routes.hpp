// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string_view>

#include "actors/box_tokens.hpp"
#include "http/message.hpp"

namespace sbx::http {

/// The answer to a request under `/api/transactions/{token}/` whose token no POLL box has
/// (401), given as soon as its header is read so that no body of an unknown sender is stored;
/// nullopt for every other request.
std::optional<http_response> refuse_unknown_box_token(const actors::box_tokens& tokens,
                                                      std::string_view target);

}  // namespace sbx::http
