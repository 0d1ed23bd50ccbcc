#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace wgevents::test {

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

Key make_key() {
  Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

enum class Role { ca, server, client };

// A certificate for `key`, signed by `issuer_key` (self-signed when `issuer` is null).
Cert make_cert(const std::string& common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
               Role role, long serial) {
  Cert cert(X509_new(), &X509_free);
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "subject");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  switch (role) {
    case Role::ca:
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
      add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Role::server:
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
      add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
      add_extension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
      break;
    case Role::client:
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
      add_extension(cert.get(), signer, NID_ext_key_usage, "clientAuth");
      break;
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

void write_cert(const std::filesystem::path& path, X509* cert) {
  Bio bio(BIO_new_file(path.c_str(), "w"), &BIO_free);
  check(bio != nullptr, "BIO_new_file");
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  Bio bio(BIO_new_file(path.c_str(), "w"), &BIO_free);
  check(bio != nullptr, "BIO_new_file");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wgevents-http-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

TestPki::TestPki(const std::filesystem::path& dir) : dir_(dir) {
  Key ca_key = make_key();
  Cert ca = make_cert("wgevents test CA", ca_key.get(), nullptr, ca_key.get(), Role::ca, 1);
  Key server_key = make_key();
  Cert server = make_cert("localhost", server_key.get(), ca.get(), ca_key.get(), Role::server, 2);
  Key client_key = make_key();
  Cert client = make_cert("prometheus", client_key.get(), ca.get(), ca_key.get(), Role::client, 3);

  Key other_ca_key = make_key();
  Cert other_ca =
      make_cert("untrusted CA", other_ca_key.get(), nullptr, other_ca_key.get(), Role::ca, 4);
  Key other_client_key = make_key();
  Cert other_client = make_cert("intruder", other_client_key.get(), other_ca.get(),
                                other_ca_key.get(), Role::client, 5);
  Key other_server_key = make_key();
  Cert other_server = make_cert("localhost", other_server_key.get(), other_ca.get(),
                                other_ca_key.get(), Role::server, 6);

  write_cert(file("ca.crt"), ca.get());
  write_cert(file("server.crt"), server.get());
  write_key(file("server.key"), server_key.get());
  write_cert(file("client.crt"), client.get());
  write_key(file("client.key"), client_key.get());
  write_cert(file("other_ca.crt"), other_ca.get());
  write_cert(file("other_client.crt"), other_client.get());
  write_key(file("other_client.key"), other_client_key.get());
  write_cert(file("other_server.crt"), other_server.get());
  write_key(file("other_server.key"), other_server_key.get());
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace wgevents::test
