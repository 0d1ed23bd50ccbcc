#include "metrics_page.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "metrics/catalog.h"

namespace wgevents {
namespace {

void append_number(std::string& out, std::uint64_t value) {
  fmt::format_int text(value);
  out.append(text.data(), text.size());
}

void append_number(std::string& out, double value) { fmt::format_to(std::back_inserter(out), "{}", value); }

// One series line, `name{label="value",...} value`, with the label names of the metric's
// catalog entry, in order: the writer gives the values only. In fleet mode `host` comes first.
// A histogram's rows name their series with a suffix (`_bucket`, `_sum`, `_count`), and its
// buckets end with `le`.
class Row {
 public:
  // The longest label name of the catalog, with room to spare.
  static constexpr std::size_t kMaxLabelName = 32;

  Row(std::string& out, const metric::Info& info, const std::string* host, std::string_view suffix = {})
      : out_(out), info_(info), label_count_(info.label_count()) {
    out_ += info.name;
    out_ += suffix;
    out_ += '{';
    if (host != nullptr) {
      out_ += "host=\"";
      append_label_value(out_, *host);
      out_ += '"';
      empty_ = false;
    }
  }

  Row& label(std::string_view value) {
    return label_with([&](std::string& out) { append_label_value(out, value); });
  }
  Row& label(std::uint64_t value) {
    return label_with([&](std::string& out) { append_number(out, value); });
  }
  // The next label, its value written by `append(out)` (already a valid label value).
  template <typename Append>
  Row& label_with(Append append) {
    if (next_ >= label_count_) throw std::logic_error("metrics page: more labels than the catalog declares");
    open_label(info_.labels[next_++]);
    append(out_);
    out_ += '"';
    return *this;
  }
  // A histogram bucket's upper bound, after the catalog's labels: `le="0.005"` or `le="+Inf"`.
  Row& le(const double* bound) {
    if (next_ != label_count_) throw std::logic_error("metrics page: le before the catalog's labels");
    open_label("le");
    if (bound != nullptr) {
      append_number(out_, *bound);
    } else {
      out_ += "+Inf";
    }
    out_ += '"';
    return *this;
  }

  template <typename Value>
  void value(Value value) {
    if (next_ != label_count_) throw std::logic_error("metrics page: fewer labels than the catalog declares");
    out_ += "} ";
    append_number(out_, value);
    out_ += '\n';
  }

 private:
  // `,name="` in one append: this runs for every label of every series of a scrape.
  void open_label(std::string_view name) {
    char opening[kMaxLabelName + 3];
    std::size_t n = 0;
    if (!empty_) opening[n++] = ',';
    const std::size_t length = std::min(name.size(), kMaxLabelName);  // static_assert below: no cut
    std::memcpy(opening + n, name.data(), length);
    n += length;
    opening[n++] = '=';
    opening[n++] = '"';
    out_.append(opening, n);
    empty_ = false;
  }

  std::string& out_;
  const metric::Info& info_;
  std::size_t label_count_;
  std::size_t next_ = 0;
  bool empty_ = true;
};

// What every writer needs.
struct PageContext {
  const WireguardState& state;
  const PageOptions& options;
  double now;
  const PeerIdentitySnapshot* identity;  // null: no peer tables this scrape

