// The one place that turns PEM text and a policy into an OpenSSL server context, for the web
// port (--web.config.file's tls_server_config) and the TLS syslog input alike, so both speak the
// same protocol versions and cipher suites by default, load keys the same way (an encrypted key
// fails instead of prompting on a terminal), and verify client certificates the same way.
//
// Reading files stays with the callers: the web configuration may give PEM inline or as paths
// relative to itself, the syslog input reads its flags' files with a size limit. Errors say what
// was wrong with the text; the caller names the file or the key it came from.
//
// Usage:
//   TlsServerSpec spec;
//   spec.certificate_pem = ...; spec.private_key_pem = ...;   // the key text is wiped
//   TlsServerContext built = make_tls_server_context(std::move(spec));
//   if (built.error) { report built.error->reason for built.error->part; }
//   boost::asio::ssl::stream<tcp::socket> stream(socket, *built.context);
//
// Threading: a pure function. The context it returns is shared by the connections of one
// server, on that server's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

// Kept out of this header so that its users need not see OpenSSL.
namespace boost::asio::ssl {
class context;
}

namespace wgevents {

enum class TlsVersion : std::uint8_t { tls1_0, tls1_1, tls1_2, tls1_3 };

// What is asked of a client's certificate, as the exporter toolkit's client_auth_type says.
enum class ClientCertificates : std::uint8_t {
  none,                // NoClientCert: none asked for
  request,             // RequestClientCert: asked for, taken unverified if sent
  require_any,         // RequireAnyClientCert: required, taken unverified
  verify_if_given,     // VerifyClientCertIfGiven: verified against the client CA if sent
  require_and_verify,  // RequireAndVerifyClientCert: required and verified
};

// TLS 1.2's suites when none are configured: what Go's crypto/tls prefers, limited to ECDHE key
// exchange and AEAD ciphers (no static RSA, no CBC, which OpenSSL's own default list carries).
// TLS 1.3's suites are all AEAD and not configurable.
inline constexpr char kDefaultTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct TlsServerSpec {
  std::string certificate_pem;  // the server certificate, then any intermediates
  std::string private_key_pem;  // unencrypted; wiped from memory once loaded
  std::string client_ca_pem;    // the CA(s) client certificates are verified against; may be empty
  ClientCertificates client_certificates = ClientCertificates::none;
  TlsVersion min_version = TlsVersion::tls1_2;
  TlsVersion max_version = TlsVersion::tls1_3;
  std::string tls12_ciphers = kDefaultTls12Ciphers;  // OpenSSL's names, ':'-separated
  std::string groups;                                // OpenSSL's names; empty: OpenSSL's default
  bool prefer_server_ciphers = true;
  // TLS 1.3 session tickets. A server that never writes after the handshake (syslog) turns them
  // off: unread tickets turn a sender's close into a reset, which discards unread lines.
  bool session_tickets = true;
};

struct TlsServerContextError {
  enum class Part : std::uint8_t { policy, certificate, private_key, client_ca };
  Part part;
  std::string reason;  // "no PEM certificate in it", "the key does not match the certificate"
};

struct TlsServerContext {
  std::unique_ptr<boost::asio::ssl::context> context;  // null on error
  std::optional<TlsServerContextError> error;

  TlsServerContext();
  TlsServerContext(TlsServerContext&&) noexcept;
  TlsServerContext& operator=(TlsServerContext&&) noexcept;
  ~TlsServerContext();
};

// Builds the context, or says the first part that is wrong: the policy (a cipher or group list
// OpenSSL refuses, min above max, a verifying policy without a client CA, a client CA without
// a policy that asks for certificates), then the certificate, the key, the client CA.
TlsServerContext make_tls_server_context(TlsServerSpec spec);

}  // namespace wgevents
