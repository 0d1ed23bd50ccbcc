// The corpus prints addresses as lib/vsprintf.c does; these rows pin that behaviour down.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "kernel_printf.h"

using wgevents::corpus::SocketAddress;
using wgevents::corpus::UnspecSpelling;

namespace {

using Bytes16 = std::array<std::uint8_t, 16>;

Bytes16 groups(std::array<std::uint16_t, 8> g) {
  Bytes16 b{};
  for (std::size_t i = 0; i < 8; ++i) {
    b[2 * i] = static_cast<std::uint8_t>(g[i] >> 8);
    b[2 * i + 1] = static_cast<std::uint8_t>(g[i] & 0xFF);
  }
  return b;
}

struct Ipv6Row {
  std::array<std::uint16_t, 8> groups;
  const char* compressed;  // %pI6c
  const char* full;        // %pI6
};

const Ipv6Row kIpv6Rows[] = {
    // The usual documentation address: one long run.
    {{0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}, "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001"},
    // No zero group at all.
    {{0x2001, 0xdb8, 0x1234, 0x5678, 0x9abc, 0xdef0, 1, 2}, "2001:db8:1234:5678:9abc:def0:1:2",
     "2001:0db8:1234:5678:9abc:def0:0001:0002"},
    // A single zero group is not compressed.
    {{0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}, "2001:db8:0:1:1:1:1:1",
     "2001:0db8:0000:0001:0001:0001:0001:0001"},
    // Two runs of equal length: the first one becomes `::`.
    {{0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}, "2001:db8::1:0:0:1",
     "2001:0db8:0000:0000:0001:0000:0000:0001"},
    // The longer run wins even when it comes second.
    {{0x2001, 0, 0, 1, 0, 0, 0, 1}, "2001:0:0:1::1", "2001:0000:0000:0001:0000:0000:0000:0001"},
    // Runs at either end.
    {{0xfe80, 0, 0, 0, 0, 0, 0, 0}, "fe80::", "fe80:0000:0000:0000:0000:0000:0000:0000"},
    {{0, 0, 0, 0, 0, 0, 0, 1}, "::1", "0000:0000:0000:0000:0000:0000:0000:0001"},
    {{0, 0, 0, 0, 0, 0, 0, 0}, "::", "0000:0000:0000:0000:0000:0000:0000:0000"},
    // Link-local with an interface id.
    {{0xfe80, 0, 0, 0, 0x1c2, 0xa0ff, 0xfe12, 0x3456}, "fe80::1c2:a0ff:fe12:3456",
     "fe80:0000:0000:0000:01c2:a0ff:fe12:3456"},
    // IPv4-mapped and ISATAP addresses end in a dotted quad.
    {{0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201}, "::ffff:192.0.2.1",
     "0000:0000:0000:0000:0000:ffff:c000:0201"},
    {{0xfe80, 0, 0, 0, 0, 0x5efe, 0xc000, 0x0201}, "fe80::5efe:192.0.2.1",
     "fe80:0000:0000:0000:0000:5efe:c000:0201"},
    {{0x2001, 0xdb8, 0, 0, 0x200, 0x5efe, 0xc000, 0x0201}, "2001:db8::200:5efe:192.0.2.1",
     "2001:0db8:0000:0000:0200:5efe:c000:0201"},
};

}  // namespace

TEST_CASE("IPv6 addresses print as %pI6c and %pI6") {
  for (const auto& row : kIpv6Rows) {
    auto bytes = groups(row.groups);
    std::string compressed;
    wgevents::corpus::append_ipv6_compressed(compressed, bytes.data());
    std::string full;
    wgevents::corpus::append_ipv6_full(full, bytes.data());
    INFO(row.compressed);
    CHECK(compressed == row.compressed);
    CHECK(full == row.full);
  }
}

TEST_CASE("endpoints print as %pISpfsc and addresses as %pISc") {
  SocketAddress v4;
  v4.family = SocketAddress::Family::ipv4;
  v4.bytes = {192, 0, 2, 1};
  v4.port = 51820;

  SocketAddress v6;
  v6.family = SocketAddress::Family::ipv6;
  v6.bytes = groups({0xfe80, 0, 0, 0, 0, 0, 0, 1});
  v6.port = 65535;
  v6.flowinfo = 74565;
  v6.scope_id = 3;

  struct Row {
    const SocketAddress& address;
    UnspecSpelling unspec;
    const char* endpoint;
    const char* address_only;
  };
  const SocketAddress unspec;
  const Row rows[] = {
      {v4, UnspecSpelling::einval, "192.0.2.1:51820", "192.0.2.1"},
      {v6, UnspecSpelling::einval, "[fe80::1]:65535/74565%3", "fe80::1"},
      {unspec, UnspecSpelling::einval, "(einval)", "(einval)"},
      {unspec, UnspecSpelling::invalid_address, "(invalid address)", "(invalid address)"},
  };
  for (const auto& row : rows) {
    std::string endpoint;
    wgevents::corpus::append_endpoint(endpoint, row.address, row.unspec);
    std::string address;
    wgevents::corpus::append_address(address, row.address, row.unspec);
    CHECK(endpoint == row.endpoint);
    CHECK(address == row.address_only);
  }
}

TEST_CASE("numbers print as printk's %llu, %d and %5lu") {
  std::string out;
  wgevents::corpus::append_decimal(out, 18446744073709551615ULL);
  out.push_back(' ');
  wgevents::corpus::append_signed(out, -101);
  out.push_back(' ');
  wgevents::corpus::append_padded(out, 12, 5, ' ');
  out.push_back('.');
  wgevents::corpus::append_padded(out, 4567, 6, '0');
  out.push_back(' ');
  wgevents::corpus::append_padded(out, 1234567, 5, ' ');
  CHECK(out == "18446744073709551615 -101    12.004567 1234567");
}
