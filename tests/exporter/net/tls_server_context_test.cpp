// make_tls_server_context: the one TLS server policy of the web port and the TLS syslog input.
// Certificates come from a throwaway PKI (test_pki.h); what a context accepts over the wire is
// tested by the servers' own tests.
#include <openssl/ssl.h>

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/ssl/context.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "test_pki.h"
#include "wgevents/net/tls_server_context.h"

namespace wgevents {
namespace {

using Part = TlsServerContextError::Part;
using test::read_text;

struct Pki {
  test::TempDir dir;
  test::TestPki pki{dir.path()};
  std::string text(const std::string& name) const { return read_text(pki.file(name)); }
};

const Pki& pki() {
  static const Pki instance;
  return instance;
}

TlsServerSpec server_spec() {
  TlsServerSpec spec;
  spec.certificate_pem = pki().text("server.crt");
  spec.private_key_pem = pki().text("server.key");
  return spec;
}

// The TLS 1.2 suites a context offers, by OpenSSL's names.
std::string tls12_suites(const boost::asio::ssl::context& context) {
  SSL* ssl = SSL_new(const_cast<boost::asio::ssl::context&>(context).native_handle());
  REQUIRE(ssl != nullptr);
  std::string names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string(SSL_CIPHER_get_version(cipher)) == "TLSv1.3") continue;
    if (!names.empty()) names += ':';
    names += SSL_CIPHER_get_name(cipher);
  }
  SSL_free(ssl);
  return names;
}

TEST_CASE("a TLS server context by default: TLS 1.2 and 1.3, ECDHE with AEAD only, tickets on") {
  TlsServerContext built = make_tls_server_context(server_spec());
  REQUIRE_FALSE(built.error);
  REQUIRE(built.context);
  SSL_CTX* native = built.context->native_handle();
  CHECK(SSL_CTX_get_min_proto_version(native) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(native) == TLS1_3_VERSION);
  CHECK(tls12_suites(*built.context) == kDefaultTls12Ciphers);
  CHECK((SSL_CTX_get_options(native) & SSL_OP_NO_COMPRESSION) != 0);
  CHECK((SSL_CTX_get_options(native) & SSL_OP_NO_RENEGOTIATION) != 0);
  CHECK((SSL_CTX_get_options(native) & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0);
  CHECK((SSL_CTX_get_options(native) & SSL_OP_NO_TICKET) == 0);
  CHECK(SSL_CTX_get_verify_mode(native) == SSL_VERIFY_NONE);
}

TEST_CASE("a TLS server context without session tickets sends none") {
  TlsServerSpec spec = server_spec();
  spec.session_tickets = false;
  TlsServerContext built = make_tls_server_context(std::move(spec));
  REQUIRE(built.context);
  CHECK(SSL_CTX_get_num_tickets(built.context->native_handle()) == 0);
  CHECK((SSL_CTX_get_options(built.context->native_handle()) & SSL_OP_NO_TICKET) != 0);
}

TEST_CASE("a TLS server context asks for client certificates as its policy says") {
  struct Row {
    ClientCertificates policy;
    int verify_mode;
  };
  const Row rows[] = {
      {ClientCertificates::request, SSL_VERIFY_PEER},
      {ClientCertificates::require_any, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT},
      {ClientCertificates::verify_if_given, SSL_VERIFY_PEER},
      {ClientCertificates::require_and_verify, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT},
  };
  for (const Row& row : rows) {
    INFO("policy " << static_cast<int>(row.policy));
    TlsServerSpec spec = server_spec();
    spec.client_certificates = row.policy;
    spec.client_ca_pem = pki().text("ca.crt");
    TlsServerContext built = make_tls_server_context(std::move(spec));
    REQUIRE(built.context);
    CHECK(SSL_CTX_get_verify_mode(built.context->native_handle()) == row.verify_mode);
    // The client CA is named in the CertificateRequest.
    CHECK(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(built.context->native_handle())) == 1);
  }
}

TEST_CASE("a TLS server context names the part that is wrong") {
  const test::TempDir scratch;
  const std::string encrypted_path = (scratch.path() / "encrypted.key").string();
  const std::string encrypt = "openssl pkey -in '" + pki().pki.file("server.key").string() +
                              "' -aes256 -passout pass:secret -out '" + encrypted_path + "' 2>/dev/null";
  REQUIRE(std::system(encrypt.c_str()) == 0);
  const std::string encrypted = read_text(encrypted_path);

  struct Row {
    const char* name;
    void (*change)(TlsServerSpec&, const std::string& encrypted);
    Part part;
    std::string reason;
  };
  const Row rows[] = {
      {"certificate not PEM", [](TlsServerSpec& s, const std::string&) { s.certificate_pem = "hello"; },
       Part::certificate, "no PEM certificate in it"},
      {"key in place of the certificate",
       [](TlsServerSpec& s, const std::string&) { s.certificate_pem = pki().text("server.key"); },
       Part::certificate, "no PEM certificate in it"},
      {"key not PEM", [](TlsServerSpec& s, const std::string&) { s.private_key_pem = "hello"; },
       Part::private_key, "no PEM private key in it"},
      {"key of another certificate",
       [](TlsServerSpec& s, const std::string&) { s.private_key_pem = pki().text("client.key"); },
       Part::private_key, "the key does not match the certificate"},
      {"encrypted key", [](TlsServerSpec& s, const std::string& e) { s.private_key_pem = e; },
       Part::private_key, "the key is encrypted; give it unencrypted, readable only by the exporter"},
      {"client CA not PEM",
       [](TlsServerSpec& s, const std::string&) {
         s.client_certificates = ClientCertificates::require_and_verify;
         s.client_ca_pem = pki().text("server.key");
       },
       Part::client_ca, "no PEM certificate in it"},
      {"verifying without a client CA",
       [](TlsServerSpec& s, const std::string&) { s.client_certificates = ClientCertificates::verify_if_given; },
       Part::policy, "verifying client certificates needs a client CA"},
      {"a client CA with no certificates asked for",
       [](TlsServerSpec& s, const std::string&) { s.client_ca_pem = pki().text("ca.crt"); }, Part::policy,
       "a client CA without a policy that asks for client certificates"},
      {"min version above max",
       [](TlsServerSpec& s, const std::string&) {
         s.min_version = TlsVersion::tls1_3;
         s.max_version = TlsVersion::tls1_2;
       },
       Part::policy, "the minimum TLS version is above the maximum"},
      {"a cipher OpenSSL does not know",
       [](TlsServerSpec& s, const std::string&) { s.tls12_ciphers = "NO-SUCH-CIPHER"; }, Part::policy,
       "OpenSSL refused the cipher list NO-SUCH-CIPHER"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    TlsServerSpec spec = server_spec();
    row.change(spec, encrypted);
    TlsServerContext built = make_tls_server_context(std::move(spec));
    CHECK_FALSE(built.context);
    REQUIRE(built.error);
    CHECK(built.error->part == row.part);
    CHECK(built.error->reason == row.reason);
  }
}

}  // namespace
}  // namespace wgevents
