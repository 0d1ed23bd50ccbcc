// What every input hands to the pipeline: one syslog message at a time, with where it came from.
//
// Inputs own their sockets and buffers; a message's bytes are valid only during the call.
// All inputs and the sink run on the exporter's single io_context thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "wgevents/parser/event.h"

namespace wgevents {

// How a message arrived: the `transport` label of the exporter's own metrics, one per kind of
// input. kTransports is the one list of them; the enum names its rows, in the same order.
enum class Transport : std::uint8_t { udp, tcp, tls, kmsg, file };

struct TransportInfo {
  Transport transport;
  std::string_view name;  // the label value
};
inline constexpr TransportInfo kTransports[] = {
    {Transport::udp, "udp"},    // UdpInput: one datagram, one message
    {Transport::tcp, "tcp"},    // TcpInput: RFC 6587 frames
    {Transport::tls, "tls"},    // TlsInput: RFC 5425 frames
    {Transport::kmsg, "kmsg"},  // KmsgInput: one /dev/kmsg record
    {Transport::file, "file"},  // ReplayInput: one line of a file
};
inline constexpr std::size_t kTransportCount = std::size(kTransports);

// Each row sits at its enumerator's index, so that a transport indexes arrays of counts.
constexpr bool transport_rows_in_order() {
  for (std::size_t i = 0; i < kTransportCount; ++i) {
    if (static_cast<std::size_t>(kTransports[i].transport) != i) return false;
  }
  return true;
}
static_assert(transport_rows_in_order(), "kTransports: one row per Transport, in enum order");

constexpr std::string_view transport_name(Transport t) { return kTransports[static_cast<std::size_t>(t)].name; }

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
  // A TCP or TLS sender refused: over --syslog.tcp-max-connections, outside
  // --syslog.allowed-sources, or a failed TLS handshake.
  virtual void on_connection_refused(Transport transport) = 0;
  // Whether a sender may send at all (--syslog.allowed-sources). Connection-oriented inputs
  // ask once per connection, so that refused senders hold no connection slot.
  virtual bool accepts(const MessageSource& /*source*/) const { return true; }
};

}  // namespace wgevents
