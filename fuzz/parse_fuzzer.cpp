// libFuzzer target: any bytes as one syslog message. The parser must return a result for
// every input without crashing, hanging, reading out of bounds or leaking; whatever it
// returns must point into the input, and be usable the way the exporter uses it (an event's
// name, the header's time as Unix time).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "wgevents/parser/parse.h"

namespace {
bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wgevents::Parser parser;
  std::string_view message(reinterpret_cast<const char*>(data), size);
  wgevents::ParseResult r = parser.parse(message);
  if (!inside(r.event.interface, message) || !inside(r.event.module, message) ||
      !inside(r.envelope.hostname, message)) {
    std::abort();
  }
  if (r.status == wgevents::ParseStatus::event && r.event.interface.size() > 15) std::abort();
  if (r.status == wgevents::ParseStatus::event && wgevents::event_name(r.event.kind).empty()) std::abort();
  // The pipeline turns a replayed line's timestamp into Unix time: whatever the parser took
  // from a header must convert without undefined behaviour, to nothing or to a finite time.
  for (long local_utc_offset : {-50400L, 0L, 50400L}) {
    std::optional<double> t = wgevents::to_unix_seconds(r.envelope.timestamp, 2026, local_utc_offset);
    if (t && !std::isfinite(*t)) std::abort();
  }
  return 0;
}
