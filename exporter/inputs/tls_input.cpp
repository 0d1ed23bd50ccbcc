#include "tls_input.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "stream_connection.h"

namespace wgevents {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Certificate and key files are a few KiB; a larger file is not one (and /dev/zero is not read
// forever).
constexpr std::size_t kMaxCredentialFileBytes = 1 << 20;

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Sent by the server with every session it creates; OpenSSL refuses to resume a session of a
// verified client without one.
constexpr std::string_view kSessionIdContext = "wgevents-syslog-tls";

// A whole file, or why it could not be read (strerror text).
struct FileText {
  std::string text;
  std::string error;
};

FileText read_credential_file(const std::string& path) {
  FileText result;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = std::strerror(errno);
    return result;
  }
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.error = std::strerror(errno);
      break;
    }
    if (n == 0) break;
    result.text.append(chunk, static_cast<std::size_t>(n));
    if (result.text.size() > kMaxCredentialFileBytes) {
      result.error = "larger than 1 MiB, not a PEM file";
      break;
    }
  }
  ::close(fd);
  return result;
}

// The reason of OpenSSL's latest error ("no start line", "ee key too small"); empties the queue.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string text = reason != nullptr ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

// True when OpenSSL's latest error is only "no further PEM block": the normal end of a file read
// block by block.
bool only_end_of_pem_blocks() {
  unsigned long code = ERR_peek_last_error();
  return code == 0 || (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE);
}

// The passphrase callback for keys: there is nobody to ask, so an encrypted key fails to load
// instead of OpenSSL prompting on the terminal.
int refuse_passphrase(char*, int, int, void*) { return -1; }

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
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

bool has_pem_block(const std::string& text, std::string_view label) {
  return text.find(std::string("-----BEGIN ").append(label)) != std::string::npos;
}

}  // namespace

// One sender: a TLS handshake within handshake_timeout, then StreamConnection's reading.
class TlsInput::Connection : public StreamConnection<Connection, ssl::stream<tcp::socket>> {
 public:
  Connection(TlsInput& owner, tcp::socket socket, const MessageSource& source)
      : StreamConnection(owner.listener_, owner.sink_, source, owner.idle_timeout_, std::move(socket),
                         *owner.context_),
        handshake_timeout_(owner.handshake_timeout_),
        authenticates_(owner.requires_client_certificate()),
        accepted_at_(Clock::now()) {}

  // In its handshake: gives way first, and one that has not even sent its ClientHello before one
  // that has (a real sender is seldom more than a round trip into its handshake; a squatter
  // that only connects is evicted ahead of it). Past the handshake, a sender with a verified
  // client certificate gives way to nobody; without client certificates, as on plain TCP.
  std::optional<ConnectionEviction> evictable(Clock::time_point now) {
    if (closed()) return std::nullopt;
    if (!handshake_done_) {
      // Bytes waiting count too: under a burst of connections the loop may not have read the
      // hello yet.
      boost::system::error_code ignored;
      const bool spoke = SSL_in_before(stream().native_handle()) == 0 || stream().lowest_layer().available(ignored) > 0;
      return ConnectionEviction{spoke ? 1 : 0, accepted_at_, true};
    }
    if (authenticates_) return std::nullopt;
    return StreamConnection::evictable(now);
  }

  void start() {
    timer().expires_after(handshake_timeout_);
    timer().async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted || self->closed() || self->handshake_done_) return;
      self->refuse();  // the handshake took too long
    });
    stream().async_handshake(ssl::stream_base::server,
                             [self = shared_from_this()](boost::system::error_code ec) {
                               if (ec == asio::error::operation_aborted || self->closed()) return;
                               if (ec) {
                                 self->refuse();  // not TLS, no or an untrusted certificate
                                 return;
                               }
                               self->handshake_done_ = true;
                               // Replaces the handshake deadline (its wait ends aborted).
                               self->start_reading();
                             });
  }

 private:
  void refuse() {
    sink().on_connection_refused(Transport::tls);
    close();
  }

  Clock::duration handshake_timeout_;
  bool authenticates_;  // the handshake verified a client certificate
  Clock::time_point accepted_at_;
  bool handshake_done_ = false;
};

TlsInput::TlsInput(asio::io_context& io, const tcp::endpoint& endpoint, MessageSink& sink,
                   TlsInputSettings settings, std::size_t max_connections, Clock::duration idle_timeout,
                   Clock::duration handshake_timeout)
    : sink_(sink),
      settings_(std::move(settings)),
      idle_timeout_(idle_timeout),
      handshake_timeout_(handshake_timeout),
      context_(std::make_unique<ssl::context>(ssl::context::tls_server)),
      listener_(io, endpoint, Transport::tls, sink, max_connections,
                [this](tcp::socket socket, const MessageSource& source) {
                  return std::make_shared<Connection>(*this, std::move(socket), source);
                }) {}

