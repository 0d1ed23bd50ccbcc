// What one WireGuard kernel log line says, as plain values.
//
// An Event is produced by Parser::parse() (parse.h). Its string_views point into the message
// that was parsed: they are valid only as long as that buffer is. Everything else is copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace wgevents {

// Every kind of line the exporter counts, one enumerator per `event` label value
// (docs/events.md). kEvents below is the one list of them: the enum only names its rows, and the
// compiler checks that both are in the same order (the kernel's formats are in the parser's
// table, parser/src/event_table.cpp).
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

// Which family counts an event: wireguard_peer_events_total, wireguard_interface_events_total,
// or neither (a line about the kernel, not WireGuard).
enum class EventScope : std::uint8_t { peer, interface, kernel };

// Who prints the line: the kernel module (and then a format in the parser's table,
// parser/src/event_table.cpp; userspace implementations may print it too), only the userspace
// implementations (parser/src/userspace.cpp), or the kernel itself.
enum class PrintedBy : std::uint8_t { kernel_module, userspace_only, kernel_itself };

struct EventInfo {
  EventKind kind;
  std::string_view name;  // the `event` label value
  EventScope scope;
  PrintedBy printed_by;
};

// Adding a kind of line (docs/architecture.md): an enumerator above and a row here in the same
// place (rows are grouped by scope: peer, then interface, then kernel), a format in the parser's
// table and a test row. A row out of place does not compile.
inline constexpr EventInfo kEvents[] = {
    // Events that name a peer: wireguard_peer_events_total.
    {EventKind::handshake_initiation_received, "handshake_initiation_received", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_response_received, "handshake_response_received", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::keepalive_received, "keepalive_received", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::unallowed_src_ip, "unallowed_src_ip", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::invalid_packet_type, "invalid_packet_type", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::invalid_packet_size, "invalid_packet_size", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_initiation_sent, "handshake_initiation_sent", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_response_sent, "handshake_response_sent", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::keepalive_sent, "keepalive_sent", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_gave_up, "handshake_gave_up", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_retry, "handshake_retry", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_stale_retry, "handshake_stale_retry", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::keys_zeroed, "keys_zeroed", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::peer_created, "peer_created", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::peer_destroyed, "peer_destroyed", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::no_endpoint, "no_endpoint", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::keypair_created, "keypair_created", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::keypair_destroyed, "keypair_destroyed", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::packet_delivery_failed, "packet_delivery_failed", EventScope::peer, PrintedBy::kernel_module},
    {EventKind::handshake_replay, "handshake_replay", EventScope::peer, PrintedBy::userspace_only},
    {EventKind::handshake_flood, "handshake_flood", EventScope::peer, PrintedBy::userspace_only},
    {EventKind::handshake_send_failed, "handshake_send_failed", EventScope::peer, PrintedBy::userspace_only},
    {EventKind::data_send_failed, "data_send_failed", EventScope::peer, PrintedBy::userspace_only},
    {EventKind::handshake_error, "handshake_error", EventScope::peer, PrintedBy::userspace_only},
    // Events that name no peer: wireguard_interface_events_total.
    {EventKind::cookie_decrypt_failed, "cookie_decrypt_failed", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::cookie_response_received, "cookie_response_received", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::invalid_mac, "invalid_mac", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::invalid_handshake_initiation, "invalid_handshake_initiation", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::invalid_handshake_response, "invalid_handshake_response", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::invalid_nonce, "invalid_nonce", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::handshake_dropped, "handshake_dropped", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::cookie_response_sent, "cookie_response_sent", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::invalid_ip_packet, "invalid_ip_packet", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::no_allowed_ips_match, "no_allowed_ips_match", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::no_route, "no_route", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::interface_created, "interface_created", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::interface_destroyed, "interface_destroyed", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::namespace_exiting, "namespace_exiting", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::routing_loop_avoided, "routing_loop_avoided", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::invalid_packet, "invalid_packet", EventScope::interface, PrintedBy::kernel_module},
    {EventKind::interface_up, "interface_up", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::interface_down, "interface_down", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::all_peers_removed, "all_peers_removed", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::handshake_decode_failed, "handshake_decode_failed", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::cookie_response_failed, "cookie_response_failed", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::cookie_response_blocked, "cookie_response_blocked", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::tun_error, "tun_error", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::bind_error, "bind_error", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::uapi_error, "uapi_error", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::daemon_error, "daemon_error", EventScope::interface, PrintedBy::userspace_only},
    {EventKind::obfuscation_failed, "obfuscation_failed", EventScope::interface, PrintedBy::userspace_only},
    // `net_ratelimit: N callbacks suppressed`: the kernel's report of lines it did not print.
    {EventKind::kernel_ratelimit_suppressed, "kernel_ratelimit_suppressed", EventScope::kernel, PrintedBy::kernel_itself},
};

inline constexpr std::size_t kEventKindCount = std::size(kEvents);

constexpr std::size_t event_count(EventScope scope) {
  std::size_t n = 0;
  for (const auto& row : kEvents) n += row.scope == scope ? 1 : 0;
  return n;
}
inline constexpr std::size_t kPeerEventCount = event_count(EventScope::peer);
inline constexpr std::size_t kInterfaceEventCount = event_count(EventScope::interface);

// Each row at its enumerator's index, scopes in order: a peer event's index is then its place
// among the peer events, and an interface event's follows kPeerEventCount.
constexpr bool event_rows_well_formed() {
  for (std::size_t i = 0; i < kEventKindCount; ++i) {
    if (static_cast<std::size_t>(kEvents[i].kind) != i) return false;
    if (i > 0 && kEvents[i].scope < kEvents[i - 1].scope) return false;
  }
  return true;
}
static_assert(event_rows_well_formed(),
              "kEvents: one row per EventKind, in enum order, peer events first, then interface events");

constexpr const EventInfo& event_info(EventKind kind) { return kEvents[static_cast<std::size_t>(kind)]; }
constexpr bool is_peer_event(EventKind kind) { return event_info(kind).scope == EventScope::peer; }
constexpr bool is_interface_event(EventKind kind) { return event_info(kind).scope == EventScope::interface; }
// Index of a peer event in [0, kPeerEventCount), of an interface event in [0, kInterfaceEventCount).
constexpr std::size_t peer_event_index(EventKind kind) { return static_cast<std::size_t>(kind); }
constexpr std::size_t interface_event_index(EventKind kind) {
  return static_cast<std::size_t>(kind) - kPeerEventCount;
}
// The inverses: the event at an index.
constexpr EventKind peer_event_kind(std::size_t index) { return kEvents[index].kind; }
constexpr EventKind interface_event_kind(std::size_t index) { return kEvents[kPeerEventCount + index].kind; }

// The `event` label value ("handshake_initiation_received", ...).
constexpr std::string_view event_name(EventKind kind) { return event_info(kind).name; }
// The inverse of event_name(); nullopt for an unknown name.
constexpr std::optional<EventKind> event_kind_from_name(std::string_view name) {
  for (const auto& row : kEvents) {
    if (row.name == name) return row.kind;
  }
  return std::nullopt;
}

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
