// libFuzzer target: any bytes as one syslog message, and the same bytes as a recipe for one
// WireGuard line.
//
// Structure: the parser must return a result for every input without crashing, hanging,
// reading out of bounds or leaking; whatever it returns must point into the input, and be
// usable the way the exporter uses it (an event's name, the header's time as Unix time).
//
// Meaning (kernel): the bytes also pick a row of the kernel's message table, a module, an interface
// name and a value for each of the row's conversions (peer ids, endpoints in every form the
// kernel prints, addresses, counts, errnos); the line is printed as the kernel would print it
// and must parse back to that row's kind with exactly those values, every other field zero; a
// peer event's row (kEvents scope) names a peer, an interface event's none.
#include <arpa/inet.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "event_table.h"
#include "userspace.h"
#include "wgevents/parser/parse.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_structure(const wgevents::Parser& parser, std::string_view message) {
  wgevents::ParseResult r = parser.parse(message);
  // The module is the kernel line's own prefix, or the constant name of userspace lines.
  if (!inside(r.event.interface, message) ||
      !(inside(r.event.module, message) || r.event.module == "wireguard-go") ||
      !inside(r.envelope.hostname, message)) {
    std::abort();
  }
  if (r.status == wgevents::ParseStatus::event && r.event.interface.size() > 15) std::abort();
  if (r.status == wgevents::ParseStatus::event && wgevents::event_name(r.event.kind).empty()) std::abort();
  // A key abbreviation is 48 bits, and writes back as the 11 bytes it was printed as.
  if (r.event.peer_naming == wgevents::PeerNaming::key_abbreviation) {
    if (r.event.peer >> 48 != 0) std::abort();
    char printed[wgevents::kKeyAbbreviationBytes];
    std::string_view text(printed, wgevents::write_key_abbreviation(r.event.peer, printed));
    if (wgevents::pack_key_abbreviation(text) != r.event.peer) std::abort();
  }
  // The pipeline turns a replayed line's timestamp into Unix time: whatever the parser took
  // from a header must convert without undefined behaviour, to nothing or to a finite time.
  for (long local_utc_offset : {-50400L, 0L, 50400L}) {
    std::optional<double> t = wgevents::to_unix_seconds(r.envelope.timestamp, 2026, local_utc_offset);
    if (t && !std::isfinite(*t)) std::abort();
  }
}

