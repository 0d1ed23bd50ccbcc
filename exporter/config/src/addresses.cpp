#include "wgevents/config/addresses.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace wgevents {
namespace {

constexpr std::string_view kSpaces = " \t";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpaces);
  return text.substr(first, last - first + 1);
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// inet_pton() wants a NUL-terminated string; addresses are short, so a fixed buffer will do.
// glibc's parser is strict: four decimal parts for IPv4, no zone for IPv6.
std::optional<IpAddress> parse_ip(std::string_view text, IpAddress::Family family) {
  char buffer[64];
  if (text.empty() || text.size() >= sizeof buffer) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  IpAddress address;
  address.family = family;
  const int af = family == IpAddress::Family::ipv4 ? AF_INET : AF_INET6;
  if (inet_pton(af, buffer, address.bytes.data()) != 1) return std::nullopt;
  return address;
}

std::optional<IpAddress> parse_any_ip(std::string_view text) {
  if (auto v4 = parse_ip(text, IpAddress::Family::ipv4)) return v4;
  return parse_ip(text, IpAddress::Family::ipv6);
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, at most 63
// bytes each and 253 in all. A last label made only of digits would be an IPv4 literal
// (RFC 3696 section 2), so "1.2.3" is refused here instead of being looked up in DNS.
bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view last_label;
  while (true) {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-';
      if (!ok) return false;
    }
    last_label = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return !all_digits(last_label);
}

bool is_ipv4_mapped(const IpAddress& address) {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return address.family == IpAddress::Family::ipv6 &&
         std::equal(std::begin(kPrefix), std::end(kPrefix), address.bytes.begin());
}

IpAddress unmap_ipv4(const IpAddress& mapped) {
  IpAddress v4;
  v4.family = IpAddress::Family::ipv4;
  std::copy_n(mapped.bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

IpAddress map_ipv4(const IpAddress& v4) {
  IpAddress mapped;
  mapped.family = IpAddress::Family::ipv6;
  mapped.bytes[10] = 0xff;
  mapped.bytes[11] = 0xff;
  std::copy_n(v4.bytes.begin(), 4, mapped.bytes.begin() + 12);
  return mapped;
}

int address_bits(IpAddress::Family family) { return family == IpAddress::Family::ipv4 ? 32 : 128; }

// Clears every bit after the first prefix_length.
void clear_host_bits(IpAddress& address, int prefix_length) {
  const int bits = address_bits(address.family);
  for (int bit = prefix_length; bit < bits; ++bit) {
    address.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
}

bool same_prefix(const IpAddress& a, const IpAddress& b, int prefix_length) {
  const auto whole_bytes = static_cast<std::size_t>(prefix_length / 8);
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + static_cast<std::ptrdiff_t>(whole_bytes),
                  b.bytes.begin())) {
    return false;
  }
  const int rest = prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (a.bytes[whole_bytes] & mask) == (b.bytes[whole_bytes] & mask);
}

std::string format_ip(const IpAddress& address) {
  char buffer[INET6_ADDRSTRLEN];
  const int af = address.family == IpAddress::Family::ipv4 ? AF_INET : AF_INET6;
  if (!address.known() || inet_ntop(af, address.bytes.data(), buffer, sizeof buffer) == nullptr) {
    return "?";
  }
  return buffer;
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& problem) {
  auto bad = [&](std::string_view why) {
    problem = fmt::format("bad address '{}': {}", text, why);
    return std::nullopt;
  };
  if (text.empty()) return bad("empty");

  ListenAddress address;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    const std::string_view host = text.substr(1, close - 1);
    if (host.find('%') != std::string_view::npos) return bad("IPv6 zones are not supported");
    if (!parse_ip(host, IpAddress::Family::ipv6)) return bad("not an IPv6 address inside [...]");
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("missing port (expected [v6]:port)");
    address.host = std::string(host);
    port_text = rest.substr(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port (expected host:port)");
    const std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return bad("an IPv6 address needs brackets, as in [::1]:9588");
    }
    if (host.empty()) {
      address.any_host = true;
    } else if (!parse_ip(host, IpAddress::Family::ipv4) && !is_host_name(host)) {
      return bad("not an IPv4 address or host name");
    }
    address.host = std::string(host);
    port_text = text.substr(colon + 1);
  }

  if (port_text.empty()) return bad("missing port");
  if (!all_digits(port_text)) return bad("port is not a number");
  std::uint64_t port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || port > 65535) {
    problem = fmt::format("port {} out of range (0-65535)", port_text);
    return std::nullopt;
  }
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  std::string ignored;
  return parse_listen_address(text, ignored);
}

std::string format_listen_address(const ListenAddress& address) {
  if (address.any_host) return fmt::format(":{}", address.port);
  if (address.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", address.host, address.port);
  }
  return fmt::format("{}:{}", address.host, address.port);
}

bool Cidr::contains(const IpAddress& address) const {
  IpAddress candidate = address;
  if (network.family == IpAddress::Family::ipv4 && is_ipv4_mapped(candidate)) {
    candidate = unmap_ipv4(candidate);
  } else if (network.family == IpAddress::Family::ipv6 &&
             candidate.family == IpAddress::Family::ipv4) {
    candidate = map_ipv4(candidate);
  }
  if (!network.known() || candidate.family != network.family) return false;
  return same_prefix(network, candidate, prefix_length);
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  auto network = parse_any_ip(text.substr(0, slash));
  if (!network) return std::nullopt;
  const int bits = address_bits(network->family);
  int prefix_length = bits;
  if (slash != std::string_view::npos) {
    const std::string_view prefix = text.substr(slash + 1);
    if (!all_digits(prefix) || prefix.size() > 3) return std::nullopt;
    std::from_chars(prefix.data(), prefix.data() + prefix.size(), prefix_length);
    if (prefix_length > bits) return std::nullopt;
  }
  clear_host_bits(*network, prefix_length);
  return Cidr{*network, prefix_length};
}

std::optional<std::vector<Cidr>> parse_cidr_list(std::string_view text, std::string& problem) {
  std::vector<Cidr> blocks;
  if (trim(text).empty()) return blocks;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    if (entry.empty()) {
      problem = "empty entry in the list";
      return std::nullopt;
    }
    const auto block = parse_cidr(entry);
    if (!block) {
      problem = fmt::format("bad CIDR '{}'", entry);
      return std::nullopt;
    }
    blocks.push_back(*block);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return blocks;
}

std::optional<std::vector<Cidr>> parse_cidr_list(std::string_view text) {
  std::string ignored;
  return parse_cidr_list(text, ignored);
}

std::string format_cidr(const Cidr& cidr) {
  return fmt::format("{}/{}", format_ip(cidr.network), cidr.prefix_length);
}

}  // namespace wgevents
