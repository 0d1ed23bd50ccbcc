// What one WireGuard kernel log line says, as plain values.
//
// An Event is produced by Parser::parse() (parse.h). Its string_views point into the message
// that was parsed: they are valid only as long as that buffer is. Everything else is copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wgevents {

// Every message body the WireGuard module prints, one enumerator per `event` label value
// (docs/events.md). Peer events come first, then interface events, then lines that are not
// WireGuard's but that the exporter counts (the kernel's own rate-limit report).
enum class EventKind : std::uint8_t {
  // Events that name a peer: wireguard_peer_events_total.
  handshake_initiation_received,
  handshake_response_received,
  keepalive_received,
  unallowed_src_ip,
  invalid_packet_type,
  invalid_packet_size,
  handshake_initiation_sent,
  handshake_response_sent,
  keepalive_sent,
  handshake_gave_up,
  handshake_retry,
  handshake_stale_retry,
  keys_zeroed,
  peer_created,
  peer_destroyed,
  no_endpoint,
  keypair_created,
  keypair_destroyed,
  packet_delivery_failed,
  // Userspace implementations only (wireguard-go, amneziawg-go; docs/events.md).
  handshake_replay,
  handshake_flood,
  handshake_send_failed,
  data_send_failed,
  handshake_error,
  // Events that name no peer: wireguard_interface_events_total.
  cookie_decrypt_failed,
  cookie_response_received,
  invalid_mac,
  invalid_handshake_initiation,
  invalid_handshake_response,
  invalid_nonce,
  handshake_dropped,
  cookie_response_sent,
  invalid_ip_packet,
  no_allowed_ips_match,
  no_route,
  interface_created,
  interface_destroyed,
  namespace_exiting,
  routing_loop_avoided,
  invalid_packet,
  // Userspace implementations only.
  interface_up,
  interface_down,
  all_peers_removed,
  handshake_decode_failed,
  cookie_response_failed,
  cookie_response_blocked,
  tun_error,
  bind_error,
  uapi_error,
  daemon_error,
  obfuscation_failed,
  // `net_ratelimit: N callbacks suppressed`: the kernel's report of lines it did not print.
  kernel_ratelimit_suppressed,
};

inline constexpr std::size_t kPeerEventCount = 24;
inline constexpr std::size_t kInterfaceEventCount = 27;
inline constexpr std::size_t kEventKindCount = kPeerEventCount + kInterfaceEventCount + 1;

constexpr bool is_peer_event(EventKind kind) {
  return static_cast<std::size_t>(kind) < kPeerEventCount;
}
constexpr bool is_interface_event(EventKind kind) {
  auto i = static_cast<std::size_t>(kind);
  return i >= kPeerEventCount && i < kPeerEventCount + kInterfaceEventCount;
}
// Index of a peer event in [0, kPeerEventCount), of an interface event in [0, kInterfaceEventCount).
constexpr std::size_t peer_event_index(EventKind kind) { return static_cast<std::size_t>(kind); }
constexpr std::size_t interface_event_index(EventKind kind) {
  return static_cast<std::size_t>(kind) - kPeerEventCount;
}

// The `event` label value ("handshake_initiation_received", ...).
std::string_view event_name(EventKind kind);
// The inverse of event_name(); nullopt for an unknown name.
std::optional<EventKind> event_kind_from_name(std::string_view name);

// An IP address as the kernel printed it, in network byte order.
struct IpAddress {
  enum class Family : std::uint8_t { none, ipv4, ipv6 };
  Family family = Family::none;
  std::array<std::uint8_t, 16> bytes{};  // the first 4 for IPv4

  bool known() const { return family != Family::none; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A peer's UDP endpoint (`%pISpfsc`). Family none stands for the kernel's `(einval)` /
// `(invalid address)`: a peer whose endpoint is not known yet.
struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t flowinfo = 0;  // IPv6 only
  std::uint32_t scope_id = 0;  // IPv6 only

  bool known() const { return address.known(); }
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// How a line names its peer: the kernel by its internal id, userspace implementations
// (wireguard-go, amneziawg-go) by an abbreviation of the peer's public key, `BfzC…3sz4`.
enum class PeerNaming : std::uint8_t { kernel_id, key_abbreviation };

// A key abbreviation as printed: 4 base64 characters, U+2026 (3 bytes), 4 base64 characters.
inline constexpr std::size_t kKeyAbbreviationBytes = 11;

// Packs a printed abbreviation into 48 bits (6 per base64 character); nullopt when `printed`
// is not one.
std::optional<std::uint64_t> pack_key_abbreviation(std::string_view printed);
// Writes a packed abbreviation back as printed; returns kKeyAbbreviationBytes.
std::size_t write_key_abbreviation(std::uint64_t packed, char* out);
// Whether a base64 public key (44 characters, as `wg` prints it) abbreviates to `packed`.
bool key_has_abbreviation(std::string_view base64_key, std::uint64_t packed);

// One recognised line. Which fields are set depends on the kind; the rest stay zero.
struct Event {
  EventKind kind = EventKind::peer_created;
  std::string_view module;     // "wireguard", or "amneziawg" for the AmneziaWG fork; a
                               // userspace implementation's line: "wireguard-go" (a constant)
  std::string_view interface;  // 1..15 bytes; empty for kernel_ratelimit_suppressed
  bool has_peer = false;
  PeerNaming peer_naming = PeerNaming::kernel_id;
  std::uint64_t peer = 0;      // the kernel's peer id, or a packed key abbreviation
  // wireguard-go prints no line when a handshake completes: its response sent (responder) or
  // received (initiator) stands for the kernel's keypair_created, which this flag asks for.
  bool completes_handshake = false;
  Endpoint endpoint;           // the peer's endpoint, or the packet source for interface events
  IpAddress address;           // unallowed_src_ip: inner source; no_allowed_ips_match: destination
  std::uint64_t keypair_id = 0;
  std::int32_t attempts = 0;   // handshake_gave_up
  std::int32_t seconds = 0;    // handshake_retry, handshake_stale_retry, keys_zeroed
  std::int32_t try_number = 0; // handshake_retry
  std::int32_t error = 0;      // no_route: the kernel's negative errno
  std::uint64_t nonce = 0;     // invalid_nonce
  std::uint64_t nonce_max = 0; // invalid_nonce
  std::uint64_t suppressed = 0;  // kernel_ratelimit_suppressed: N callbacks
};

}  // namespace wgevents