  // A row of `info` for the interface; its `interface` label is given.
  Row interface_row(std::string& out, const metric::Info& info, const InterfaceState& iface,
                    std::string_view suffix = {}) const {
    Row row(out, info, options.host_label ? &state.hosts()[iface.host] : nullptr, suffix);
    row.label(iface.name);
    return row;
  }
  // A row of `info` for the peer; its `interface` and `peer` labels are given (the kernel's id, or
  // a userspace implementation's key abbreviation).
  Row peer_row(std::string& out, const metric::Info& info, const PeerState& peer) const {
    Row row = interface_row(out, info, state.interfaces()[peer.interface]);
    if (peer.naming == PeerNaming::key_abbreviation) {
      // A userspace implementation's peer: its key abbreviation, `BfzC…3sz4`.
      row.label_with([&](std::string& o) {
        char printed[kKeyAbbreviationBytes];
        o.append(printed, write_key_abbreviation(peer.id, printed));
      });
    } else {
      row.label(peer.id);
    }
    return row;
  }
  // The peer's last handshake: the later of its line's and its table's (when linked).
  double last_handshake(const PeerState& peer) const {
    return identity != nullptr ? identity->last_handshake(peer) : peer.last_handshake;
  }
};

// --- The writers: one per metric, each writing the series of one peer or one interface. ---
// An interface writer returns true once it has written all of the interface's rows; one that
// writes them a few at a time keeps its place in `entry` (0 when it starts an interface).

void write_peer_events(const PageContext& page, std::string& out, const PeerState& peer) {
  for (std::size_t e = 0; e < kPeerEventCount; ++e) {
    if (peer.events[e] == 0) continue;
    page.peer_row(out, metric::kPeerEvents, peer).label(event_name(peer_event_kind(e))).value(peer.events[e]);
  }
}

void write_last_handshake(const PageContext& page, std::string& out, const PeerState& peer) {
  if (const double t = page.last_handshake(peer); t > 0) {
    page.peer_row(out, metric::kLastHandshakeTimestamp, peer).value(t);
  }
}

void write_handshake_age(const PageContext& page, std::string& out, const PeerState& peer) {
  if (const double t = page.last_handshake(peer); t > 0) {
    page.peer_row(out, metric::kLastHandshakeAge, peer).value(page.now - t);
  }
}

void write_last_seen(const PageContext& page, std::string& out, const PeerState& peer) {
  if (peer.last_seen > 0) page.peer_row(out, metric::kLastSeenTimestamp, peer).value(peer.last_seen);
}

void write_attempts(const PageContext& page, std::string& out, const PeerState& peer) {
  page.peer_row(out, metric::kHandshakeAttempts, peer).value(static_cast<double>(peer.handshake_attempts));
}

void write_endpoint_info(const PageContext& page, std::string& out, const PeerState& peer) {
  if (!peer.endpoint.known()) return;
  page.peer_row(out, metric::kEndpointInfo, peer)
      .label_with([&](std::string& o) { append_endpoint_label(o, peer.endpoint); })
      .value(std::uint64_t{1});
}

void write_endpoint_changes(const PageContext& page, std::string& out, const PeerState& peer) {
  page.peer_row(out, metric::kEndpointChanges, peer).value(peer.endpoint_changes);
}

void write_last_handshake_rtt(const PageContext& page, std::string& out, const PeerState& peer) {
  if (has_stamp(peer.last_rtt)) page.peer_row(out, metric::kLastHandshakeRtt, peer).value(peer.last_rtt);
}

bool write_interface_events(const PageContext& page, std::string& out, const InterfaceState& iface, std::size_t&) {
  for (std::size_t e = 0; e < kInterfaceEventCount; ++e) {
    if (iface.events[e] == 0) continue;
    page.interface_row(out, metric::kInterfaceEvents, iface)
        .label(event_name(interface_event_kind(e)))
        .value(iface.events[e]);
  }
  return true;
}

// One row per call, so a piece stays bounded however many rows an interface has.
bool write_no_route(const PageContext& page, std::string& out, const InterfaceState& iface, std::size_t& entry) {
  if (entry >= iface.no_route.size()) return true;
  const NoRouteCount& n = iface.no_route[entry++];
  page.interface_row(out, metric::kNoRouteErrors, iface)
      .label(n.family == IpAddress::Family::ipv4   ? "ipv4"
             : n.family == IpAddress::Family::ipv6 ? "ipv6"
                                                   : "unknown")
      .label_with([&](std::string& o) {
        if (n.error == kNoRouteOtherError) {
          o += "other";
        } else {
          append_errno_label(o, n.error);
        }
      })
      .value(n.count);
  return entry >= iface.no_route.size();
}

bool write_peers(const PageContext& page, std::string& out, const InterfaceState& iface, std::size_t&) {
  page.interface_row(out, metric::kPeers, iface).value(static_cast<std::uint64_t>(iface.peers));
  return true;
}

// An interface's histogram appears with its first observation: most interfaces of a fleet never
// initiate, and 25 rows of zeros each would outweigh their events.
template <std::size_t Buckets>
void write_histogram(const PageContext& page, std::string& out, const metric::Info& info,
                     const InterfaceState& iface, const std::array<double, Buckets>& bounds,
                     const DurationHistogram<Buckets>& histogram) {
  if (histogram.count == 0) return;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Buckets; ++i) {
    cumulative += histogram.counts[i];
    page.interface_row(out, info, iface, "_bucket").le(&bounds[i]).value(cumulative);
  }
  page.interface_row(out, info, iface, "_bucket").le(nullptr).value(histogram.count);
  page.interface_row(out, info, iface, "_sum").value(histogram.sum);
  page.interface_row(out, info, iface, "_count").value(histogram.count);
}

bool write_rtt_histogram(const PageContext& page, std::string& out, const InterfaceState& iface, std::size_t&) {
  write_histogram(page, out, metric::kHandshakeRtt, iface, kHandshakeRttBuckets, iface.handshake_rtt);
  return true;
}

bool write_completion_histogram(const PageContext& page, std::string& out, const InterfaceState& iface,
                                std::size_t&) {
  write_histogram(page, out, metric::kHandshakeCompletion, iface, kHandshakeCompletionBuckets,
                  iface.handshake_completion);
  return true;
}

bool endpoint_label_on(const PageOptions& options) { return options.endpoint_label; }

using IdentityFamily = PeerIdentityRows::Family;

// The page, in order: one row per metric family, with the writer of its series. A new family is
// its catalog entry (catalog.h), a writer above and a row here.
struct Section {
  // The family's HELP and TYPE; null for the exporter's own and the process metrics, which
  // prometheus-cpp writes with their headers (SelfMetrics::render()).
  const metric::Info* info = nullptr;
  void (*peer)(const PageContext&, std::string&, const PeerState&) = nullptr;
  bool (*interface)(const PageContext&, std::string&, const InterfaceState&, std::size_t& entry) = nullptr;
  // A family from the peer tables: its rows come from the scrape's snapshot
  // (PeerIdentityRows), and without one the family is not on the page.
  std::optional<IdentityFamily> identity = std::nullopt;
  bool (*shown)(const PageOptions&) = nullptr;  // null: always
  bool self = false;  // the exporter's own and the process metrics (info is null)
};
constexpr Section kSections[] = {
    {.info = &metric::kPeerEvents, .peer = write_peer_events},
    {.info = &metric::kInterfaceEvents, .interface = write_interface_events},
    {.info = &metric::kNoRouteErrors, .interface = write_no_route},
    {.info = &metric::kLastHandshakeTimestamp, .peer = write_last_handshake},
    {.info = &metric::kLastHandshakeAge, .peer = write_handshake_age},
    {.info = &metric::kLastSeenTimestamp, .peer = write_last_seen},
    {.info = &metric::kHandshakeAttempts, .peer = write_attempts},
    {.info = &metric::kEndpointInfo, .peer = write_endpoint_info, .shown = endpoint_label_on},
    {.info = &metric::kEndpointChanges, .peer = write_endpoint_changes},
    {.info = &metric::kLastHandshakeRtt, .peer = write_last_handshake_rtt},
    {.info = &metric::kPeers, .interface = write_peers},
    {.info = &metric::kHandshakeRtt, .interface = write_rtt_histogram},
    {.info = &metric::kHandshakeCompletion, .interface = write_completion_histogram},
    {.info = &metric::kPeerInfo, .identity = IdentityFamily::info},
    {.info = &metric::kPeerReceiveBytes, .identity = IdentityFamily::receive_bytes},
    {.info = &metric::kPeerTransmitBytes, .identity = IdentityFamily::transmit_bytes},
    {.info = &metric::kPeerAllowedIpsInfo, .identity = IdentityFamily::allowed_ips},
    {.info = nullptr, .self = true},
    {.info = &metric::kPeerTableReads, .identity = IdentityFamily::table_reads},
    {.info = &metric::kPeersUnresolved, .identity = IdentityFamily::unresolved},
};
constexpr std::size_t kSectionCount = std::size(kSections);

// Each section has exactly one source of rows. (`self` stands for `info == nullptr`: GCC does not
// fold the address of an inline constant compared with null under the sanitizers.)
constexpr bool sections_well_formed() {
  for (const auto& section : kSections) {
    const int sources = (section.peer != nullptr) + (section.interface != nullptr) + section.identity.has_value();
    if (sources + section.self != 1) return false;
  }
  return true;
}
static_assert(sections_well_formed(), "kSections: each family has one writer (peer, interface or identity)");

// Row writes a label name from a buffer of kMaxLabelName bytes.
constexpr bool label_names_fit() {
  for (const auto& section : kSections) {
    if (section.self) continue;
    for (const auto& label : section.info->labels) {
      if (label.size() > Row::kMaxLabelName) return false;
    }
  }
  return true;
}
static_assert(label_names_fit(), "a label name of the catalog is longer than Row::kMaxLabelName");

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

void MetricsPage::write_header(std::string& out) const {
  const metric::Info* info = kSections[section_].info;
  if (info == nullptr) return;
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", info->name, info->help,
                 info->name, info->type);
}

