// What the exporter reads from a WireGuard interface's own peer table (the kernel over generic
// netlink, or a userspace implementation over its UAPI socket): one plain record per peer.
//
// Only public facts are kept. The readers skip the device's private key and each peer's
// preshared key without copying them anywhere, so no key that must stay secret can reach a
// label, a log line or a core dump of this process's heap.
//
// Plain values; no I/O, no threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wgevents/parser/event.h"

namespace wgevents {

// A Curve25519 public key, 32 bytes.
using PublicKey = std::array<std::uint8_t, 32>;

// `xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=`: base64 as `wg` prints it (44 characters).
std::string base64_key(const PublicKey& key);
void append_base64_key(std::string& out, const PublicKey& key);
// The inverse; nullopt unless `text` is exactly 44 characters of standard base64 for 32 bytes.
std::optional<PublicKey> parse_base64_key(std::string_view text);
// 64 hexadecimal digits (the UAPI's form); nullopt otherwise.
std::optional<PublicKey> parse_hex_key(std::string_view text);

struct PublicKeyHash {
  std::size_t operator()(const PublicKey& key) const {
    std::size_t h;
    static_assert(sizeof h <= sizeof(PublicKey));
    __builtin_memcpy(&h, key.data(), sizeof h);  // a public key is uniformly random already
    return h;
  }
};

// One allowed-IP block, `10.7.0.2/32`.
struct AllowedIp {
  IpAddress address;
  std::uint8_t prefix = 0;
  friend bool operator==(const AllowedIp&, const AllowedIp&) = default;
};
// `10.7.0.2/32`, `fd00::2/128`.
void append_allowed_ip(std::string& out, const AllowedIp& block);

struct TablePeer {
  PublicKey public_key{};
  Endpoint endpoint;             // family none: no endpoint yet
  double last_handshake = 0;     // Unix seconds; 0: never
  std::uint64_t receive_bytes = 0;
  std::uint64_t transmit_bytes = 0;
  std::vector<AllowedIp> allowed_ips;
  std::uint32_t allowed_ips_dropped = 0;  // blocks over TableLimits::max_allowed_ips
};

enum class TableSource : std::uint8_t { kernel, userspace };

// One interface's table, peers in the order the implementation listed them (the kernel's is
// creation order).
struct InterfaceTable {
  std::string name;
  TableSource source = TableSource::kernel;
  std::vector<TablePeer> peers;
  std::uint32_t peers_dropped = 0;  // peers over TableLimits::max_peers
};

// Bounds on what one table may hold, so that a broken or hostile implementation cannot make
// the exporter grow without end. The table is the host's own, so these are generous.
struct TableLimits {
  std::size_t max_peers = 100000;       // per interface
  std::size_t max_allowed_ips = 1024;   // per peer
};

// Adds `block` to `peer` unless the peer has max_allowed_ips already (then counts it dropped).
void add_allowed_ip(TablePeer& peer, const AllowedIp& block, const TableLimits& limits);

// The longest interface name Linux allows (IFNAMSIZ - 1), and the check every reader applies
// to a name before it becomes a label: 1..15 printable bytes, no `/`, no space.
inline constexpr std::size_t kMaxInterfaceName = 15;
bool valid_interface_name(std::string_view name);

}  // namespace wgevents
