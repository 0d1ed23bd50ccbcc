#include "wgevents/net/tls_server_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/ssl/context.hpp>
#include <string_view>

namespace wgevents {

namespace ssl = boost::asio::ssl;

TlsServerContext::TlsServerContext() = default;
TlsServerContext::TlsServerContext(TlsServerContext&&) noexcept = default;
TlsServerContext& TlsServerContext::operator=(TlsServerContext&&) noexcept = default;
TlsServerContext::~TlsServerContext() = default;

namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

BioPtr memory_bio(const std::string& text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw std::bad_alloc();
  return bio;
}

bool has_pem_block(const std::string& text, std::string_view label) {
  return text.find(std::string("-----BEGIN ").append(label)) != std::string::npos;
}

// The reason of OpenSSL's latest error ("no start line", "ee key too small"); empties the queue.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string text = reason != nullptr ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

// True when OpenSSL's latest error is only "no further PEM block": the normal end of a text read
// block by block.
bool only_end_of_pem_blocks() {
  const unsigned long code = ERR_peek_last_error();
  return code == 0 || (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE);
}

// The passphrase callback for keys: there is nobody to ask, so an encrypted key fails to load
// instead of OpenSSL prompting on a terminal.
int refuse_passphrase(char*, int, int, void*) { return -1; }

int openssl_version(TlsVersion version) {
  switch (version) {
    case TlsVersion::tls1_0: return TLS1_VERSION;
    case TlsVersion::tls1_1: return TLS1_1_VERSION;
    case TlsVersion::tls1_2: return TLS1_2_VERSION;
    case TlsVersion::tls1_3: return TLS1_3_VERSION;
  }
  return TLS1_3_VERSION;
}

// With client verification on, OpenSSL refuses to resume a session whose context is unnamed.
constexpr unsigned char kSessionIdContext[] = "wireguard_events_exporter";

struct Failure {
  TlsServerContextError error;
};

[[noreturn]] void fail(TlsServerContextError::Part part, std::string reason) {
  ERR_clear_error();
  throw Failure{{part, std::move(reason)}};
}

void apply_policy(SSL_CTX* native, const TlsServerSpec& spec) {
  using Part = TlsServerContextError::Part;
  if (spec.min_version > spec.max_version) fail(Part::policy, "the minimum TLS version is above the maximum");
  SSL_CTX_set_min_proto_version(native, openssl_version(spec.min_version));
  SSL_CTX_set_max_proto_version(native, openssl_version(spec.max_version));
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (spec.prefer_server_ciphers) SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, spec.tls12_ciphers.c_str()) != 1) {
    fail(Part::policy, "OpenSSL refused the cipher list " + spec.tls12_ciphers);
  }
  if (!spec.groups.empty() && SSL_CTX_set1_groups_list(native, spec.groups.c_str()) != 1) {
    fail(Part::policy, "OpenSSL refused the group list " + spec.groups);
  }
  if (!spec.session_tickets) {
    SSL_CTX_set_num_tickets(native, 0);
    SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  }
  const bool verifies = spec.client_certificates == ClientCertificates::verify_if_given ||
                        spec.client_certificates == ClientCertificates::require_and_verify;
  if (verifies && spec.client_ca_pem.empty()) fail(Part::policy, "verifying client certificates needs a client CA");
  if (!spec.client_ca_pem.empty() && spec.client_certificates == ClientCertificates::none) {
    fail(Part::policy, "a client CA without a policy that asks for client certificates");
  }
}

void load_certificate(ssl::context& context, const std::string& pem) {
  using Part = TlsServerContextError::Part;
  if (!has_pem_block(pem, "CERTIFICATE")) fail(Part::certificate, "no PEM certificate in it");
  boost::system::error_code ec;
  context.use_certificate_chain(boost::asio::buffer(pem), ec);
  if (ec) fail(Part::certificate, "not a usable certificate: " + openssl_reason());
}

void load_private_key(SSL_CTX* native, std::string& pem) {
  using Part = TlsServerContextError::Part;
  KeyPtr key;
  {
    BioPtr bio = memory_bio(pem);
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  }
  const bool encrypted = has_pem_block(pem, "ENCRYPTED") || pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key) {
    fail(Part::private_key, encrypted ? "the key is encrypted; give it unencrypted, readable only by the exporter"
                                      : "no PEM private key in it");
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(native), key.get()) != 1) {
    fail(Part::private_key, "the key does not match the certificate");
  }
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1) fail(Part::private_key, openssl_reason());
}

void load_client_cas(SSL_CTX* native, const std::string& pem) {
  using Part = TlsServerContextError::Part;
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  BioPtr bio = memory_bio(pem);
  std::size_t count = 0;
  ERR_clear_error();
  while (X509Ptr ca{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    // Trusted for verifying clients, and named in the CertificateRequest so that a client with
    // several certificates picks one this CA signed (each takes its own reference).
    if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(native, ca.get()) != 1) {
      fail(Part::client_ca, "cannot use certificate " + std::to_string(count + 1) + ": " + openssl_reason());
    }
    ++count;
  }
  if (!only_end_of_pem_blocks()) fail(Part::client_ca, openssl_reason());
  ERR_clear_error();
  if (count == 0) fail(Part::client_ca, "no PEM certificate in it");
}

void apply_client_certificates(ssl::context& context, ClientCertificates policy) {
  switch (policy) {
    case ClientCertificates::none:
      context.set_verify_mode(ssl::verify_none);
      break;
    case ClientCertificates::request:
    case ClientCertificates::require_any:
      // Asks for a certificate and takes whatever comes, as Go does for these two policies.
      context.set_verify_mode(ssl::verify_peer | (policy == ClientCertificates::require_any
                                                      ? ssl::verify_fail_if_no_peer_cert
                                                      : ssl::verify_mode{}));
      context.set_verify_callback([](bool, ssl::verify_context&) { return true; });
      break;
    case ClientCertificates::verify_if_given:
      context.set_verify_mode(ssl::verify_peer);
      break;
    case ClientCertificates::require_and_verify:
      context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      break;
  }
  SSL_CTX_set_session_id_context(context.native_handle(), kSessionIdContext, sizeof kSessionIdContext - 1);
}

}  // namespace

TlsServerContext make_tls_server_context(TlsServerSpec spec) {
  TlsServerContext result;
  try {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    apply_policy(native, spec);
    load_certificate(*context, spec.certificate_pem);
    load_private_key(native, spec.private_key_pem);
    if (!spec.client_ca_pem.empty()) load_client_cas(native, spec.client_ca_pem);
    apply_client_certificates(*context, spec.client_certificates);
    result.context = std::move(context);
  } catch (Failure& failure) {
    OPENSSL_cleanse(spec.private_key_pem.data(), spec.private_key_pem.size());
    result.error = std::move(failure.error);
  }
  return result;
}

}  // namespace wgevents
