// Turns a kernel socket address into the MessageSource the inputs hand to the sink.
#pragma once

#include <sys/socket.h>

#include "message.h"

namespace wgevents {

// An IPv4 or IPv6 sender. An IPv4-mapped IPv6 address (a dual-stack socket bound to `::`
// receiving from an IPv4 sender) becomes the IPv4 address, so allow-lists and labels see one
// form per sender. Any other family yields an unknown address and port 0.
MessageSource message_source_from(const sockaddr* address);

}  // namespace wgevents
