// Scrape-time identity: reads every WireGuard peer table of this host (kernel and UAPI), links
// the state's peer ids to public keys (peer_links.h). The metrics page writes what a snapshot
// holds (metrics/identity_rows.h; docs/metrics.md, "Peer identity").
//
// PeerIdentity lives as long as the daemon and keeps what must persist between scrapes: the
// names (replaced on SIGHUP), the read counters, and which interfaces failed (so a failing
// interface is logged when it starts failing, not at every scrape). Each scrape takes a
// PeerIdentitySnapshot: immutable, owned by the page being written (shared_ptr), so a page
// written in pieces keeps its tables while new lines arrive.
//
// Used on the io_context thread only. A read blocks that thread for at most
// PeerIdentitySettings::timeout (the sockets are polled against one deadline).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity/peer_links.h"
#include "identity/peer_names.h"
#include "identity/peer_table.h"
#include "identity/table_readers.h"
#include "state/wireguard_state.h"

namespace wgevents {

class Log;

struct PeerIdentitySettings {
  bool kernel = true;           // read the kernel's tables over netlink
  std::string uapi_dir;         // --wireguard.uapi-dir; empty: no UAPI sockets
  std::chrono::milliseconds timeout{2000};  // for all the tables of one scrape together
  TableLimits limits;
  std::size_t max_interfaces = 64;          // --interfaces.max
};

// One interface as a scrape saw it.
struct IdentityInterface {
  std::string name;
  std::optional<InterfaceTable> table;  // nullopt: no table here (other namespace, failed read)
  InterfaceLinks links;
};

struct PeerIdentitySnapshot {
  std::vector<IdentityInterface> interfaces;  // tables first, then interfaces only the lines know
  std::shared_ptr<const PeerNames> names;
  // Read counts per interface: [0] ok, [1] error (peer_table_reads_total).
  std::map<std::string, std::array<std::uint64_t, 2>> reads;
  // Linked ids' table handshakes, for the merge into last_handshake_timestamp_seconds:
  // (state interface index, id) -> Unix seconds.
  std::unordered_map<std::uint64_t, double> table_handshake;  // key: handshake_key()

  // Kernel ids and packed abbreviations both fit 48 bits; the naming and interface go above.
  static std::uint64_t handshake_key(std::uint16_t interface, PeerNaming naming, std::uint64_t id) {
    return (static_cast<std::uint64_t>(interface) << 49) ^ (static_cast<std::uint64_t>(naming) << 48) ^ id;
  }
  // The later of the line's and the table's handshake for a tracked peer.
  double last_handshake(const PeerState& peer) const {
    auto it = table_handshake.find(handshake_key(peer.interface, peer.naming, peer.id));
    return it == table_handshake.end() || it->second < peer.last_handshake ? peer.last_handshake : it->second;
  }
};

class PeerIdentity {
 public:
  PeerIdentity(PeerIdentitySettings settings, const Log& log);
  ~PeerIdentity();

  // Replaces the names (at start and on SIGHUP).
  void set_names(PeerNames names) { names_ = std::make_shared<const PeerNames>(std::move(names)); }

  // Reads every table and links it with `state` (single-host state: host index 0).
  std::shared_ptr<const PeerIdentitySnapshot> read(const WireguardState& state);

 private:
  void count_read(const std::string& interface, bool ok, const std::string& error);

  PeerIdentitySettings settings_;
  const Log& log_;
  KernelTableReader kernel_;
  std::shared_ptr<const PeerNames> names_;
  std::map<std::string, std::array<std::uint64_t, 2>> reads_;
  std::map<std::string, bool> failing_;  // interfaces whose last read failed (logged once)
  bool list_failing_ = false;
  bool interfaces_capped_logged_ = false;
};

}  // namespace wgevents
