// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>

// Certificates made at test time (OpenSSL), for TLS servers the node's clients must trust or
// refuse.
namespace sbx::test {

/// PEM files of a fresh certificate authority and of a server certificate it signed.
struct test_pki {
  std::filesystem::path ca_certificate;
  std::filesystem::path server_certificate;
  std::filesystem::path server_key;
};

/// Makes a CA and a server certificate for 127.0.0.1 and localhost (valid from an hour ago for
/// a day, P-256 keys) and writes them into `dir`.
test_pki make_test_pki(const std::filesystem::path& dir);

}  // namespace sbx::test
