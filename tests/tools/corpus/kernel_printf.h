// How the Linux kernel's vsprintf prints the arguments of WireGuard's log lines.
//
// The corpus generator writes lines from this knowledge alone (it does not use the exporter's
// parser), so a corpus is an independent check of the parser. Each function appends the text
// the kernel would print for one conversion to `out`; none allocates beyond growing `out`.
// Reference: lib/vsprintf.c (ip4_string, ip6_string, ip6_compressed_string, ip6_addr_string_sa).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace wgevents::corpus {

// A struct sockaddr as WireGuard keeps a peer's endpoint. `unspec` is a peer whose endpoint is
// not known yet (AF_UNSPEC); the kernel prints it as an error string instead of an address.
struct SocketAddress {
  enum class Family : std::uint8_t { unspec, ipv4, ipv6 };
  Family family = Family::unspec;
  std::array<std::uint8_t, 16> bytes{};  // network order; the first 4 for IPv4
  std::uint16_t port = 0;
  std::uint32_t flowinfo = 0;  // IPv6 only, already masked with IPV6_FLOWINFO_MASK
  std::uint32_t scope_id = 0;  // IPv6 only
};

// What `%pISpfsc` prints for AF_UNSPEC: kernels since 5.x print `(einval)`, older ones and
// the compat module's early releases `(invalid address)`.
enum class UnspecSpelling : std::uint8_t { einval, invalid_address };

void append_decimal(std::string& out, std::uint64_t value);
void append_signed(std::string& out, std::int64_t value);
// `value` right-aligned in `width` characters, padded with `fill` (printk's `%5lu`, `%06lu`).
void append_padded(std::string& out, std::uint64_t value, int width, char fill);

// `%pI4`: dotted quad, `10.0.0.1`.
void append_ipv4(std::string& out, const std::uint8_t* address);
// `%pI6`: eight groups of four lower-case hex digits, nothing compressed.
void append_ipv6_full(std::string& out, const std::uint8_t* address);
// `%pI6c`: the longest run of two or more zero groups (the first of equal runs) becomes `::`,
// leading zeros dropped; IPv4-mapped and ISATAP addresses end in a dotted quad.
void append_ipv6_compressed(std::string& out, const std::uint8_t* address);
// `%pISc`: the address alone, no brackets (`192.0.2.1`, `2001:db8::1`).
void append_address(std::string& out, const SocketAddress& address, UnspecSpelling unspec);
// `%pISpfsc`: `192.0.2.1:51820` or `[2001:db8::1]:51820/0%0` (flowinfo and scope always).
void append_endpoint(std::string& out, const SocketAddress& address, UnspecSpelling unspec);

}  // namespace wgevents::corpus
