// The slot policy every listener with a connection cap follows (the HTTP server and the TCP and
// TLS syslog inputs): at the cap, which open connection gives way to a new one, and how many
// slots TLS handshakes may hold.
//
// Each listener ranks its own connections (SlotEviction: lower rank gives way first; nullopt:
// never gives way, e.g. one being served that keeps up, or a sender with a verified client
// certificate). Among connections of one rank, one from the address that holds the most
// connections goes first, then the one that has been in that state longest. So an attacker
// reconnecting from one host as fast as it is let go evicts its own connections, not those of a
// real client on another host that is a round trip into its handshake.
//
// A connection being served (slow, but with a request under way) gives way only to a newcomer
// from an address that holds fewer connections than its own: otherwise an attacker reconnecting
// as fast as it is let go would keep its own connections too fresh to be slow, and win every
// place that frees up.
//
// Threading: a SlotChooser belongs to one listener and is used on that listener's thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <ranges>
#include <string>
#include <unordered_map>

namespace wgevents::net {

// How readily a connection gives way: lower `rank` first, then the oldest `since`.
struct SlotEviction {
  int rank;
  std::chrono::steady_clock::time_point since;
  bool handshake;  // in its TLS handshake: counted against handshake_budget()
  bool being_served = false;  // gives way only to a newcomer from an address with fewer connections
  bool operator<(const SlotEviction& other) const {
    return rank != other.rank ? rank < other.rank : since < other.since;
  }
};

// TLS handshakes may hold half the slots (at least one): past that, a new connection takes the
// place of a handshake, so stalled handshakes cannot fill the port whatever their number.
constexpr std::size_t handshake_budget(std::size_t max_connections) {
  return std::max<std::size_t>(1, max_connections / 2);
}

class SlotChooser {
 public:
  // The connection in `connections` that gives way most readily to a newcomer from
  // `newcomer_address` (`handshakes_only`: among those in their handshake), or nullopt if none
  // may. `eviction_of(element)` ranks one (std::optional<SlotEviction>); `address_of(element)`
  // names its peer's address (any string that is equal for equal addresses).
  template <std::ranges::forward_range Range, typename EvictionOf, typename AddressOf>
  std::optional<std::ranges::range_value_t<Range>> choose(const Range& connections, EvictionOf&& eviction_of,
                                                          AddressOf&& address_of, const std::string& newcomer_address,
                                                          bool handshakes_only) {
    per_address_.clear();
    for (const auto& connection : connections) ++per_address_[address_of(connection)];
    const auto newcomer = per_address_.find(newcomer_address);
    const std::size_t newcomer_share = newcomer == per_address_.end() ? 0 : newcomer->second;
    const std::ranges::range_value_t<Range>* victim = nullptr;
    std::optional<SlotEviction> victim_eviction;
    std::size_t victim_share = 0;
    for (const auto& connection : connections) {
      const std::optional<SlotEviction> eviction = eviction_of(connection);
      if (!eviction || (handshakes_only && !eviction->handshake)) continue;
      const std::size_t share = per_address_[address_of(connection)];
      if (eviction->being_served && share <= newcomer_share) continue;
      const bool better = victim == nullptr || eviction->rank < victim_eviction->rank ||
                          (eviction->rank == victim_eviction->rank &&
                           (share > victim_share || (share == victim_share && *eviction < *victim_eviction)));
      if (better) {
        victim = &connection;
        victim_eviction = eviction;
        victim_share = share;
      }
    }
    if (victim == nullptr) return std::nullopt;
    return *victim;
  }

  // How many of `connections` are in their TLS handshake.
  template <std::ranges::forward_range Range, typename EvictionOf>
  static std::size_t handshakes(const Range& connections, EvictionOf&& eviction_of) {
    std::size_t count = 0;
    for (const auto& connection : connections) {
      const std::optional<SlotEviction> eviction = eviction_of(connection);
      if (eviction && eviction->handshake) ++count;
    }
    return count;
  }

 private:
  std::unordered_map<std::string, std::size_t> per_address_;  // choose()'s count, kept to reuse
};

}  // namespace wgevents::net
