// The UDP syslog input: one datagram is one message (RFC 5426), the way rsyslog forwards with
// `kern.* @127.0.0.1:9999`.
//
// A WireGuard peer flood can log thousands of lines a second, and UDP loses what the socket
// buffer cannot hold. So the input asks for a large receive buffer, reads in batches with
// recvmmsg(2), and counts what the kernel dropped anyway (SO_RXQ_OVFL) instead of hiding it.
//
// Usage:
//   UdpInput udp(io, endpoint, sink);
//   if (auto ec = udp.start()) { report ec; }   // binds; the socket is receiving from here on
//   log udp.receive_buffer_bytes();
//   io.run();                                     // messages reach `sink` from run()
//   udp.stop();                                   // e.g. from the SIGTERM handler
//
// Threading: all members and the sink are used on the thread that runs the io_context; the
// io_context must be run by that one thread (message.h). The object must outlive the
// io_context's run, or at least every handler it started (stop() cancels them; they then run
// once more and return).
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "input.h"
#include "message.h"

namespace wgevents {

struct UdpInputOptions {
  // Datagrams per recvmmsg(2) call. One call per 64 datagrams keeps the per-syscall cost
  // negligible at any rate a kernel log can reach.
  std::size_t batch_size = 64;
  // Bytes per datagram buffer. 64 KiB holds the largest UDP payload, so no real datagram is
  // truncated; a longer one is counted as a malformed frame.
  std::size_t datagram_bytes = 64 * 1024;
  // The receive buffer requested. Each queued datagram costs the kernel about 800 bytes of
  // buffer whatever its length, so 32 MiB (64 MiB as the kernel counts it) holds some 80,000
  // WireGuard lines: a few hundred milliseconds of a flood while the exporter is busy or
  // descheduled. Measured in docs/performance.md; memory is used only while datagrams wait.
  int receive_buffer_bytes = 32 * 1024 * 1024;
  // Batches read per readiness wake-up before other handlers get a turn.
  std::size_t max_batches_per_wakeup = 16;
};

class UdpInput final : public Input {
 public:
  // Allocates every buffer the input will use (batch_size x datagram_bytes); opens nothing.
  UdpInput(boost::asio::io_context& io, const boost::asio::ip::udp::endpoint& endpoint,
           MessageSink& sink, const UdpInputOptions& options = {});
  ~UdpInput() override;
  UdpInput(const UdpInput&) = delete;
  UdpInput& operator=(const UdpInput&) = delete;

  // Opens and binds the socket (IPv4 or IPv6 after the endpoint), sizes its receive buffer and
  // starts receiving. SO_RCVBUFFORCE is tried first (it needs CAP_NET_ADMIN and can exceed
  // net.core.rmem_max); without the privilege, SO_RCVBUF gets at most rmem_max. A failure to
  // open or bind (address in use, not available) is returned and nothing is left open.
  boost::system::error_code start() override;

  // Closes the socket; the pending wait completes with operation_aborted. Idempotent.
  void stop() override;

  // The bound address (the real port when the endpoint asked for port 0). Empty before start().
  boost::asio::ip::udp::endpoint local_endpoint() const;
  // The receive buffer the kernel granted, as getsockopt(SO_RCVBUF) reports it: Linux doubles
  // the requested size to account for its bookkeeping, so this is about twice the payload
  // bytes it holds. 0 before start().
  int receive_buffer_bytes() const { return receive_buffer_bytes_; }
  // Whether the kernel reports drops on this socket (SO_RXQ_OVFL was accepted).
  bool reports_drops() const { return reports_drops_; }

  // Reads the socket's drop counter now (SO_MEMINFO) and reports what is new to the sink.
  // The per-datagram report (SO_RXQ_OVFL) only comes with the next datagram that gets
  // through, so after a flood that ends in drops, a scrape calls this to show them at once.
  void poll_drops();

  // The drops between two readings of the kernel's per-socket drop counter, a uint32 that
  // wraps around.
  static constexpr std::uint32_t drop_counter_delta(std::uint32_t previous, std::uint32_t current) {
    return current - previous;
  }

 private:
  struct Slot;

  void await_readable();
  void receive_batches();
  void deliver(std::size_t count);

  boost::asio::ip::udp::endpoint endpoint_;  // where to bind
  MessageSink& sink_;
  UdpInputOptions options_;
  boost::asio::ip::udp::socket socket_;
  std::unique_ptr<char[]> payload_;      // batch_size x datagram_bytes, one allocation
  std::unique_ptr<Slot[]> slots_;        // per datagram: iovec, sender address, control data
  std::unique_ptr<mmsghdr[]> headers_;   // the recvmmsg(2) vector, pointing into the above
  std::uint32_t last_drop_counter_ = 0;  // the kernel's drop counter as last reported
  int receive_buffer_bytes_ = 0;
  bool reports_drops_ = false;
};

}  // namespace wgevents
