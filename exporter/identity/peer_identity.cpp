#include "identity/peer_identity.h"

#include <cerrno>
#include <unordered_set>

#include <fmt/format.h>

#include "log/log.h"

namespace wgevents {

PeerIdentity::PeerIdentity(PeerIdentitySettings settings, const Log& log)
    : settings_(std::move(settings)), log_(log), names_(std::make_shared<const PeerNames>()) {}

PeerIdentity::~PeerIdentity() = default;

void PeerIdentity::count_read(const std::string& interface, bool ok, const std::string& error) {
  auto it = reads_.find(interface);
  if (it == reads_.end()) {
    if (reads_.size() >= settings_.max_interfaces) return;
    it = reads_.emplace(interface, std::array<std::uint64_t, 2>{}).first;
  }
  ++it->second[ok ? 0 : 1];
  bool& failing = failing_[interface];
  if (!ok && !failing) {
    log_.warn("cannot read the peer table; the scrape goes on without it", "interface={} err={}",
              LogValue{interface}, LogValue{error});
  } else if (ok && failing) {
    log_.info("peer table readable again", "interface={}", LogValue{interface});
  }
  failing = !ok;
}

std::shared_ptr<const PeerIdentitySnapshot> PeerIdentity::read(const WireguardState& state) {
  auto snapshot = std::make_shared<PeerIdentitySnapshot>();
  snapshot->names = names_;
  const Deadline deadline = std::chrono::steady_clock::now() + settings_.timeout;

  // The tables: the kernel's, then the userspace implementations'.
  std::vector<InterfaceTable> tables;
  std::unordered_set<std::string> seen;
  auto take = [&](const std::string& name, TableRead read) {
    count_read(name, read.table.has_value(), read.error);
    if (read.table) {
      if (read.table->peers_dropped > 0 && !failing_[name + "/capped"]) {
        failing_[name + "/capped"] = true;
        log_.warn("peer table larger than the exporter keeps; further peers are left out", "interface={} kept={}",
                  LogValue{name}, read.table->peers.size());
      }
      tables.push_back(std::move(*read.table));
    }
  };
  auto room = [&](const std::string& name) {
    if (seen.size() < settings_.max_interfaces) return seen.insert(name).second;
    if (!interfaces_capped_logged_) {
      interfaces_capped_logged_ = true;
      log_.warn("more WireGuard interfaces than --interfaces.max; their tables are not read", "max={}",
                settings_.max_interfaces);
    }
    return false;
  };
  if (settings_.kernel) {
    std::string error;
    if (auto interfaces = kernel_.list_interfaces(deadline, error)) {
      list_failing_ = false;
      for (const auto& interface : *interfaces) {
        if (room(interface.name)) take(interface.name, kernel_.read(interface, deadline, settings_.limits));
      }
    } else if (!list_failing_) {
      list_failing_ = true;
      log_.warn("cannot list network interfaces", "err={}", LogValue{error});
    }
  }
  if (!settings_.uapi_dir.empty()) {
    for (const auto& name : list_uapi_interfaces(settings_.uapi_dir)) {
      if (room(name)) take(name, read_uapi_table(settings_.uapi_dir, name, deadline, settings_.limits));
    }
  }
  snapshot->reads = reads_;

  // What the state knows, per interface (single-host state: every interface is host 0's).
  const auto& state_interfaces = state.interfaces();
  std::vector<std::vector<TrackedPeer>> tracked(state_interfaces.size());
  constexpr auto kCreated = static_cast<std::size_t>(EventKind::peer_created);
  for (const PeerState& peer : state.peer_slots()) {
    if (!peer.in_use) continue;
    tracked[peer.interface].push_back({peer.id, peer.naming, peer.endpoint, peer.events[kCreated] > 0});
  }
  std::unordered_map<std::string_view, std::uint16_t> state_index;
  for (std::size_t i = 0; i < state_interfaces.size(); ++i) {
    state_index.emplace(state_interfaces[i].name, static_cast<std::uint16_t>(i));
  }

  std::unordered_set<std::string> with_table;
  for (InterfaceTable& table : tables) {
    IdentityInterface entry;
    entry.name = table.name;
    auto index = state_index.find(table.name);
    if (index != state_index.end()) {
      entry.links = link_peers(table, tracked[index->second]);
      for (std::size_t p = 0; p < table.peers.size(); ++p) {
        const auto& linked = entry.links.id_of_peer[p];
        if (linked && table.peers[p].last_handshake > 0) {
          snapshot->table_handshake[PeerIdentitySnapshot::handshake_key(index->second, linked->naming, linked->id)] =
              table.peers[p].last_handshake;
        }
      }
    } else {
      entry.links = link_peers(table, {});
    }
    with_table.insert(table.name);
    entry.table = std::move(table);
    snapshot->interfaces.push_back(std::move(entry));
  }
  for (std::size_t i = 0; i < state_interfaces.size(); ++i) {
    if (with_table.count(state_interfaces[i].name) != 0) continue;
    snapshot->interfaces.push_back({state_interfaces[i].name, std::nullopt, no_table_links(tracked[i])});
  }
  return snapshot;
}

}  // namespace wgevents
