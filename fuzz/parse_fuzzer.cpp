// libFuzzer target: any bytes as one syslog message. The parser must return a result for
// every input without crashing, hanging, reading out of bounds or leaking, and whatever it
// returns must point into the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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
  return 0;
}
