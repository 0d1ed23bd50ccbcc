// Parsing one syslog message into a WireGuard event.
//
//   wgevents::Parser parser;                  // compiles the event table once
//   auto r = parser.parse(datagram);          // no I/O, no allocation in steady state
//   if (r.status == wgevents::ParseStatus::event) use(r.event, r.envelope);
//
// A message goes through the layers in order, each optional but the last:
//   framing (RFC 3164, RFC 5424, /dev/kmsg record, or a plain saved-log line with its envelope)
//   -> printk timestamp `[ 12.345] ` -> dynamic-debug decorations -> `wireguard: <ifname>: `
//   -> body, matched against the kernel's message table (event_table.cpp).
//
// Thread safety: a Parser is immutable after construction; parse() is const and may be called
// from any number of threads at once. Results point into the message (see event.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "wgevents/parser/event.h"

namespace wgevents {

// Each message lands in exactly one of these (metrics.md, lines_total{result}).
enum class ParseStatus : std::uint8_t {
  event,      // a WireGuard event or the kernel's rate-limit report
  ignored,    // not a WireGuard line: other kernel messages, other programs, empty lines
  unknown,    // starts with `wireguard: ` but matches no known format (banner, future kernels)
  malformed,  // broken framing or a field out of range (peer id over 64 bits, ifname > 15 bytes)
};
std::string_view status_name(ParseStatus status);

// Why a message is malformed, for debugging and tests; never a label value.
enum class MalformedReason : std::uint8_t {
  none,
  nul_byte,            // a NUL inside the message
  invalid_utf8,        // bytes that are not UTF-8 in the WireGuard part of the line
  too_long,            // longer than kMaxMessageBytes
  bad_priority,        // `<...>` that is not a PRI of 0..191
  bad_header,          // an RFC 5424 / RFC 3164 / kmsg header that stops half way
  bad_interface,       // interface name empty, over 15 bytes, or with `/` or control bytes
  bad_field,           // a known format whose argument does not fit: number, address, port
};
std::string_view malformed_reason_name(MalformedReason reason);

// Longest message accepted: the largest syslog message rsyslog sends by default is 8 KiB and
// a UDP datagram at most 64 KiB; a WireGuard line is under 200 bytes.
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024 - 1;

enum class Framing : std::uint8_t { plain, rfc3164, rfc5424, kmsg };
std::string_view framing_name(Framing framing);

// The civil time a syslog header printed, as printed (no time zone arithmetic done).
struct SyslogTimestamp {
  std::int16_t year = 0;   // 0: the header had none (RFC 3164, journalctl short form)
  std::uint8_t month = 0;  // 1..12; 0: the message had no timestamp at all
  std::uint8_t day = 0;
  std::uint8_t hour = 0;
  std::uint8_t minute = 0;
  std::uint8_t second = 0;
  std::uint32_t nanosecond = 0;
  std::uint8_t fraction_digits = 0;   // digits after the second's point (0: whole seconds)
  bool has_utc_offset = false;        // RFC 5424 (`Z` or `+hh:mm`)
  std::int16_t utc_offset_minutes = 0;

  bool present() const { return month != 0; }
};

// Seconds since the Unix epoch for a timestamp; `year_if_missing` fills an RFC 3164 year and
// `local_utc_offset_seconds` is used where the header printed no offset (local time).
// nullopt when the timestamp is absent or names no real date (Feb 30).
std::optional<double> to_unix_seconds(const SyslogTimestamp& ts, int year_if_missing,
                                      long local_utc_offset_seconds);

// What stood around the kernel's message.
struct Envelope {
  Framing framing = Framing::plain;
  std::int16_t priority = -1;   // PRI, or the kmsg level+facility; -1 when absent
  std::string_view hostname;    // RFC 3164 / RFC 5424 HOSTNAME; empty when absent or `-`
  SyslogTimestamp timestamp;    // syslog or saved-log header time
  std::uint64_t kmsg_sequence = 0;
  std::uint64_t kmsg_usec = 0;  // kmsg: microseconds since boot
  // The printk time before the kernel's text (`[ 1234.567890] `, dmesg and saved kernel logs):
  // microseconds since boot, like kmsg_usec.
  bool has_printk_time = false;
  std::uint64_t printk_usec = 0;
};

struct ParseResult {
  ParseStatus status = ParseStatus::ignored;
  MalformedReason reason = MalformedReason::none;  // set when status == malformed
  Envelope envelope;  // filled as far as parsing got
  Event event;        // valid when status == event
};

class EventTable;  // the compiled kernel message table (private)

// Parses syslog messages. Construction compiles the event table (a few hundred microseconds,
// a few hundred KiB); keep one Parser for the life of the program.
class Parser {
 public:
  Parser();
  ~Parser();
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  Parser(const Parser&) = delete;  // owns compiled RE2 programs; share a reference instead
  Parser& operator=(const Parser&) = delete;

  // One message: a datagram, a TCP frame, a kmsg record or a file line. A trailing newline
  // (and `\r`) is allowed; kmsg continuation lines after the first newline are ignored.
  ParseResult parse(std::string_view message) const;

 private:
  std::unique_ptr<EventTable> table_;
};

}  // namespace wgevents
