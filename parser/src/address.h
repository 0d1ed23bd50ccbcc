// Typed parsing of the addresses the kernel prints (`%pISpfsc`, `%pISc`, `%pI4`, `%pI6`).
#pragma once

#include <string_view>

#include "wgevents/parser/event.h"

namespace wgevents::detail {

// `%pISpfsc`: `192.0.2.1:51820`, `[2001:db8::1]:51820/0%0`, or the kernel's `(einval)` /
// `(invalid address)` for a peer without endpoint (family none). False when malformed:
// a bad address, a port over 65535, flowinfo or scope over 32 bits.
bool parse_endpoint(std::string_view text, Endpoint& out);

// A bare IPv4 or IPv6 address in any form inet_pton accepts (`%pISc`, `%pI4`, `%pI6`).
bool parse_ip_address(std::string_view text, IpAddress& out);

}  // namespace wgevents::detail
