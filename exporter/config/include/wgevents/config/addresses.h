// The address syntaxes of the command line: where to listen, and which senders to accept.
//
// Parsing is pure: no name resolution, no sockets. A host name in a listen address is kept as
// written; the code that opens the socket resolves it. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wgevents/parser/event.h"

namespace wgevents {

// A TCP or UDP listen address as written in a flag: `host:port`, `[v6]:port` or `:port`.
struct ListenAddress {
  // An IPv4 literal ("127.0.0.1"), an IPv6 literal without brackets ("::1"), or a host name
  // ("localhost"). Empty when any_host is set.
  std::string host;
  std::uint16_t port = 0;  // 0 asks the kernel for a free port
  // `:port`: every local address, IPv4 and IPv6.
  bool any_host = false;

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// Parses `host:port`, `[v6]:port` or `:port`. nullopt for anything else: a missing or
// non-numeric port, a port above 65535, an unbracketed IPv6 literal, a malformed IPv4 literal
// ("1.2.3", "256.0.0.1"), an IPv6 zone ("[fe80::1%eth0]") or a host name that DNS would refuse.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

// The same, with a one-phrase reason on failure ("port 70000 out of range (0-65535)").
// On success `problem` is left untouched.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& problem);

// The inverse of parse_listen_address(): ":9588", "127.0.0.1:9999", "[::1]:9588". For logs.
std::string format_listen_address(const ListenAddress& address);

// An address block: every address whose first prefix_length bits equal network's.
struct Cidr {
  IpAddress network;  // host bits are zero
  int prefix_length = 0;

  // Whether the block holds `address`. IPv4 senders seen through a dual-stack IPv6 socket
  // (::ffff:a.b.c.d) are matched against IPv4 blocks, and IPv4 addresses against blocks of
  // the ::ffff:0:0/96 range, so an allow list behaves the same whichever socket family is used.
  bool contains(const IpAddress& address) const;

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// One block: "10.0.0.0/8", "fd00::/8", or a bare address meaning /32 or /128. Host bits set
// below the prefix ("10.1.2.3/8") are cleared, as Go's net.ParseCIDR does. No surrounding
// spaces; nullopt for anything else.
std::optional<Cidr> parse_cidr(std::string_view text);

// A comma-separated list of blocks, spaces around each allowed. An empty (or all-space) text is
// an empty list; an empty entry between commas, or any bad entry, makes the whole list nullopt.
std::optional<std::vector<Cidr>> parse_cidr_list(std::string_view text);

// The same, with a one-phrase reason naming the bad entry ("bad CIDR '10.0.0.0/33'").
// On success `problem` is left untouched.
std::optional<std::vector<Cidr>> parse_cidr_list(std::string_view text, std::string& problem);

// "10.0.0.0/8", "fd00::/8". For logs.
std::string format_cidr(const Cidr& cidr);

}  // namespace wgevents
