#include "wireguard_state.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace wgevents {
namespace {

// Lines that prove the peer sent us something (metrics.md, last_seen_timestamp_seconds).
constexpr bool proves_peer_sent(EventKind kind) {
  switch (kind) {
    case EventKind::handshake_initiation_received:
    case EventKind::handshake_response_received:
    case EventKind::keepalive_received:
    case EventKind::unallowed_src_ip:
    case EventKind::invalid_packet_type:
    case EventKind::invalid_packet_size:
    case EventKind::packet_delivery_failed:
    case EventKind::keypair_created:
      return true;
    default:
      return false;
  }
}

// The endpoint label keeps address, port and scope; flowinfo alone changing is no roaming.
bool same_endpoint(const Endpoint& a, const Endpoint& b) {
  return a.address == b.address && a.port == b.port && a.scope_id == b.scope_id;
}

// What IPv4 and IPv6 route lookups, policy routing rules and IPsec policy lookups return to
// WireGuard's send path (net/ipv4/route.c, fib_semantics.c, net/ipv6/route.c, ip6_output.c,
// net/xfrm/xfrm_policy.c in Linux 6.1).
constexpr std::array<std::int32_t, kNoRouteErrorValues - 1> kRouteLookupErrnos = {
    EPERM,  ENOENT,  ESRCH,        EAGAIN,        ENOMEM,   EACCES,      ENODEV,  EINVAL,
    EREMOTE, EMSGSIZE, EAFNOSUPPORT, EADDRNOTAVAIL, ENETDOWN, ENETUNREACH, ENOBUFS, EHOSTUNREACH,
};

}  // namespace

std::int32_t bounded_no_route_error(std::int32_t error) {
  if (error >= 0 || error == INT32_MIN) return kNoRouteOtherError;
  const bool known = std::find(kRouteLookupErrnos.begin(), kRouteLookupErrnos.end(), -error) !=
                     kRouteLookupErrnos.end();
  return known ? error : kNoRouteOtherError;
}

// The index grows with the peers actually seen: sized up front for --peers.max, a generous cap
// would cost its memory before a single peer arrives.
WireguardState::WireguardState(StateLimits limits) : limits_(limits) {}

int WireguardState::find_or_add_host(std::string_view host) {
  if (last_host_ < hosts_.size() && hosts_[last_host_] == host) return last_host_;
  if (auto it = host_index_.find(host); it != host_index_.end()) return last_host_ = it->second;
  if (hosts_.size() >= limits_.max_hosts || hosts_.size() >= UINT16_MAX) return -1;
  last_host_ = static_cast<std::uint16_t>(hosts_.size());
  hosts_.emplace_back(host);
  host_index_.emplace(hosts_.back(), last_host_);
  interfaces_per_host_.push_back(0);
  return last_host_;
}

int WireguardState::find_or_add_interface(std::uint16_t host, std::string_view name) {
  if (last_interface_ < interfaces_.size() && interfaces_[last_interface_].host == host &&
      interfaces_[last_interface_].name == name) {
    return last_interface_;
  }
  // A host has a handful of interfaces: a scan beats hashing the name.
  if (interfaces_.size() <= 8) {
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
      if (interfaces_[i].host == host && interfaces_[i].name == name) {
        return last_interface_ = static_cast<std::uint16_t>(i);
      }
    }
  }
  // Interface names are at most 15 bytes: the key fits on the stack.
  char key[2 + 64];
  if (name.size() > sizeof key - 2) return -1;
  std::memcpy(key, &host, 2);
  std::memcpy(key + 2, name.data(), name.size());
  const std::string_view key_view(key, 2 + name.size());
  if (auto it = interface_index_.find(key_view); it != interface_index_.end()) {
    return last_interface_ = it->second;
  }
  if (interfaces_per_host_[host] >= limits_.max_interfaces || interfaces_.size() >= UINT16_MAX) return -1;
  interfaces_per_host_[host]++;
  last_interface_ = static_cast<std::uint16_t>(interfaces_.size());
  InterfaceState& added = interfaces_.emplace_back();
  added.host = host;
  added.name = name;
  interface_index_.emplace(std::string(key_view), last_interface_);
  return last_interface_;
}