bool MetricsPage::write_rows(std::string& out) {
  const Section& section = kSections[section_];
  const PageContext page{state_, options_, now_, identity_ ? &identity_->snapshot() : nullptr};
  if (section.interface != nullptr) {
    const auto& interfaces = state_.interfaces();
    if (position_ >= interfaces.size()) return false;
    if (section.interface(page, out, interfaces[position_], entry_)) {
      ++position_;
      entry_ = 0;
    }
    return true;
  }
  if (section.peer != nullptr) {
    // Skips free slots, and peers added since the page began (one evicted and back in a slot not
    // yet walked would otherwise be written twice).
    const auto& peers = state_.peer_slots();
    while (position_ < peers.size() &&
           (!peers[position_].in_use || peers[position_].created > peers_created_)) {
      ++position_;
    }
    if (position_ >= peers.size()) return false;
    section.peer(page, out, peers[position_++]);
    return true;
  }
  if (section.identity) return identity_->write_next(*section.identity, out);
  if (position_ > 0) return false;
  out += self_.render();
  ++position_;
  return true;
}

bool MetricsPage::next(std::string& out) {
  while (section_ < kSectionCount && out.size() < kPieceBytes) {
    const Section& section = kSections[section_];
    const bool shown = (section.shown == nullptr || section.shown(options_)) &&
                       (!section.identity || identity_.has_value());
    if (shown && !header_written_) {
      write_header(out);
      header_written_ = true;
    }
    if (!shown || !write_rows(out)) {
      ++section_;
      header_written_ = false;
      position_ = 0;
      entry_ = 0;
    }
  }
  return section_ < kSectionCount;
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
