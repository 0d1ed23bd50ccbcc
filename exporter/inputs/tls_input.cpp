#include "tls_input.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "stream_connection.h"
#include "wgevents/net/tls_server_context.h"

namespace wgevents {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Certificate and key files are a few KiB; a larger file is not one (and /dev/zero is not read
// forever).
constexpr std::size_t kMaxCredentialFileBytes = 1 << 20;

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
      listener_(io, endpoint, Transport::tls, sink, max_connections,
                [this](tcp::socket socket, const MessageSource& source) {
                  return std::make_shared<Connection>(*this, std::move(socket), source);
                }) {}

TlsInput::~TlsInput() = default;

std::optional<TlsCredentialsError> TlsInput::load_credentials() {
  using File = TlsCredentialsError::File;
  credentials_loaded_ = false;
  TlsServerSpec spec;
  spec.session_tickets = false;  // nothing is sent after the handshake (tls_input.h)
  const auto read = [](File file, const std::string& path, std::string& text) -> std::optional<TlsCredentialsError> {
    FileText content = read_credential_file(path);
    if (!content.error.empty()) return TlsCredentialsError{file, "cannot read " + path + ": " + content.error};
    text = std::move(content.text);
    return std::nullopt;
  };
  if (auto error = read(File::certificate, settings_.cert_file, spec.certificate_pem)) return error;
  if (auto error = read(File::private_key, settings_.key_file, spec.private_key_pem)) return error;
  if (!settings_.client_ca_file.empty()) {
    if (auto error = read(File::client_ca, settings_.client_ca_file, spec.client_ca_pem)) {
      OPENSSL_cleanse(spec.private_key_pem.data(), spec.private_key_pem.size());
      return error;
    }
    spec.client_certificates = ClientCertificates::require_and_verify;
  }
  TlsServerContext built = make_tls_server_context(std::move(spec));
  if (built.error) {
    using Part = TlsServerContextError::Part;
    switch (built.error->part) {
      case Part::policy:  // fixed here: not the user's files
      case Part::certificate:
        return TlsCredentialsError{File::certificate, "cannot use " + settings_.cert_file + ": " + built.error->reason};
      case Part::private_key:
        return TlsCredentialsError{File::private_key, "cannot use " + settings_.key_file + ": " + built.error->reason};
      case Part::client_ca:
        return TlsCredentialsError{File::client_ca,
                                   "cannot use " + settings_.client_ca_file + ": " + built.error->reason};
    }
  }
  context_ = std::move(built.context);
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
