// The TLS syslog input (RFC 5425): syslog over TLS 1.2 or later, each connection framed
// octet-counted as RFC 5425 says, or newline-terminated as some senders do anyway, detected per
// connection exactly as on plain TCP (syslog_frame_decoder.h).
//
// This is the input for collecting from many hosts across networks one does not trust: the
// lines are encrypted on the way, and with a client CA the exporter takes lines only from
// senders holding a certificate that CA signed (mutual TLS). Without a client CA any TLS client
// may send; then trust comes from --syslog.allowed-sources alone.
//
// Limits, as on plain TCP (tcp_input.h), each counted:
//   - at most max_connections senders at once, counting those still in their handshake; at the
//     cap a new one takes the place of one in its handshake or silent (connection_listener.h),
//     never of one that authenticated with a client certificate; else it is closed at once
//     (on_connection_refused);
//   - a sender whose handshake fails is refused and counted with on_connection_refused as well:
//     no certificate when one is required, a certificate the client CA did not sign, a client
//     that does not speak TLS (plain TCP syslog on the TLS port), no common protocol version;
//   - a handshake not finished within handshake_timeout is refused the same way, so a client
//     that connects and says nothing cannot hold a slot;
//   - a frame over 64 KiB closes the connection (on_malformed_frame);
//   - a connection quiet for idle_timeout is closed; a frame cut off by a close or a timeout is
//     counted with on_malformed_frame.
// The input sends nothing after the handshake (no TLS 1.3 session tickets): a sender that only
// writes, and closes without reading, then closes with a FIN rather than a reset, and a reset
// would make the kernel discard the lines not read yet.
//
// Messages and refusals are counted with Transport::tls, apart from plain TCP: an operator who
// runs both sees which one a sender uses.
//
// Memory per connection: at most SyslogFrameDecoder::kBufferBytes plus about 70 KiB of TLS
// buffers (Asio's engine keeps two 17 KiB record buffers and a BIO pair of two more); about
// 90 KiB resident for a connected sender of short lines, measured with 400 of them.
//
// The certificate, key and CA files are read once, by load_credentials(); a renewed certificate
// takes effect when the exporter restarts. Files are PEM: the certificate file may hold the
// chain (server certificate first), the key must not be encrypted (there is nobody to ask for a
// passphrase), the client CA file may hold several CA certificates.
//
// Usage:
//   TlsInput tls(io, endpoint, sink, TlsInputSettings{cert, key, client_ca}, 64);
//   if (auto error = tls.load_credentials()) { report error->message; }
//   if (auto ec = tls.start()) { report ec; }   // binds and listens
//   io.run();
//   tls.stop();                                  // closes the acceptor and every connection
//
// Threading: as every input, used only on the one thread that runs the io_context. The object
// must outlive the handlers it started: after stop(), let the io_context run them (they see
// operation_aborted and return) before destroying it, or destroy the io_context first.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connection_listener.h"
#include "input.h"
#include "message.h"

// Kept out of this header so that its users need not see OpenSSL.
namespace boost::asio::ssl {
class context;
}

namespace wgevents {

// The files of the TLS input, as given on the command line.
struct TlsInputSettings {
  std::string cert_file;       // PEM: the server certificate, then any intermediate certificates
  std::string key_file;        // PEM, unencrypted: the private key of that certificate
  std::string client_ca_file;  // PEM: the CA(s) client certificates must chain to; empty: none asked
};

// Why a file of TlsInputSettings could not be used.
struct TlsCredentialsError {
  enum class File : std::uint8_t { certificate, private_key, client_ca };
  File file;
  // One phrase naming the file, for a line that starts with the flag:
  // "cannot read /etc/x.key: Permission denied", "cannot use /etc/x.pem: no PEM certificate in it".
  std::string message;
};

class TlsInput final : public Input {
 public:
  // As on plain TCP (TcpInput::kDefaultIdleTimeout): long enough for a quiet host, short
  // enough to free the slots of vanished senders.
  static constexpr std::chrono::seconds kDefaultIdleTimeout{300};
  // A handshake is two or three round trips: well under a second even over a slow WAN link.
  // Short, so that a client that connects and never finishes it frees its slot soon.
  static constexpr std::chrono::seconds kDefaultHandshakeTimeout{5};

  // Opens and reads nothing; load_credentials() and start() do. max_connections of 0 refuses
  // every sender.
  TlsInput(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
           MessageSink& sink, TlsInputSettings settings, std::size_t max_connections,
           std::chrono::steady_clock::duration idle_timeout = kDefaultIdleTimeout,
           std::chrono::steady_clock::duration handshake_timeout = kDefaultHandshakeTimeout);
  ~TlsInput() override;
  TlsInput(const TlsInput&) = delete;
  TlsInput& operator=(const TlsInput&) = delete;

  // Reads the certificate, key and client CA files and checks that the key belongs to the
  // certificate. Returns the first file that could not be read or used. Call once, before
  // start().
  std::optional<TlsCredentialsError> load_credentials();

  // Opens, binds (with SO_REUSEADDR) and listens, then accepts senders. Returns the failure
  // (address in use, not available) with nothing left open; returns
  // errc::operation_not_permitted when load_credentials() has not succeeded.
  boost::system::error_code start() override;

  // Closes the acceptor and every connection, dropping their partial frames uncounted (the
  // exporter is going away). Idempotent.
  void stop() override;

  // The bound address (the real port when the endpoint asked for port 0). Empty before start().
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Senders connected now, those in their handshake included.
  std::size_t connection_count() const;
  // Whether senders must present a certificate (a client CA was loaded).
  bool requires_client_certificate() const { return !settings_.client_ca_file.empty(); }

 private:
  class Connection;

  MessageSink& sink_;
  TlsInputSettings settings_;
  std::chrono::steady_clock::duration idle_timeout_;
  std::chrono::steady_clock::duration handshake_timeout_;
  // The server's certificate, key and verification rules, shared by every connection.
  std::unique_ptr<boost::asio::ssl::context> context_;
  bool credentials_loaded_ = false;
  ConnectionListener<Connection> listener_;
};

}  // namespace wgevents
