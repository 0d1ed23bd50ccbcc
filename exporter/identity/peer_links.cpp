#include "peer_links.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace wgevents {
namespace {

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const {
    std::size_t h = e.port;
    for (auto b : e.address.bytes) h = h * 131 + b;
    return h ^ (static_cast<std::size_t>(e.address.family) << 20) ^ e.scope_id;
  }
};

// Endpoints are compared as the metrics page shows them: flowinfo is not part of one.
Endpoint comparable(Endpoint e) {
  e.flowinfo = 0;
  return e;
}

constexpr std::size_t kNone = SIZE_MAX;
constexpr std::size_t kAmbiguous = SIZE_MAX - 1;

}  // namespace

InterfaceLinks link_peers(const InterfaceTable& table, std::span<const TrackedPeer> tracked) {
  const std::size_t n = table.peers.size();

  // Endpoint -> the one table peer with it, or kAmbiguous.
  std::unordered_map<Endpoint, std::size_t, EndpointHash> by_endpoint;
  by_endpoint.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!table.peers[i].endpoint.known()) continue;
    auto [it, inserted] = by_endpoint.emplace(comparable(table.peers[i].endpoint), i);
    if (!inserted) it->second = kAmbiguous;
  }

  // Key abbreviation -> the one table peer whose key has it, or kAmbiguous.
  std::unordered_map<std::uint64_t, std::size_t> by_abbreviation;
  for (const TrackedPeer& t : tracked) {
    if (t.naming != PeerNaming::key_abbreviation) continue;
    by_abbreviation.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string key = base64_key(table.peers[i].public_key);
      const std::string printed = key.substr(0, 4) + "\u2026" + key.substr(39, 4);
      const auto packed = pack_key_abbreviation(printed);
      if (!packed) continue;
      auto [it, inserted] = by_abbreviation.emplace(*packed, i);
      if (!inserted) it->second = kAmbiguous;
    }
    break;
  }

  // Creation order, when every table peer's creation was seen (and only then).
  std::vector<std::size_t> created;  // indices into `tracked`
  if (table.source == TableSource::kernel) {
    for (std::size_t t = 0; t < tracked.size(); ++t) {
      if (tracked[t].creation_seen && tracked[t].naming == PeerNaming::kernel_id) created.push_back(t);
    }
    if (created.size() == n) {
      std::sort(created.begin(), created.end(),
                [&](std::size_t a, std::size_t b) { return tracked[a].id < tracked[b].id; });
    } else {
      created.clear();
    }
  }
  std::vector<std::size_t> by_order(tracked.size(), kNone);
  for (std::size_t k = 0; k < created.size(); ++k) by_order[created[k]] = k;

  // Each tracked id's candidate: both signals must agree where both speak.
  std::vector<std::size_t> candidate(tracked.size(), kNone);
  for (std::size_t t = 0; t < tracked.size(); ++t) {
    std::size_t from_endpoint = kNone;
    if (tracked[t].endpoint.known()) {
      auto it = by_endpoint.find(comparable(tracked[t].endpoint));
      if (it != by_endpoint.end() && it->second != kAmbiguous) from_endpoint = it->second;
    }
    std::size_t from_name = by_order[t];  // creation order (kernel) or key abbreviation (userspace)
    if (tracked[t].naming == PeerNaming::key_abbreviation) {
      auto it = by_abbreviation.find(tracked[t].id);
      from_name = it == by_abbreviation.end() || it->second == kAmbiguous ? kNone : it->second;
    }
    if (from_endpoint != kNone && from_name != kNone && from_endpoint != from_name) continue;
    candidate[t] = from_endpoint != kNone ? from_endpoint : from_name;
  }

  // A table peer claimed by two ids links neither.
  std::vector<std::uint32_t> claims(n, 0);
  for (std::size_t c : candidate) {
    if (c != kNone) ++claims[c];
  }
  InterfaceLinks links;
  links.id_of_peer.assign(n, std::nullopt);
  std::size_t linked = 0;
  for (std::size_t t = 0; t < tracked.size(); ++t) {
    const std::size_t c = candidate[t];
    if (c == kNone || claims[c] != 1) continue;
    links.id_of_peer[c] = tracked[t];
    ++linked;
  }
  links.unresolved = (n - linked) + (tracked.size() - linked);
  return links;
}

}  // namespace wgevents
