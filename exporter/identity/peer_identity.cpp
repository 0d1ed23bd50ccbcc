#include "identity/peer_identity.h"

#include <cerrno>
#include <unordered_set>

#include <fmt/format.h>

#include "log.h"
#include "metrics/catalog.h"
#include "metrics/metrics_page.h"

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

namespace {

void append_count(std::string& out, std::uint64_t value) {
  fmt::format_int text(value);
  out.append(text.data(), text.size());
}

void open_key_row(std::string& out, std::string_view metric, const IdentityInterface& interface,
                  const TablePeer& peer) {
  out += metric;
  out += "{interface=\"";
  append_label_value(out, interface.name);
  out += "\",public_key=\"";
  append_base64_key(out, peer.public_key);
  out += '"';
}

}  // namespace

bool PeerIdentityRows::write_next(Family family, std::string& out) {
  const auto& interfaces = snapshot_->interfaces;
  if (family == Family::table_reads) {
    if (!reads_started_) {
      reads_ = snapshot_->reads.begin();
      reads_started_ = true;
    }
    if (reads_ == snapshot_->reads.end()) {
      reads_started_ = false;
      return false;
    }
    for (int r = 0; r < 2; ++r) {
      out += metric::kPeerTableReads.name;
      out += "{interface=\"";
      append_label_value(out, reads_->first);
      out += r == 0 ? "\",result=\"ok\"} " : "\",result=\"error\"} ";
      append_count(out, reads_->second[r]);
      out += '\n';
    }
    ++reads_;
    return true;
  }
  if (family == Family::unresolved) {
    if (interface_ >= interfaces.size()) {
      interface_ = 0;
      return false;
    }
    const IdentityInterface& interface = interfaces[interface_++];
    out += metric::kPeersUnresolved.name;
    out += "{interface=\"";
    append_label_value(out, interface.name);
    out += "\"} ";
    append_count(out, static_cast<std::uint64_t>(interface.links.unresolved));
    out += '\n';
    return true;
  }
  // A peer family: one table peer per call.
  while (interface_ < interfaces.size() &&
         (!interfaces[interface_].table || peer_ >= interfaces[interface_].table->peers.size())) {
    ++interface_;
    peer_ = 0;
  }
  if (interface_ >= interfaces.size()) {
    interface_ = 0;
    peer_ = 0;
    return false;
  }
  const IdentityInterface& interface = interfaces[interface_];
  const std::size_t p = peer_++;
  const TablePeer& peer = interface.table->peers[p];
  switch (family) {
    case Family::info: {
      out += metric::kPeerInfo.name;
      out += "{interface=\"";
      append_label_value(out, interface.name);
      out += '"';
      if (const auto& linked = interface.links.id_of_peer[p]) {
        out += ",peer=\"";
        if (linked->naming == PeerNaming::key_abbreviation) {
          char printed[kKeyAbbreviationBytes];
          out.append(printed, write_key_abbreviation(linked->id, printed));
        } else {
          append_count(out, linked->id);
        }
        out += '"';
      }
      out += ",public_key=\"";
      append_base64_key(out, peer.public_key);
      out += '"';
      if (const std::string* name = snapshot_->names->find(peer.public_key)) {
        out += ",name=\"";
        append_label_value(out, *name);
        out += '"';
      }
      out += "} 1\n";
      break;
    }
    case Family::receive_bytes:
      open_key_row(out, metric::kPeerReceiveBytes.name, interface, peer);
      out += "} ";
      append_count(out, peer.receive_bytes);
      out += '\n';
      break;
    case Family::transmit_bytes:
      open_key_row(out, metric::kPeerTransmitBytes.name, interface, peer);
      out += "} ";
      append_count(out, peer.transmit_bytes);
      out += '\n';
      break;
    case Family::allowed_ips:
      for (const AllowedIp& block : peer.allowed_ips) {
        open_key_row(out, metric::kPeerAllowedIpsInfo.name, interface, peer);
        out += ",allowed_ips=\"";
        append_allowed_ip(out, block);
        out += "\"} 1\n";
      }
      break;
    default:
      break;
  }
  return true;
}

}  // namespace wgevents
