// SPDX-License-Identifier: Apache-2.0
#include "support/test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace sbx::test {
namespace {

struct key_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct cert_free {
  void operator()(X509* c) const { X509_free(c); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;
using cert_ptr = std::unique_ptr<X509, cert_free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

key_ptr new_key() {
  key_ptr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "key generation");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `subject_key`, signed by `issuer_key` (self-signed when `issuer` is null).
cert_ptr new_certificate(const char* common_name, long serial, EVP_PKEY* subject_key, X509* issuer,
                         EVP_PKEY* issuer_key, bool authority) {
  cert_ptr cert(X509_new());
  check(cert != nullptr, "certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("slicebox tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (authority) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "signature");
  return cert;
}

template <class Write>
void write_pem(const std::filesystem::path& path, Write write) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "cannot create a PEM file");
  const bool ok = write(f) == 1;
  check(std::fclose(f) == 0 && ok, "cannot write a PEM file");
}

}  // namespace

test_pki make_test_pki(const std::filesystem::path& dir) {
  const auto ca_key = new_key();
  const auto ca = new_certificate("slicebox test CA", 1, ca_key.get(), nullptr, ca_key.get(), true);
  const auto server_key = new_key();
  const auto server =
      new_certificate("127.0.0.1", 2, server_key.get(), ca.get(), ca_key.get(), false);

  test_pki pki{dir / "ca.pem", dir / "server.pem", dir / "server-key.pem"};
  write_pem(pki.ca_certificate, [&](std::FILE* f) { return PEM_write_X509(f, ca.get()); });
  write_pem(pki.server_certificate, [&](std::FILE* f) { return PEM_write_X509(f, server.get()); });
  write_pem(pki.server_key, [&](std::FILE* f) {
    return PEM_write_PrivateKey(f, server_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return pki;
}

}  // namespace sbx::test
