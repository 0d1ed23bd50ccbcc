// Per-interface and per-peer state, kept compact so that 10,000 peers take a few MiB.
//
// Counters live in fixed arrays inside each PeerState; series are materialised only when a
// scrape writes the metrics page (metrics/metrics_page.h). Peers are found by (interface,
// peer id) and kept in slots whose indices stay stable while a peer lives, so a scrape that
// is written in pieces can walk them by index while events keep arriving between pieces (and
// skip, by PeerState::created, the peers added since it began).
//
// Not thread-safe: owned and used by the exporter's single io_context thread.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wgevents/parser/event.h"

namespace wgevents {

struct StateLimits {
  std::size_t max_peers = 10000;       // --peers.max: least recently updated peers go first
  std::size_t max_interfaces = 64;     // --interfaces.max, per host: lines for more are rejected
  std::size_t max_hosts = 256;         // --hosts.max: lines from more hosts are rejected
};

// Counts of `no_route` by endpoint family and errno (wireguard_no_route_errors_total).
struct NoRouteCount {
  IpAddress::Family family;
  std::int32_t error;  // a kernel errno, negated as printed, or kNoRouteOtherError
  std::uint64_t count;
};

// Stands for every `error N` of a no_route line that is not one of the errnos the kernel's
// route lookups return: the number is the sender's to choose, so each value may not be a series.
inline constexpr std::int32_t kNoRouteOtherError = 0;
// `error` itself when it is one of those errnos (negated, as the kernel prints it), else
// kNoRouteOtherError. At most kNoRouteErrorValues distinct results.
std::int32_t bounded_no_route_error(std::int32_t error);
inline constexpr std::size_t kNoRouteErrorValues = 17;

// A time on the line clock of handshake durations (metrics.md, "Handshake timing"): Unix seconds
// with sub-second resolution, from the message's own stamp or its receipt. kNoStamp: the message
// has none precise enough, and gives no durations.
inline constexpr double kNoStamp = std::numeric_limits<double>::quiet_NaN();
inline bool has_stamp(double stamp) { return !std::isnan(stamp); }

// Upper bounds of the handshake histograms' buckets (+Inf follows). Round trips: 1 ms to 10 s.
inline constexpr std::array<double, 13> kHandshakeRttBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// Completions: each retry adds REKEY_TIMEOUT (5 s), up to a third of a second of jitter and the
// timer wheel's rounding (steps of 5.04 to 5.92 s measured on Linux 6.1), so a handshake that
// took n retries lands in (5n, 5n+5] for up to about five retries, later ones a bucket late.
inline constexpr std::array<double, 23> kHandshakeCompletionBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15,
    20,    25,   30,    35,   40,  45,   50,  55, 60,  90, 120};
// Longest duration each observes: a response later than this cannot answer the initiation it
// is paired with (a retry replaces it after 5 s), and a series gives up after 20 initiations,
// the last one out by about 114 s (measured on Linux 6.1: give-ups 107 to 112 s after the first).
// Longer pairs come from lost or reordered lines and are not observed.
inline constexpr double kMaxHandshakeRtt = 10;
inline constexpr double kMaxHandshakeCompletion = 150;

template <std::size_t Buckets>
struct DurationHistogram {
  std::array<std::uint64_t, Buckets> counts{};  // per bucket, not cumulative; above the last: only count
  std::uint64_t count = 0;
  double sum = 0;

  void observe(const std::array<double, Buckets>& bounds, double seconds) {
    for (std::size_t i = 0; i < Buckets; ++i) {
      if (seconds <= bounds[i]) {
        counts[i]++;
        break;
      }
    }
    count++;
    sum += seconds;
  }
};

struct InterfaceState {
  std::uint16_t host = 0;  // index into WireguardState::hosts()
  std::string name;
  std::array<std::uint64_t, kInterfaceEventCount> events{};
  // In order of first sighting; at most 3 families x kNoRouteErrorValues entries.
  std::vector<NoRouteCount> no_route;
  std::uint32_t peers = 0;             // tracked peers now
  DurationHistogram<kHandshakeRttBuckets.size()> handshake_rtt;
  DurationHistogram<kHandshakeCompletionBuckets.size()> handshake_completion;
};

inline constexpr std::uint32_t kNoSlot = UINT32_MAX;

