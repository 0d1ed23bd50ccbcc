#include "metrics_page.h"

#include <arpa/inet.h>

#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "metrics/catalog.h"

namespace wgevents {
namespace {

void append_number(std::string& out, std::uint64_t value) {
  fmt::format_int text(value);
  out.append(text.data(), text.size());
}

void append_number(std::string& out, double value) { fmt::format_to(std::back_inserter(out), "{}", value); }

// `host="gw1",interface="wg0"` (fleet mode) or `interface="wg0"`.
void append_interface_label(std::string& out, const WireguardState& state, bool host_label,
                            const InterfaceState& iface) {
  if (host_label) {
    out += "host=\"";
    append_label_value(out, state.hosts()[iface.host]);
    out += "\",";
  }
  out += "interface=\"";
  append_label_value(out, iface.name);
  out += '"';
}

// `name{interface="wg0",peer="7"` — the caller adds further labels and `} value`.
void open_peer_row(std::string& out, const WireguardState& state, bool host_label, std::string_view name,
                   const InterfaceState& iface, const PeerState& peer) {
  out += name;
  out += '{';
  append_interface_label(out, state, host_label, iface);
  out += ",peer=\"";
  if (peer.naming == PeerNaming::key_abbreviation) {
    char printed[kKeyAbbreviationBytes];
    out.append(printed, write_key_abbreviation(peer.id, printed));
  } else {
    append_number(out, peer.id);
  }
  out += '"';
}

template <typename Value>
void close_row(std::string& out, Value value) {
  out += "} ";
  append_number(out, value);
  out += '\n';
}

const metric::Info* section_info(int section) {
  static constexpr const metric::Info* kInfos[] = {
      &metric::kPeerEvents,   &metric::kInterfaceEvents,  &metric::kNoRouteErrors,
      &metric::kLastHandshakeTimestamp, &metric::kLastHandshakeAge, &metric::kLastSeenTimestamp,
      &metric::kHandshakeAttempts, &metric::kEndpointInfo, &metric::kEndpointChanges,
      &metric::kLastHandshakeRtt, &metric::kPeers, &metric::kHandshakeRtt, &metric::kHandshakeCompletion, &metric::kPeerInfo, &metric::kPeerReceiveBytes, &metric::kPeerTransmitBytes,
      &metric::kPeerAllowedIpsInfo, nullptr /* self: prometheus-cpp writes its own */,
      &metric::kPeerTableReads, &metric::kPeersUnresolved,
  };
  return section < static_cast<int>(std::size(kInfos)) ? kInfos[section] : nullptr;
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_endpoint_label(std::string& out, const Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN];
  if (endpoint.address.family == IpAddress::Family::ipv4) {
    inet_ntop(AF_INET, endpoint.address.bytes.data(), text, sizeof text);
    out += text;
  } else {
    inet_ntop(AF_INET6, endpoint.address.bytes.data(), text, sizeof text);
    out += '[';
    out += text;
    if (endpoint.scope_id != 0) {
      out += '%';
      append_number(out, static_cast<std::uint64_t>(endpoint.scope_id));
    }
    out += ']';
  }
  out += ':';
  append_number(out, static_cast<std::uint64_t>(endpoint.port));
}

void append_errno_label(std::string& out, std::int32_t error) {
  const char* name = error < 0 ? strerrorname_np(-error) : nullptr;
  if (name != nullptr) {
    out += name;
  } else {
    fmt::format_to(std::back_inserter(out), "{}", error);
  }
}

MetricsPage::MetricsPage(const WireguardState& state, const SelfMetrics& self, PageOptions options, double now,
                         std::shared_ptr<const PeerIdentitySnapshot> identity)
    : state_(state), self_(self), options_(options), now_(now), peers_created_(state.peers_created()) {
  if (identity) identity_.emplace(std::move(identity));
}

bool MetricsPage::is_identity(Section section) {
  switch (section) {
    case Section::peer_info:
    case Section::receive_bytes:
    case Section::transmit_bytes:
    case Section::allowed_ips:
    case Section::table_reads:
    case Section::peers_unresolved:
      return true;
    default:
      return false;
  }
}

void MetricsPage::write_header(std::string& out) const {
  const metric::Info* info = section_info(static_cast<int>(section_));
  if (info == nullptr) return;
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", info->name, info->help,
                 info->name, info->type);
}

void MetricsPage::write_no_route_row(std::string& out, const InterfaceState& iface,
                                     const NoRouteCount& n) const {
  out += metric::kNoRouteErrors.name;
  out += '{';
  append_interface_label(out, state_, options_.host_label, iface);
  out += ",family=\"";
  out += n.family == IpAddress::Family::ipv4   ? "ipv4"
         : n.family == IpAddress::Family::ipv6 ? "ipv6"
                                               : "unknown";
  out += "\",error=\"";
  if (n.error == kNoRouteOtherError) {
    out += "other";
  } else {
    append_errno_label(out, n.error);
  }
  out += '"';
  close_row(out, n.count);
}

void MetricsPage::write_peer_rows(std::string& out, const PeerState& peer) const {
  const InterfaceState& iface = state_.interfaces()[peer.interface];
  switch (section_) {
    case Section::peer_events:
      for (std::size_t e = 0; e < kPeerEventCount; ++e) {
        if (peer.events[e] == 0) continue;
        open_peer_row(out, state_, options_.host_label, metric::kPeerEvents.name, iface, peer);
        out += ",event=\"";
        out += event_name(static_cast<EventKind>(e));
        out += '"';
        close_row(out, peer.events[e]);
      }
      break;
    case Section::last_handshake:
      if (const double t = last_handshake(peer); t > 0) {
        open_peer_row(out, state_, options_.host_label, metric::kLastHandshakeTimestamp.name, iface, peer);
        close_row(out, t);
      }
      break;
    case Section::handshake_age:
      if (const double t = last_handshake(peer); t > 0) {
        open_peer_row(out, state_, options_.host_label, metric::kLastHandshakeAge.name, iface, peer);
        close_row(out, now_ - t);
      }
      break;
    case Section::last_seen:
      if (peer.last_seen > 0) {
        open_peer_row(out, state_, options_.host_label, metric::kLastSeenTimestamp.name, iface, peer);
        close_row(out, peer.last_seen);
      }
      break;
    case Section::attempts:
      open_peer_row(out, state_, options_.host_label, metric::kHandshakeAttempts.name, iface, peer);
      close_row(out, static_cast<double>(peer.handshake_attempts));
      break;
    case Section::endpoint_info:
      if (peer.endpoint.known()) {
        open_peer_row(out, state_, options_.host_label, metric::kEndpointInfo.name, iface, peer);
        out += ",endpoint=\"";
        append_endpoint_label(out, peer.endpoint);
        out += '"';
        close_row(out, std::uint64_t{1});
      }
      break;
    case Section::endpoint_changes:
      open_peer_row(out, state_, options_.host_label, metric::kEndpointChanges.name, iface, peer);
      close_row(out, peer.endpoint_changes);
      break;
    case Section::handshake_rtt:
      if (has_stamp(peer.last_rtt)) {
        open_peer_row(out, state_, options_.host_label, metric::kLastHandshakeRtt.name, iface, peer);
        close_row(out, peer.last_rtt);
      }
      break;
    default:
      break;
  }
}

// An interface's histogram appears with its first observation: most interfaces of a fleet never
// initiate, and 25 rows of zeros each would outweigh their events.
template <std::size_t Buckets>
void MetricsPage::write_histogram(std::string& out, std::string_view name, const InterfaceState& iface,
                                  const std::array<double, Buckets>& bounds,
                                  const DurationHistogram<Buckets>& histogram) const {
  if (histogram.count == 0) return;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= Buckets; ++i) {
    out += name;
    out += "_bucket{";
    append_interface_label(out, state_, options_.host_label, iface);
    out += ",le=\"";
    if (i < Buckets) {
      cumulative += histogram.counts[i];
      append_number(out, bounds[i]);
    } else {
      cumulative = histogram.count;
      out += "+Inf";
    }
    out += '"';
    close_row(out, cumulative);
  }
  out += name;
  out += "_sum{";
  append_interface_label(out, state_, options_.host_label, iface);
  close_row(out, histogram.sum);
  out += name;
  out += "_count{";
  append_interface_label(out, state_, options_.host_label, iface);
  close_row(out, histogram.count);
}

