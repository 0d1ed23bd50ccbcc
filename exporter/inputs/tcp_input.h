// The TCP syslog input (RFC 6587): many senders at once, each connection framed octet-counted
// or newline-terminated, detected per connection (syslog_frame_decoder.h).
//
// TCP is what a sender uses when it must not lose lines, so the limits here protect the
// exporter rather than drop data quietly, and each is counted:
//   - at most max_connections senders at once; a further one is accepted and closed at once
//     (on_connection_refused), so it sees the refusal instead of hanging in the backlog;
//   - a frame over 64 KiB closes its connection (on_malformed_frame): the stream cannot be
//     resynchronised after it;
//   - a connection that sends nothing for idle_timeout is closed, so dead senders (a rebooted
//     host that never sent a FIN) do not hold slots forever;
//   - a connection that closes or times out inside a frame loses that partial frame
//     (on_malformed_frame).
// Memory per connection is bounded by SyslogFrameDecoder::kBufferBytes (64 KiB + one read).
//
// Usage:
//   TcpInput tcp(io, endpoint, sink, 64);
//   if (auto ec = tcp.start()) { report ec; }   // binds and listens
//   io.run();
//   tcp.stop();                                   // closes the acceptor and every connection
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
#include <memory>

#include "connection_listener.h"
#include "input.h"
#include "message.h"

namespace wgevents {

class TcpInput final : public Input {
 public:
  // Long enough for a quiet host (WireGuard logs little when nothing happens, and rsyslog
  // reconnects on its next line), short enough to free the slots of vanished senders.
  static constexpr std::chrono::seconds kDefaultIdleTimeout{300};

  // Opens nothing; start() does. max_connections of 0 refuses every sender.
  TcpInput(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
           MessageSink& sink, std::size_t max_connections,
           std::chrono::steady_clock::duration idle_timeout = kDefaultIdleTimeout);
  ~TcpInput() override;
  TcpInput(const TcpInput&) = delete;
  TcpInput& operator=(const TcpInput&) = delete;

  // Opens, binds (with SO_REUSEADDR, so a restart does not wait out TIME_WAIT) and listens,
  // then accepts senders. Returns the failure (address in use, not available) with nothing
  // left open.
  boost::system::error_code start() override;

  // Closes the acceptor and every connection, dropping their partial frames uncounted (the
  // exporter is going away). Idempotent.
  void stop() override;

  // The bound address (the real port when the endpoint asked for port 0). Empty before start().
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Senders connected now.
  std::size_t connection_count() const;

 private:
  class Connection;

  MessageSink& sink_;
  std::chrono::steady_clock::duration idle_timeout_;
  ConnectionListener<Connection> listener_;
};

}  // namespace wgevents