WireguardState::Outcome WireguardState::apply(const Event& event, double now, std::string_view host_name,
                                              double stamp) {
  int host = find_or_add_host(host_name);
  if (host < 0) return Outcome::rejected;
  int interface = find_or_add_interface(static_cast<std::uint16_t>(host), event.interface);
  if (interface < 0) return Outcome::rejected;
  InterfaceState& iface = interfaces_[static_cast<std::size_t>(interface)];

  if (is_interface_event(event.kind)) {
    iface.events[interface_event_index(event.kind)]++;
    if (event.kind == EventKind::no_route) {
      const std::int32_t error = bounded_no_route_error(event.error);
      bool found = false;
      for (auto& n : iface.no_route) {
        if (n.family == event.endpoint.address.family && n.error == error) {
          n.count++;
          found = true;
          break;
        }
      }
      if (!found) iface.no_route.push_back({event.endpoint.address.family, error, 1});
    } else if (event.kind == EventKind::interface_destroyed || event.kind == EventKind::all_peers_removed) {
      for (std::uint32_t slot = 0; slot < peers_.size(); ++slot) {
        if (peers_[slot].in_use && peers_[slot].interface == interface) remove_peer(slot);
      }
    }
    return Outcome::counted;
  }

  if (!is_peer_event(event.kind) || !event.has_peer) return Outcome::counted;
  std::uint32_t slot = find_or_add_peer(static_cast<std::uint16_t>(interface), event.peer_naming, event.peer);
  PeerState& peer = peers_[slot];
  apply_peer_event(peer, event, now);
  time_handshake(peer, iface, event.kind, stamp);
  if (event.completes_handshake) {
    Event keypair = event;
    keypair.kind = EventKind::keypair_created;
    apply_peer_event(peer, keypair, now);
    time_handshake(peer, iface, keypair.kind, stamp);
  }
  // The peer's series go with it, the final count included (metrics.md).
  if (event.kind == EventKind::peer_destroyed) remove_peer(slot);
  return Outcome::counted;
}

void WireguardState::apply_peer_event(PeerState& peer, const Event& event, double now) {
  peer.events[peer_event_index(event.kind)]++;
  if (event.endpoint.known()) {
    if (peer.endpoint.known() && !same_endpoint(peer.endpoint, event.endpoint)) {
      peer.endpoint_changes++;
    }
    peer.endpoint = event.endpoint;  // a later (einval) keeps the endpoint we know
  }
  if (proves_peer_sent(event.kind)) peer.last_seen = now;
  switch (event.kind) {
    case EventKind::keypair_created:
      peer.last_handshake = now;
      peer.handshake_attempts = 0;
      break;
    case EventKind::handshake_retry:
      peer.handshake_attempts = event.try_number;
      break;
    case EventKind::handshake_gave_up:
      peer.handshake_attempts = event.attempts;
      break;
    default:
      break;
  }
}

