// Layer 1: transport framing and saved-log envelopes, down to what the program logged.
#pragma once

#include <string_view>

#include "wgevents/parser/parse.h"

namespace wgevents::detail {

struct FramingOutcome {
  bool ok = true;
  MalformedReason reason = MalformedReason::none;
  std::string_view content;  // the logged text: `[ 12.3] wireguard: wg0: ...` for kernel lines
};

// Recognises, in this order: a kmsg record (`PRI,SEQ,USEC,FLAGS;`), `<PRI>` followed by RFC 5424
// or RFC 3164, and the plain envelopes of saved logs (svlogd prefix, RFC 3339 or RFC 3164 file
// lines, journalctl short form, OpenWrt logread). What is not recognised is content as it stands.
// Fills `envelope` with what the headers said.
FramingOutcome strip_framing(std::string_view message, Envelope& envelope);

}  // namespace wgevents::detail
