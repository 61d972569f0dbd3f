// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace sbx::actors {

/// A salted Argon2id hash of `password` (libsodium's encoded string form).
std::string hash_password(std::string_view password);

/// True if `password` matches a hash made by hash_password.
bool verify_password(std::string_view password, const std::string& hash);

/// 128 random bits from the OS CSPRNG in canonical lowercase UUID (version 4) form.
std::string random_uuid();

/// The lowercase hex MD5 of `text` (session binding to a User-Agent, as the original does).
std::string md5_hex(std::string_view text);

}  // namespace sbx::actors