// The pairing rules of docs/metrics.md, "Handshake timing". Lines may come late, twice or out of
// order (UDP), so a pair is observed only when it runs forwards and within the longest duration
// the protocol allows; anything else observes nothing.
void WireguardState::time_handshake(PeerState& peer, InterfaceState& iface, EventKind kind, double stamp) {
  switch (kind) {
    case EventKind::handshake_initiation_sent:
      if (!has_stamp(stamp)) {
        peer.rtt_started = kNoStamp;  // when it left is unknown: its response pairs with nothing
        return;
      }
      // A retry restarts the round trip; an initiation stamped before the one awaited came late.
      if (!has_stamp(peer.rtt_started) || stamp >= peer.rtt_started) peer.rtt_started = stamp;
      // A series in flight for longer than any series lasts lost its end (a missed line).
      if (has_stamp(peer.series_started) && stamp - peer.series_started > kMaxHandshakeCompletion) {
        peer.series_started = kNoStamp;
      }
      if (!has_stamp(peer.series_started) || stamp < peer.series_started) peer.series_started = stamp;
      return;
    case EventKind::handshake_response_received: {
      if (!has_stamp(stamp) || !has_stamp(peer.rtt_started)) return;
      const double rtt = stamp - peer.rtt_started;
      if (rtt < 0) return;  // answers an earlier initiation; the one awaited is still out
      peer.rtt_started = kNoStamp;  // answered: a duplicate line observes nothing
      if (rtt > kMaxHandshakeRtt) return;
      peer.last_rtt = rtt;
      iface.handshake_rtt.observe(kHandshakeRttBuckets, rtt);
      return;
    }
    case EventKind::keypair_created: {
      peer.rtt_started = kNoStamp;  // a new session: no initiation of ours is awaited any more
      if (!has_stamp(stamp) || !has_stamp(peer.series_started)) return;
      const double took = stamp - peer.series_started;
      if (took < 0) return;
      peer.series_started = kNoStamp;
      if (took <= kMaxHandshakeCompletion) iface.handshake_completion.observe(kHandshakeCompletionBuckets, took);
      return;
    }
    case EventKind::handshake_gave_up:
    case EventKind::keys_zeroed:
      // The series ends unobserved: a give-up is counted as one, not as a duration.
      peer.rtt_started = kNoStamp;
      peer.series_started = kNoStamp;
      return;
    default:
      return;
  }
}

std::uint32_t WireguardState::find_or_add_peer(std::uint16_t interface, PeerNaming naming, std::uint64_t id) {
  PeerKey key{interface, naming, id};
  if (auto it = peer_index_.find(key); it != peer_index_.end()) {
    lru_unlink(it->second);
    lru_push_newest(it->second);
    return it->second;
  }
  if (peer_index_.size() >= limits_.max_peers && lru_oldest_ != kNoSlot) {
    remove_peer(lru_oldest_);
    peers_evicted_++;
  }
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(peers_.size());
    peers_.emplace_back();
  }
  PeerState& peer = peers_[slot];
  peer = PeerState{};
  peer.in_use = true;
  peer.interface = interface;
  peer.id = id;
  peer.naming = naming;
  peer.created = ++peers_created_;
  peer_index_.emplace(key, slot);
  interfaces_[interface].peers++;
  lru_push_newest(slot);
  return slot;
}

void WireguardState::remove_peer(std::uint32_t slot) {
  PeerState& peer = peers_[slot];
  if (!peer.in_use) return;
  lru_unlink(slot);
  peer_index_.erase(PeerKey{peer.interface, peer.naming, peer.id});
  interfaces_[peer.interface].peers--;
  peer.in_use = false;
  free_slots_.push_back(slot);
}

void WireguardState::lru_unlink(std::uint32_t slot) {
  PeerState& peer = peers_[slot];
  if (peer.lru_prev != kNoSlot) peers_[peer.lru_prev].lru_next = peer.lru_next;
  else lru_oldest_ = peer.lru_next;
  if (peer.lru_next != kNoSlot) peers_[peer.lru_next].lru_prev = peer.lru_prev;
  else lru_newest_ = peer.lru_prev;
  peer.lru_prev = peer.lru_next = kNoSlot;
}

void WireguardState::lru_push_newest(std::uint32_t slot) {
  PeerState& peer = peers_[slot];
  peer.lru_prev = lru_newest_;
  peer.lru_next = kNoSlot;
  if (lru_newest_ != kNoSlot) peers_[lru_newest_].lru_next = slot;
  lru_newest_ = slot;
  if (lru_oldest_ == kNoSlot) lru_oldest_ = slot;
}

}  // namespace wgevents
