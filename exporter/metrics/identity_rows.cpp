#include "metrics/identity_rows.h"

#include <fmt/format.h>

#include <string_view>

#include "metrics/catalog.h"
#include "metrics/metrics_page.h"

namespace wgevents {

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