TlsInput::~TlsInput() = default;

std::optional<TlsCredentialsError> TlsInput::load_credentials() {
  using File = TlsCredentialsError::File;
  const auto fail = [](File file, std::string message) {
    ERR_clear_error();
    return std::optional<TlsCredentialsError>(TlsCredentialsError{file, std::move(message)});
  };
  const auto cannot_read = [&](File file, const std::string& path, const std::string& error) {
    return fail(file, "cannot read " + path + ": " + error);
  };
  const auto cannot_use = [&](File file, const std::string& path, const std::string& why) {
    return fail(file, "cannot use " + path + ": " + why);
  };
  credentials_loaded_ = false;
  SSL_CTX* ctx = context_->native_handle();

  // TLS 1.2 and later only. TLS 1.2 with forward secrecy and an AEAD cipher only (no static RSA
  // key exchange, no CBC), the web port's default policy (web_config.cpp); TLS 1.3's suites are
  // all AEAD.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
  context_->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                        ssl::context::single_dh_use);
  // Nothing is sent after the handshake: no TLS 1.3 session tickets (a syslog connection lives
  // long, so resuming saves nothing). A sender that only writes would leave the tickets unread,
  // its close would then be a reset, and a reset discards the lines the input has not read yet.
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

  // The certificate chain.
  FileText certificate = read_credential_file(settings_.cert_file);
  if (!certificate.error.empty()) return cannot_read(File::certificate, settings_.cert_file, certificate.error);
  if (!has_pem_block(certificate.text, "CERTIFICATE")) {
    return cannot_use(File::certificate, settings_.cert_file, "no PEM certificate in it");
  }
  boost::system::error_code ec;
  context_->use_certificate_chain(asio::buffer(certificate.text), ec);
  if (ec) return cannot_use(File::certificate, settings_.cert_file, openssl_reason());

  // The private key, which must belong to that certificate.
  FileText key = read_credential_file(settings_.key_file);
  if (!key.error.empty()) return cannot_read(File::private_key, settings_.key_file, key.error);
  KeyPtr private_key;
  {
    BioPtr bio = memory_bio(key.text);
    private_key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  }
  const bool encrypted = has_pem_block(key.text, "ENCRYPTED") ||
                         key.text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
  OPENSSL_cleanse(key.text.data(), key.text.size());
  if (!private_key) {
    return cannot_use(File::private_key, settings_.key_file,
                      encrypted ? "the key is encrypted; give it unencrypted, readable only by the exporter"
                                : "no PEM private key in it");
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), private_key.get()) != 1) {
    return cannot_use(File::private_key, settings_.key_file,
                      "not the key of the certificate in " + settings_.cert_file);
  }
  if (SSL_CTX_use_PrivateKey(ctx, private_key.get()) != 1) {
    return cannot_use(File::private_key, settings_.key_file, openssl_reason());
  }

  // The client CA: senders must present a certificate it signed.
  if (!settings_.client_ca_file.empty()) {
    FileText authorities = read_credential_file(settings_.client_ca_file);
    if (!authorities.error.empty()) {
      return cannot_read(File::client_ca, settings_.client_ca_file, authorities.error);
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    BioPtr bio = memory_bio(authorities.text);
    std::size_t count = 0;
    ERR_clear_error();
    while (X509Ptr ca{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
      // The store verifies the chain; the client CA list tells senders which CA to pick a
      // certificate for (both take their own reference).
      if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
        return cannot_use(File::client_ca, settings_.client_ca_file, openssl_reason());
      }
      ++count;
    }
    if (!only_end_of_pem_blocks()) {
      return cannot_use(File::client_ca, settings_.client_ca_file, openssl_reason());
    }
    ERR_clear_error();
    if (count == 0) return cannot_use(File::client_ca, settings_.client_ca_file, "no PEM certificate in it");
    context_->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
                                   static_cast<unsigned int>(kSessionIdContext.size()));
  } else {
    context_->set_verify_mode(ssl::verify_none);
  }
  credentials_loaded_ = true;
  return std::nullopt;
}

boost::system::error_code TlsInput::start() {
  if (!credentials_loaded_) return make_error_code(boost::system::errc::operation_not_permitted);
  return listener_.start();
}

void TlsInput::stop() { listener_.stop(); }

tcp::endpoint TlsInput::local_endpoint() const { return listener_.local_endpoint(); }

std::size_t TlsInput::connection_count() const { return listener_.connection_count(); }

}  // namespace wgevents