struct PeerState {
  bool in_use = false;
  std::uint16_t interface = 0;  // index into WireguardState::interfaces()
  std::uint64_t id = 0;         // the kernel's peer id, or a packed key abbreviation (event.h)
  PeerNaming naming = PeerNaming::kernel_id;
  std::uint64_t created = 0;    // WireguardState::peers_created() just after this peer was added
  std::array<std::uint64_t, kPeerEventCount> events{};
  double last_handshake = 0;    // Unix seconds of the last keypair_created; 0: none seen
  double last_seen = 0;         // Unix seconds of the last line proving the peer sent something
  std::int32_t handshake_attempts = 0;
  Endpoint endpoint;            // family none while unknown
  std::uint64_t endpoint_changes = 0;
  // Handshake timing, on the line clock (kNoStamp while unset): the initiation awaiting its
  // response, the first initiation of the retry series in flight, and the last round trip.
  double rtt_started = kNoStamp;
  double series_started = kNoStamp;
  double last_rtt = kNoStamp;
  std::uint32_t lru_prev = kNoSlot;  // neighbours in the recency list (older, newer)
  std::uint32_t lru_next = kNoSlot;
};

class WireguardState {
 public:
  explicit WireguardState(StateLimits limits);

  enum class Outcome { counted, rejected };
  // Applies one parsed event (not kernel_ratelimit_suppressed) seen at Unix time `now`, from
  // `host` (fleet mode; empty for a single host). `stamp` is the line's time on the clock of
  // handshake durations, kNoStamp when it has none. `rejected` when its host or interface is new
  // and the host or interface cap is reached.
  Outcome apply(const Event& event, double now, std::string_view host = {}, double stamp = kNoStamp);

  // Hosts seen, in order of first appearance (a single empty name unless in fleet mode).
  const std::vector<std::string>& hosts() const { return hosts_; }
  const std::vector<InterfaceState>& interfaces() const { return interfaces_; }
  // Slots, some of them free (in_use false); indices are stable while a peer lives.
  const std::vector<PeerState>& peer_slots() const { return peers_; }
  std::size_t peer_count() const { return peer_index_.size(); }
  std::uint64_t peers_evicted() const { return peers_evicted_; }
  // Peers added so far (a peer evicted or destroyed and seen again counts again). A page written
  // in pieces skips peers whose `created` is above its value at the start, so that a peer which
  // went and came back between two pieces, into a slot not yet walked, is not written twice.
  std::uint64_t peers_created() const { return peers_created_; }

 private:
  struct PeerKey {
    std::uint16_t interface;
    PeerNaming naming;
    std::uint64_t id;
    bool operator==(const PeerKey&) const = default;
  };
  struct PeerKeyHash {
    std::size_t operator()(const PeerKey& k) const {
      return std::hash<std::uint64_t>()(k.id * 0x9E3779B97F4A7C15ULL ^
                                        (static_cast<std::uint64_t>(k.naming) << 16) ^ k.interface);
    }
  };

  int find_or_add_host(std::string_view host);
  int find_or_add_interface(std::uint16_t host, std::string_view name);
  std::uint32_t find_or_add_peer(std::uint16_t interface, PeerNaming naming, std::uint64_t id);
  void remove_peer(std::uint32_t slot);
  void lru_unlink(std::uint32_t slot);
  void lru_push_newest(std::uint32_t slot);
  void apply_peer_event(PeerState& peer, const Event& event, double now);
  void time_handshake(PeerState& peer, InterfaceState& iface, EventKind kind, double stamp);

  // Heterogeneous lookup, so that finding a name needs no std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using NameIndex = std::unordered_map<std::string, std::uint16_t, NameHash, std::equal_to<>>;

  StateLimits limits_;
  std::vector<std::string> hosts_;
  NameIndex host_index_;
  std::vector<InterfaceState> interfaces_;
  NameIndex interface_index_;                 // key: the host's index (2 bytes), then the name
  std::vector<std::uint16_t> interfaces_per_host_;
  std::uint16_t last_host_ = 0;
  std::vector<PeerState> peers_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<PeerKey, std::uint32_t, PeerKeyHash> peer_index_;
  std::uint32_t lru_oldest_ = kNoSlot;
  std::uint32_t lru_newest_ = kNoSlot;
  std::uint16_t last_interface_ = 0;  // the interface of the previous event: usually the next's
  std::uint64_t peers_evicted_ = 0;
  std::uint64_t peers_created_ = 0;
};

}  // namespace wgevents