bool MetricsPage::write_rows(std::string& out) {
  const auto& interfaces = state_.interfaces();
  const auto& peers = state_.peer_slots();
  switch (section_) {
    case Section::interface_events:
    case Section::no_route:
    case Section::peers:
    case Section::rtt_histogram:
    case Section::completion_histogram: {
      if (position_ >= interfaces.size()) return false;
      const InterfaceState& iface = interfaces[position_];
      if (section_ == Section::interface_events) {
        for (std::size_t e = 0; e < kInterfaceEventCount; ++e) {
          if (iface.events[e] == 0) continue;
          out += metric::kInterfaceEvents.name;
          out += '{';
          append_interface_label(out, state_, options_.host_label, iface);
          out += ",event=\"";
          out += event_name(static_cast<EventKind>(e + kPeerEventCount));
          out += '"';
          close_row(out, iface.events[e]);
        }
      } else if (section_ == Section::no_route) {
        // One row per call, so a piece stays bounded however many rows an interface has.
        if (entry_ < iface.no_route.size()) {
          write_no_route_row(out, iface, iface.no_route[entry_]);
          ++entry_;
          return true;
        }
        entry_ = 0;
      } else if (section_ == Section::rtt_histogram) {
        write_histogram(out, metric::kHandshakeRtt.name, iface, kHandshakeRttBuckets, iface.handshake_rtt);
      } else if (section_ == Section::completion_histogram) {
        write_histogram(out, metric::kHandshakeCompletion.name, iface, kHandshakeCompletionBuckets,
                        iface.handshake_completion);
      } else {
        out += metric::kPeers.name;
        out += '{';
        append_interface_label(out, state_, options_.host_label, iface);
        close_row(out, static_cast<std::uint64_t>(iface.peers));
      }
      ++position_;
      return true;
    }
    case Section::peer_info: return identity_->write_next(PeerIdentityRows::Family::info, out);
    case Section::receive_bytes: return identity_->write_next(PeerIdentityRows::Family::receive_bytes, out);
    case Section::transmit_bytes: return identity_->write_next(PeerIdentityRows::Family::transmit_bytes, out);
    case Section::allowed_ips: return identity_->write_next(PeerIdentityRows::Family::allowed_ips, out);
    case Section::table_reads: return identity_->write_next(PeerIdentityRows::Family::table_reads, out);
    case Section::peers_unresolved: return identity_->write_next(PeerIdentityRows::Family::unresolved, out);
    case Section::self:
      if (position_ > 0) return false;
      out += self_.render();
      ++position_;
      return true;
    case Section::done:
      return false;
    default:
      // A peer section: skip free slots, and peers added since the page began (one evicted and
      // back in a slot not yet walked would otherwise be written twice).
      while (position_ < peers.size() &&
             (!peers[position_].in_use || peers[position_].created > peers_created_)) {
        ++position_;
      }
      if (position_ >= peers.size()) return false;
      write_peer_rows(out, peers[position_]);
      ++position_;
      return true;
  }
}

bool MetricsPage::next(std::string& out) {
  while (section_ != Section::done && out.size() < kPieceBytes) {
    if ((section_ == Section::endpoint_info && !options_.endpoint_label) || (is_identity(section_) && !identity_)) {
      section_ = static_cast<Section>(static_cast<int>(section_) + 1);
      continue;
    }
    if (!header_written_) {
      write_header(out);
      header_written_ = true;
    }
    if (!write_rows(out)) {
      section_ = static_cast<Section>(static_cast<int>(section_) + 1);
      header_written_ = false;
      position_ = 0;
    }
  }
  return section_ != Section::done;
}

std::string MetricsPage::render_all() {
  std::string page;
  std::string piece;
  bool more = true;
  while (more) {
    piece.clear();
    more = next(piece);
    page += piece;
  }
  return page;
}

}  // namespace wgevents
