#include "address.h"

#include <arpa/inet.h>

#include <cstring>

#include "text.h"

namespace wgevents::detail {
namespace {

// The longest textual IPv6 address: 8 groups of 4 hex digits and 7 colons, or 6 groups and an
// embedded IPv4 address (45 bytes). Anything longer cannot be an address.
constexpr std::size_t kMaxAddressText = 45;

// Dotted-quad IPv4 as the kernel prints it (%pI4): four decimal numbers up to 255. The common
// case of every endpoint, so it skips the copy and the locale-free but general inet_pton.
bool parse_ipv4(std::string_view text, IpAddress& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    const char* start = p;
    unsigned value = 0;
    while (p != end && p - start < 3) {
      const unsigned digit = static_cast<unsigned char>(*p) - '0';
      if (digit > 9) break;
      value = value * 10 + digit;
      ++p;
    }
    if (p == start || value > 255 || (p - start > 1 && *start == '0')) return false;
    out.bytes[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(value);
  }
  if (p != end) return false;
  out.family = IpAddress::Family::ipv4;
  return true;
}

bool parse_family(int af, std::string_view text, IpAddress& out) {
  if (af == AF_INET) return parse_ipv4(text, out);
  if (text.empty() || text.size() > kMaxAddressText) return false;
  char buffer[kMaxAddressText + 1];  // inet_pton wants a terminated string
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (inet_pton(af, buffer, out.bytes.data()) != 1) return false;
  out.family = af == AF_INET ? IpAddress::Family::ipv4 : IpAddress::Family::ipv6;
  return true;
}

}  // namespace

bool parse_ip_address(std::string_view text, IpAddress& out) {
  out = IpAddress{};
  if (text.find(':') != std::string_view::npos) return parse_family(AF_INET6, text, out);
  return parse_family(AF_INET, text, out);
}

bool parse_endpoint(std::string_view text, Endpoint& out) {
  out = Endpoint{};
  if (text == "(einval)" || text == "(invalid address)") return true;  // family none

  if (!text.empty() && text.front() == '[') {
    // [address]:port/flowinfo%scope
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    if (!parse_family(AF_INET6, text.substr(1, close - 1), out.address)) return false;
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return false;
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    auto percent = rest.find('%');
    if (slash == std::string_view::npos || percent == std::string_view::npos || percent < slash) {
      return false;
    }
    return parse_unsigned(rest.substr(0, slash), out.port) &&
           parse_unsigned(rest.substr(slash + 1, percent - slash - 1), out.flowinfo) &&
           parse_unsigned(rest.substr(percent + 1), out.scope_id);
  }

  // address:port
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  return parse_family(AF_INET, text.substr(0, colon), out.address) &&
         parse_unsigned(text.substr(colon + 1), out.port);
}

}  // namespace wgevents::detail
