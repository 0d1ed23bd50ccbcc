// Datagrams an attacker (or a broken relay) can send to an open syslog port, made
// deterministically from a seed so that a failing run can be repeated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace wgevents::testing {

enum class HostileKind : std::uint8_t {
  random_bytes,       // 0 to 1500 random bytes, the empty datagram included
  truncated_header,   // a real line cut inside its syslog header or kernel prefix
  max_datagram,       // 65507 bytes, the largest UDP payload over IPv4
  nul_bytes,          // a real line with NULs in it
  invalid_utf8,       // a real line with a byte sequence that is not UTF-8
  long_peer_id,       // a peer or keypair id of 20-21 digits, over 64 bits
  long_interface,     // an interface name of 16 bytes, over the kernel's IFNAMSIZ - 1
  huge_number,        // a port, errno, try or attempt count, nonce or address octet out of range
  label_injection,    // an interface name made of characters that need escaping in a label
  valid,              // a real keepalive line from one of many peers on wg0
};
inline constexpr std::size_t kHostileKindCount = 10;

std::string_view hostile_kind_name(HostileKind kind);

// Whether the exporter must count a datagram of this kind as `malformed` (documented in
// docs/events.md: a field out of range, an interface name over 15 bytes).
constexpr bool always_malformed(HostileKind kind) {
  return kind == HostileKind::long_peer_id || kind == HostileKind::long_interface ||
         kind == HostileKind::huge_number;
}

class HostileDatagrams {
 public:
  // `max_datagram_share`: one datagram in this many is 64 KiB (they dominate the bytes sent).
  explicit HostileDatagrams(std::uint64_t seed, std::size_t max_datagram_share = 100);

  // The next datagram; its kind is recorded in counts().
  std::string next();
  HostileKind last_kind() const { return last_; }
  const std::array<std::size_t, kHostileKindCount>& counts() const { return counts_; }

 private:
  std::string real_line();
  std::string envelope();
  std::string random_bytes(std::size_t n);

  std::mt19937_64 random_;
  std::size_t max_datagram_share_;
  HostileKind last_ = HostileKind::valid;
  std::array<std::size_t, kHostileKindCount> counts_{};
};

}  // namespace wgevents::testing
