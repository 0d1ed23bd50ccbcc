// The metrics the exporter declares: name, type, HELP text and label names, one constant each.
// The standard process_* metrics are not here: process_metrics.h builds them as every official
// Prometheus client does.
//
// The page writers (metrics_page.cpp) and SelfMetrics take names, HELP and label names from
// here, never spell them again. docs/metrics.md describes the same list for users, and a test
// checks a real scrape against that file, so a change here without a change there fails the
// tests.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace wgevents::metric {

struct Info {
  std::string_view name;
  std::string_view type;  // "counter", "gauge" or "histogram"
  std::string_view help;
  // Label names, in the order each series carries them. In fleet mode (--syslog.host-label)
  // every domain series from the lines carries `host` before these. A histogram's series add
  // `le` to their buckets.
  std::array<std::string_view, 4> labels{};

  constexpr std::size_t label_count() const {
    std::size_t n = 0;
    while (n < labels.size() && !labels[n].empty()) ++n;
    return n;
  }
};

// Domain metrics, from the kernel's lines.
inline constexpr Info kPeerEvents{
    "wireguard_peer_events_total", "counter",
    "WireGuard kernel log lines about a peer, by interface, peer id and event.",
    {"interface", "peer", "event"}};
inline constexpr Info kInterfaceEvents{
    "wireguard_interface_events_total", "counter",
    "WireGuard kernel log lines that name no peer, by interface and event.",
    {"interface", "event"}};
inline constexpr Info kNoRouteErrors{
    "wireguard_no_route_errors_total", "counter",
    "No-route errors sending to an endpoint, by interface, endpoint address family and errno.",
    {"interface", "family", "error"}};
inline constexpr Info kLastHandshakeTimestamp{
    "wireguard_peer_last_handshake_timestamp_seconds", "gauge",
    "Unix time of the peer's last completed handshake (a new keypair).",
    {"interface", "peer"}};
inline constexpr Info kLastHandshakeAge{
    "wireguard_peer_last_handshake_age_seconds", "gauge",
    "Seconds since the peer's last completed handshake, at the time of the scrape.",
    {"interface", "peer"}};
inline constexpr Info kLastSeenTimestamp{
    "wireguard_peer_last_seen_timestamp_seconds", "gauge",
    "Unix time of the last kernel log line proving the peer sent us a packet.",
    {"interface", "peer"}};
inline constexpr Info kHandshakeAttempts{
    "wireguard_peer_handshake_attempts", "gauge",
    "Handshake attempts of the peer's current retry series; 0 after a completed handshake.",
    {"interface", "peer"}};
inline constexpr Info kEndpointInfo{
    "wireguard_peer_endpoint_info", "gauge",
    "The peer's current endpoint as a label; the value is always 1.",
    {"interface", "peer", "endpoint"}};
inline constexpr Info kEndpointChanges{
    "wireguard_peer_endpoint_changes_total", "counter",
    "Times the peer's endpoint differed from the one seen before (roaming, NAT rebinding).",
    {"interface", "peer"}};
inline constexpr Info kLastHandshakeRtt{
    "wireguard_peer_last_handshake_rtt_seconds", "gauge",
    "Seconds from the peer's last handshake initiation we sent to its response: the round trip plus the responder's work.",
    {"interface", "peer"}};
inline constexpr Info kHandshakeRtt{
    "wireguard_handshake_rtt_seconds", "histogram",
    "Handshake round trips of the interface's peers: from an initiation we sent to its response.",
    {"interface"}};
inline constexpr Info kHandshakeCompletion{
    "wireguard_handshake_completion_seconds", "histogram",
    "Seconds from the first initiation of a retry series to the new keypair: what retries cost.",
    {"interface"}};
inline constexpr Info kPeers{
    "wireguard_peers", "gauge", "Peers the exporter tracks on the interface.", {"interface"}};

// Peer identity, from the interfaces' own peer tables (identity/peer_identity.h, which writes
// these rows itself). wireguard_peer_info carries `peer` only once linked and `name` only when
// one is known; every other label is always there.
inline constexpr Info kPeerInfo{
    "wireguard_peer_info", "gauge",
    "One series per peer of an interface's peer table: its public key, its kernel id once linked, its name; always 1.",
    {"interface", "peer", "public_key", "name"}};
inline constexpr Info kPeerReceiveBytes{
    "wireguard_peer_receive_bytes_total", "counter", "Bytes received from the peer, from the peer table.",
    {"interface", "public_key"}};
inline constexpr Info kPeerTransmitBytes{
    "wireguard_peer_transmit_bytes_total", "counter", "Bytes sent to the peer, from the peer table.",
    {"interface", "public_key"}};
inline constexpr Info kPeerAllowedIpsInfo{
    "wireguard_peer_allowed_ips_info", "gauge", "One series per allowed IP block of the peer; always 1.",
    {"interface", "public_key", "allowed_ips"}};

// The exporter's own metrics.
inline constexpr Info kBuildInfo{
    "wireguard_events_exporter_build_info", "gauge",
    "Version and revision the exporter was built from; the value is always 1.",
    {"version", "revision"}};
inline constexpr Info kMessagesReceived{
    "wireguard_events_exporter_messages_received_total", "counter",
    "Syslog messages taken in, by transport.", {"transport"}};
inline constexpr Info kReceivedBytes{
    "wireguard_events_exporter_received_bytes_total", "counter",
    "Bytes of the syslog messages taken in, by transport.", {"transport"}};
inline constexpr Info kLines{
    "wireguard_events_exporter_lines_total", "counter",
    "Messages taken in, by what became of them: event, ignored, unknown, malformed or rejected.",
    {"result"}};
inline constexpr Info kReceiveDrops{
    "wireguard_events_exporter_receive_drops_total", "counter",
    "Messages the kernel dropped before the exporter could read them, by transport.", {"transport"}};
inline constexpr Info kRatelimitSuppressed{
    "wireguard_events_exporter_kernel_ratelimit_suppressed_total", "counter",
    "Kernel messages lost to the kernel's own rate limit, as reported by net_ratelimit lines."};
inline constexpr Info kHosts{
    "wireguard_events_exporter_hosts", "gauge", "Hosts whose lines the exporter counts now."};
inline constexpr Info kPeersEvicted{
    "wireguard_events_exporter_peers_evicted_total", "counter",
    "Peers dropped, with their series, because the tracked peers reached --peers.max."};
inline constexpr Info kLastMessageTimestamp{
    "wireguard_events_exporter_last_message_timestamp_seconds", "gauge",
    "Unix time of the last message taken in."};
inline constexpr Info kConnectionsRefused{
    "wireguard_events_exporter_connections_refused_total", "counter",
    "Syslog connections refused: over --syslog.tcp-max-connections, outside --syslog.allowed-sources, "
    "or a failed TLS handshake.",
    {"transport"}};

inline constexpr Info kPeerTableReads{
    "wireguard_events_exporter_peer_table_reads_total", "counter",
    "Reads of an interface's peer table, by result: ok or error.", {"interface", "result"}};
inline constexpr Info kPeersUnresolved{
    "wireguard_events_exporter_peers_unresolved", "gauge",
    "Peers whose kernel id and public key are not linked: table peers without an id plus tracked ids without a table peer.",
    {"interface"}};

}  // namespace wgevents::metric