// Hands out the input's bytes as the recipe's choices; zeros once they run out.
class Recipe {
 public:
  Recipe(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return used_ < size_ ? data_[used_++] : 0; }
  std::uint64_t bits(int count) {
    std::uint64_t v = 0;
    for (int i = 0; i < count; i += 8) v = (v << 8) | byte();
    return count >= 64 ? v : v & ((std::uint64_t{1} << count) - 1);
  }
  // A number of up to 64 bits, small ones and the edges often.
  std::uint64_t number() {
    switch (byte() % 4) {
      case 0: return byte();
      case 1: return bits(16);
      case 2: return byte() % 2 ? UINT64_MAX : 0;
      default: return bits(64);
    }
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t used_ = 0;
};

using wgevents::Endpoint;
using wgevents::EventField;
using wgevents::IpAddress;

IpAddress make_address(Recipe& recipe, IpAddress::Family family) {
  IpAddress a;
  a.family = family;
  const int length = family == IpAddress::Family::ipv4 ? 4 : 16;
  // IPv6 addresses with runs of zeros, where the printed form compresses them.
  const std::uint8_t zero_mask = family == IpAddress::Family::ipv6 ? recipe.byte() : 0;
  for (int i = 0; i < length; ++i) {
    a.bytes[static_cast<std::size_t>(i)] = (zero_mask >> (i / 2)) & 1 ? 0 : recipe.byte();
  }
  return a;
}

// inet_ntop's text: the kernel's compressed form (%pISc, and inside %pISpfsc).
std::string compressed(const IpAddress& a) {
  char text[INET6_ADDRSTRLEN];
  const int af = a.family == IpAddress::Family::ipv4 ? AF_INET : AF_INET6;
  if (!inet_ntop(af, a.bytes.data(), text, sizeof text)) std::abort();
  return text;
}

// %pI6: eight groups of four hex digits, nothing left out.
std::string full_ipv6(const IpAddress& a) {
  std::string out;
  char group[8];
  for (int i = 0; i < 16; i += 2) {
    std::snprintf(group, sizeof group, "%s%02x%02x", i ? ":" : "", a.bytes[static_cast<std::size_t>(i)],
                  a.bytes[static_cast<std::size_t>(i) + 1]);
    out += group;
  }
  return out;
}

// An IPv6 address whose compressed form has no dotted quad (::ffff:1.2.3.4), which %pI6c
// prints only for mapped addresses; %pISc sees those as IPv4 sockets.
IpAddress make_ipv6(Recipe& recipe) {
  IpAddress a = make_address(recipe, IpAddress::Family::ipv6);
  if (compressed(a).find('.') != std::string::npos) a.bytes[0] = 0x20;
  return a;
}

// %pISpfsc, or the kernel's words for a socket address that is not set.
std::string endpoint_text(Recipe& recipe, Endpoint& e) {
  switch (recipe.byte() % 4) {
    case 0:
      e = Endpoint{};
      return recipe.byte() % 2 ? "(einval)" : "(invalid address)";
    case 1:
      e.address = make_address(recipe, IpAddress::Family::ipv4);
      e.port = static_cast<std::uint16_t>(recipe.bits(16));
      return compressed(e.address) + ":" + std::to_string(e.port);
    default:
      e.address = make_ipv6(recipe);
      e.port = static_cast<std::uint16_t>(recipe.bits(16));
      e.flowinfo = static_cast<std::uint32_t>(recipe.byte() % 2 ? recipe.bits(32) : recipe.byte() % 4);
      e.scope_id = static_cast<std::uint32_t>(recipe.byte() % 2 ? recipe.bits(32) : recipe.byte() % 4);
      return "[" + compressed(e.address) + "]:" + std::to_string(e.port) + "/" + std::to_string(e.flowinfo) +
             "%" + std::to_string(e.scope_id);
  }
}

[[noreturn]] void mismatch(const std::string& line, const char* what) {
  std::fprintf(stderr, "parse_fuzzer: \"%s\" parsed back with the wrong %s\n", line.c_str(), what);
  std::abort();
}

void check_meaning(const wgevents::Parser& parser, Recipe recipe) {
  const auto formats = wgevents::kernel_event_formats();
  const wgevents::EventFormat& row = formats[recipe.byte() % formats.size()];
  const std::string module = recipe.byte() % 4 ? "wireguard" : "amneziawg";
  // 1 to 15 bytes of what an interface name may hold: no space, `/` or `:`.
  std::string ifname(1 + recipe.byte() % 15, 'x');
  for (char& c : ifname) {
    c = static_cast<char>('!' + recipe.byte() % ('~' - '!' + 1));
    if (c == '/' || c == ':') c = '_';
  }

  wgevents::Event expected;
  expected.kind = row.kind;
  std::string body;
  std::size_t field = 0;
  std::string_view format = row.format;
  while (!format.empty()) {
    const std::size_t percent = format.find('%');
    body += format.substr(0, percent);
    if (percent == std::string_view::npos) break;
    format.remove_prefix(percent);
    std::size_t spec = 2;
    for (std::string_view s : {"%pISpfsc", "%pISc", "%pI4", "%pI6", "%llu"}) {
      if (format.substr(0, s.size()) == s) {
        spec = s.size();
        break;
      }
    }
    const std::string_view conversion = format.substr(0, spec);
    format.remove_prefix(spec);
    const EventField target = row.fields[field++];
    if (conversion == "%pISpfsc") {
      body += endpoint_text(recipe, expected.endpoint);
    } else if (conversion == "%pISc") {
      expected.address = recipe.byte() % 2 ? make_address(recipe, IpAddress::Family::ipv4) : make_ipv6(recipe);
      body += compressed(expected.address);
    } else if (conversion == "%pI4") {
      expected.address = make_address(recipe, IpAddress::Family::ipv4);
      body += compressed(expected.address);
    } else if (conversion == "%pI6") {
      expected.address = make_address(recipe, IpAddress::Family::ipv6);
      body += full_ipv6(expected.address);
    } else if (conversion == "%llu") {
      const std::uint64_t v = recipe.number();
      body += std::to_string(v);
      switch (target) {
        case EventField::peer: expected.has_peer = true; expected.peer = v; break;
        case EventField::keypair_id: expected.keypair_id = v; break;
        case EventField::nonce: expected.nonce = v; break;
        case EventField::nonce_max: expected.nonce_max = v; break;
        default: std::abort();  // the table pairs %llu with another field
      }
    } else if (conversion == "%d") {
      const auto v = static_cast<std::int32_t>(static_cast<std::uint32_t>(recipe.number()));
      body += std::to_string(v);
      switch (target) {
        case EventField::attempts: expected.attempts = v; break;
        case EventField::seconds: expected.seconds = v; break;
        case EventField::try_number: expected.try_number = v; break;
        case EventField::error: expected.error = v; break;
        default: std::abort();
      }
    } else {
      std::abort();  // a conversion this oracle does not know: teach it
    }
  }
  if (field != row.field_count) std::abort();
  // The row's scope (kEvents) decides which family counts the event: a peer event's line
  // names its peer, an interface event's line names none.
  if ((wgevents::event_info(row.kind).scope == wgevents::EventScope::peer) != expected.has_peer) std::abort();

  const std::string line = module + ": " + ifname + ": " + body;
  const wgevents::ParseResult r = parser.parse(line);
  if (r.status != wgevents::ParseStatus::event) mismatch(line, "status");
  const wgevents::Event& got = r.event;
  if (got.kind != expected.kind) mismatch(line, "kind");
  if (got.module != module) mismatch(line, "module");
  if (got.interface != ifname) mismatch(line, "interface");
  if (got.has_peer != expected.has_peer || got.peer != expected.peer) mismatch(line, "peer");
  if (!(got.endpoint == expected.endpoint)) mismatch(line, "endpoint");
  if (!(got.address == expected.address)) mismatch(line, "address");
  if (got.keypair_id != expected.keypair_id) mismatch(line, "keypair id");
  if (got.attempts != expected.attempts || got.seconds != expected.seconds ||
      got.try_number != expected.try_number) {
    mismatch(line, "attempts, seconds or try");
  }
  if (got.error != expected.error) mismatch(line, "error");
  if (got.nonce != expected.nonce || got.nonce_max != expected.nonce_max) mismatch(line, "nonce");
  if (got.suppressed != 0) mismatch(line, "suppressed count");
}


// The same for a row of the userspace table (userspace.h): wireguard-go's words with a fuzzed
// peer abbreviation, numbers, endpoint and free text must parse back to the row.
void check_userspace_meaning(const wgevents::Parser& parser, Recipe recipe) {
  using wgevents::detail::UserspaceScope;
  static constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr std::string_view kText = "abcdefghijklmnopqrstuvwxyz0123456789 .-_[]";
  const auto formats = wgevents::detail::userspace_event_formats();
  const wgevents::detail::UserspaceFormat& row = formats[recipe.byte() % formats.size()];
  std::string ifname(1 + recipe.byte() % 15, 'x');
  for (char& c : ifname) c = kBase64[recipe.byte() % 62];

  wgevents::Event expected;
  expected.kind = row.kind;
  expected.completes_handshake = row.completes_handshake;
  std::string body;
  std::size_t field = 0;
  std::string_view format = row.format;
  while (!format.empty()) {
    const std::size_t percent = format.find('%');
    body += format.substr(0, percent);
    if (percent == std::string_view::npos) break;
    const char conversion = format[percent + 1];
    format.remove_prefix(percent + 2);
    if (conversion == 'p') {
      std::string printed;
      for (int i = 0; i < 8; ++i) {
        if (i == 4) printed += "\xE2\x80\xA6";
        printed += kBase64[recipe.byte() % 64];
      }
      expected.has_peer = true;
      expected.peer_naming = wgevents::PeerNaming::key_abbreviation;
      expected.peer = *wgevents::pack_key_abbreviation(printed);
      body += "peer(" + printed + ")";
    } else if (conversion == 'd') {
      const auto v = static_cast<std::int32_t>(static_cast<std::uint32_t>(recipe.number()));
      body += std::to_string(v);
      switch (row.fields[field++]) {
        case EventField::attempts: expected.attempts = v; break;
        case EventField::seconds: expected.seconds = v; break;
        case EventField::try_number: expected.try_number = v; break;
        case EventField::error: expected.error = v; break;
        default: std::abort();
      }
    } else if (conversion == 'e') {
      if (row.fields[field++] != EventField::endpoint) std::abort();
      Endpoint& e = expected.endpoint;
      e.address = recipe.byte() % 2 ? make_address(recipe, IpAddress::Family::ipv4) : make_ipv6(recipe);
      e.port = static_cast<std::uint16_t>(recipe.bits(16));
      body += e.address.family == IpAddress::Family::ipv4 ? compressed(e.address) + ":" + std::to_string(e.port)
                                                         : "[" + compressed(e.address) + "]:" + std::to_string(e.port);
    } else if (conversion == 'v') {
      // Free text that cannot be a literal of the table: it starts with a digit.
      body += '0';
      for (int n = recipe.byte() % 24; n > 0; --n) body += kText[recipe.byte() % kText.size()];
    } else {
      std::abort();  // a conversion this oracle does not know: teach it
    }
  }
  if (field != row.field_count) std::abort();

  static const char* const kLevels[] = {"DEBUG", "ERROR", "INFO"};
  const std::string line = std::string(kLevels[recipe.byte() % 3]) + ": (" + ifname + ") 2026/12/01 12:59:28 " + body;
  const wgevents::ParseResult r = parser.parse(line);
  if (row.scope == UserspaceScope::ignored) {
    if (r.status != wgevents::ParseStatus::ignored) mismatch(line, "status (a known line without event)");
    return;
  }
  if (r.status != wgevents::ParseStatus::event) mismatch(line, "status");
  const wgevents::Event& got = r.event;
  if (got.kind != expected.kind) mismatch(line, "kind");
  if (got.interface != ifname) mismatch(line, "interface");
  if (got.has_peer != expected.has_peer || got.peer != expected.peer || got.peer_naming != expected.peer_naming) {
    mismatch(line, "peer");
  }
  if (got.completes_handshake != expected.completes_handshake) mismatch(line, "handshake completion");
  if (!(got.endpoint == expected.endpoint)) mismatch(line, "endpoint");
  if (got.attempts != expected.attempts || got.seconds != expected.seconds ||
      got.try_number != expected.try_number || got.error != expected.error) {
    mismatch(line, "attempts, seconds, try or error");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wgevents::Parser parser;
  check_structure(parser, std::string_view(reinterpret_cast<const char*>(data), size));
  check_meaning(parser, Recipe(data, size));
  check_userspace_meaning(parser, Recipe(data, size));
  return 0;
}
