// Links the kernel's peer ids (all the log lines know) to public keys (what the peer table
// knows), per interface, from what both show. docs/metrics.md, "Peer identity", is the rule:
//
// - Endpoint: a tracked id whose last line gave endpoint E, and exactly one table peer with
//   endpoint E, are one peer. Two or more table peers with E link nothing.
// - Creation order (kernel tables only): the kernel numbers peers from one global counter as it
//   creates them and lists each interface's peers in creation order. When `Peer N created` was
//   seen for as many tracked ids as the table has peers, the n-th smallest of those ids is the
//   n-th table peer.
// - Key abbreviation (userspace implementations): wireguard-go and amneziawg-go name a peer in
//   their log by `BfzC…3sz4`, the first and last characters of its key. One table key with
//   that abbreviation links it; two (48 bits can collide) link nothing.
// - A wrong link is worse than none: an id whose two signals name different table peers, and
//   a table peer claimed by two ids, stay unresolved.
//
// Computed afresh from the state and the table at each scrape, so a link goes with its peer
// (peer_destroyed, removal from the table, the interface gone) and a roaming peer's next line
// is matched again, with nothing remembered in between.
//
// Pure functions; no I/O, no threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "identity/peer_table.h"

namespace wgevents {

// What the exporter's state knows of one peer id on the interface.
struct TrackedPeer {
  std::uint64_t id = 0;       // a kernel id, or a packed key abbreviation (event.h)
  PeerNaming naming = PeerNaming::kernel_id;
  Endpoint endpoint;          // from its last line; family none while unknown
  bool creation_seen = false; // a `Peer N created` line was counted for it
};

struct InterfaceLinks {
  // For each table peer (same index as InterfaceTable::peers), the tracked peer linked to it
  // (only its id and naming are meaningful).
  std::vector<std::optional<TrackedPeer>> id_of_peer;
  // Table peers without an id plus tracked ids without a table peer
  // (wireguard_events_exporter_peers_unresolved).
  std::size_t unresolved = 0;
};

InterfaceLinks link_peers(const InterfaceTable& table, std::span<const TrackedPeer> tracked);

// Every tracked id unresolved: the interface has no table here (another network namespace,
// or the table could not be read).
inline InterfaceLinks no_table_links(std::span<const TrackedPeer> tracked) {
  return InterfaceLinks{{}, tracked.size()};
}

}  // namespace wgevents
