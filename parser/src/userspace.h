// The userspace dialect: what wireguard-go (and its fork amneziawg-go) writes with
// LOG_LEVEL=verbose, as the parser meets it after the transport framing (framing.h):
//
//   DEBUG: (wg0) 2026/12/01 12:59:28 peer(BfzC…3sz4) - Sending handshake initiation
//   ^ level ^ ifname ^ Go's log time  ^ the peer, by an abbreviation of its public key
//
// optionally wrapped in a Docker json-file record (`{"log":"DEBUG: ...\n","stream":...}`). The
// formats are those of wireguard-go's `device` package and its main program, current and older
// releases (docs/events.md); each maps to an event name, or is known and carries no event.
// Nothing here allocates; the table is constant data.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "event_table.h"
#include "wgevents/parser/event.h"
#include "wgevents/parser/parse.h"

namespace wgevents::detail {

struct UserspaceLine {
  enum class Kind {
    not_userspace,  // no `DEBUG: (ifname) ` shape: some other program's line
    userspace,      // interface and body are set
    malformed,      // the shape, with a bad interface name or bytes that are not UTF-8
  };
  Kind kind = Kind::not_userspace;
  MalformedReason reason = MalformedReason::none;
  std::string_view interface;
  SyslogTimestamp time;  // Go's `2026/12/01 12:59:28` (local time, no offset)
  std::string_view body;
};

// Whether `content` can start a userspace line at all: its first byte opens a level (`DEBUG: `,
// `ERROR: `, `INFO: `), a Docker record (`{`) or rsyslog's tag (`wireguard-go[`, `amneziawg-go[`).
// Every other program's line stops here, at the cost of one byte.
inline bool may_be_userspace(std::string_view content) {
  if (content.empty()) return false;
  const char c = content.front();
  return c == 'D' || c == 'E' || c == 'I' || c == '{' || c == 'w' || c == 'a';
}

// `DEBUG: `, `ERROR: ` or (releases before 2021) `INFO: `, then `(ifname) `, Go's date and time,
// then the body. A Docker json-file record around it is unwrapped first.
UserspaceLine split_userspace_line(std::string_view content);

// How a format's line is counted.
enum class UserspaceScope : std::uint8_t {
  event,    // counted as `kind`
  ignored,  // known, and says nothing the metrics show (worker start/stop, configuration steps)
};

// One format, written in wireguard-go's words with these conversions:
//   %p  the peer, `peer(BfzC…3sz4)`     %d  a decimal number (the next field)
//   %e  an endpoint, `192.0.2.1:51820` or `[2001:db8::1]:51820` (the endpoint field)
//   %v  any text (an error, a value): up to the next literal, or to the end
struct UserspaceFormat {
  EventKind kind;
  UserspaceScope scope;
  std::string_view format;
  std::array<EventField, 2> fields{};  // for %d and %e, in order
  std::size_t field_count = 0;
  bool completes_handshake = false;    // see Event::completes_handshake
};

std::span<const UserspaceFormat> userspace_event_formats();

enum class UserspaceMatch { event, ignored, unknown, malformed };
// Matches a body against the table and fills the event (kind, peer, fields).
UserspaceMatch match_userspace_body(std::string_view body, Event& event);

}  // namespace wgevents::detail
