// What every input hands to the pipeline: one syslog message at a time, with where it came from.
//
// Inputs own their sockets and buffers; a message's bytes are valid only during the call.
// All inputs and the sink run on the exporter's single io_context thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "wgevents/parser/event.h"

namespace wgevents {

// The `transport` label of the exporter's own metrics.
enum class Transport : std::uint8_t { udp, tcp, unix_socket, kmsg, file };
inline constexpr std::size_t kTransportCount = 5;

constexpr std::string_view transport_name(Transport t) {
  switch (t) {
    case Transport::udp: return "udp";
    case Transport::tcp: return "tcp";
    case Transport::unix_socket: return "unix";
    case Transport::kmsg: return "kmsg";
    case Transport::file: return "file";
  }
  return "unknown";
}

// The sender of a network message; family none for files and kmsg.
struct MessageSource {
  IpAddress address;
  std::uint16_t port = 0;
};

// Receives messages from the inputs. Implemented by the pipeline (parse -> state -> metrics).
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // One message: a datagram, a TCP frame, a kmsg record or a file line, without its framing
  // (a trailing newline may remain).
  virtual void on_message(Transport transport, std::string_view message,
                          const MessageSource& source) = 0;
  // A message that could not be taken in whole (a TCP frame over the limit, a truncated
  // datagram): counted as received and malformed without being parsed.
  virtual void on_malformed_frame(Transport transport, std::size_t bytes,
                                  const MessageSource& source) = 0;
  // Messages the kernel dropped before we could read them (SO_RXQ_OVFL, kmsg overruns).
  virtual void on_receive_drops(Transport transport, std::uint64_t count) = 0;
  // A TCP sender refused because of --syslog.tcp-max-connections (or a failed TLS handshake).
  virtual void on_connection_refused(Transport transport) = 0;
  // Whether a sender may send at all (--syslog.allowed-sources). Connection-oriented inputs
  // ask once per connection, so that refused senders hold no connection slot.
  virtual bool accepts(const MessageSource& /*source*/) const { return true; }
};

}  // namespace wgevents
