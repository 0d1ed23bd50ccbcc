#include <catch2/catch.hpp>

#include <string>

#include "state/wireguard_state.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;

namespace {

// Applies kernel lines to a state, as the pipeline does.
struct Feed {
  Parser parser;
  WireguardState state;
  explicit Feed(StateLimits limits = {}) : state(limits) {}
  WireguardState::Outcome line(const std::string& text, double now = 1000) {
    ParseResult r = parser.parse(text);
    REQUIRE(r.status == ParseStatus::event);
    return state.apply(r.event, now);
  }
  const PeerState* peer(std::uint64_t id) const {
    for (const auto& p : state.peer_slots()) {
      if (p.in_use && p.id == id) return &p;
    }
    return nullptr;
  }
};

}  // namespace

TEST_CASE("peer events count per peer and keep handshake, seen and attempts state") {
  Feed feed;
  feed.line("wireguard: wg0: Sending handshake initiation to peer 7 ((einval))", 100);
  feed.line("wireguard: wg0: Handshake for peer 7 ((einval)) did not complete after 5 seconds, retrying (try 3)", 105);
  const PeerState* p = feed.peer(7);
  REQUIRE(p != nullptr);
  CHECK(p->handshake_attempts == 3);
  CHECK_FALSE(p->endpoint.known());
  CHECK(p->last_seen == 0);
  feed.line("wireguard: wg0: Receiving handshake response from peer 7 (192.0.2.1:51820)", 110);
  feed.line("wireguard: wg0: Keypair 1 created for peer 7", 111);
  CHECK(p->handshake_attempts == 0);
  CHECK(p->last_handshake == 111);
  CHECK(p->last_seen == 111);
  CHECK(p->endpoint.known());
  CHECK(p->endpoint_changes == 0);  // the first sighting is no change
  feed.line("wireguard: wg0: Sending keepalive packet to peer 7 ((einval))", 112);
  CHECK(p->endpoint.known());  // a later (einval) keeps the known endpoint
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 7 ([2001:db8::1]:51820/0%0)", 120);
  CHECK(p->endpoint_changes == 1);
  CHECK(p->last_seen == 120);
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 7 ([2001:db8::1]:51820/5%0)", 121);
  CHECK(p->endpoint_changes == 1);  // flowinfo alone is no roaming
  feed.line("wireguard: wg0: Handshake for peer 7 (192.0.2.1:51820) did not complete after 20 attempts, giving up", 130);
  CHECK(p->handshake_attempts == 20);
  CHECK(p->events[peer_event_index(EventKind::handshake_gave_up)] == 1);
  CHECK(p->events[peer_event_index(EventKind::keepalive_received)] == 2);
  CHECK(feed.state.interfaces().at(0).peers == 1);
}

TEST_CASE("peer_destroyed and interface_destroyed remove peers, interface counts stay") {
  Feed feed;
  feed.line("wireguard: wg0: Peer 1 created");
  feed.line("wireguard: wg0: Peer 2 created");
  feed.line("wireguard: wg1: Peer 3 created");
  feed.line("wireguard: wg0: Invalid MAC of handshake, dropping packet from 192.0.2.9:1");
  CHECK(feed.state.peer_count() == 3);
  feed.line("wireguard: wg0: Peer 1 (192.0.2.1:51820) destroyed");
  CHECK(feed.peer(1) == nullptr);
  CHECK(feed.state.peer_count() == 2);
  feed.line("wireguard: wg0: Interface destroyed");
  CHECK(feed.peer(2) == nullptr);
  CHECK(feed.peer(3) != nullptr);
  const auto& wg0 = feed.state.interfaces().at(0);
  CHECK(wg0.peers == 0);
  CHECK(wg0.events[interface_event_index(EventKind::invalid_mac)] == 1);
  CHECK(wg0.events[interface_event_index(EventKind::interface_destroyed)] == 1);
  // A peer id seen again after destruction starts from zero.
  feed.line("wireguard: wg0: Peer 2 created");
  REQUIRE(feed.peer(2) != nullptr);
  CHECK(feed.peer(2)->events[peer_event_index(EventKind::peer_created)] == 1);
}

TEST_CASE("the peer cap evicts the least recently updated peer") {
  Feed feed(StateLimits{3, 64});
  for (int id = 1; id <= 3; ++id) feed.line("wireguard: wg0: Peer " + std::to_string(id) + " created");
  feed.line("wireguard: wg0: Keypair 9 created for peer 1");  // 1 is now the newest
  feed.line("wireguard: wg0: Peer 4 created");                 // evicts 2, the oldest
  CHECK(feed.peer(2) == nullptr);
  CHECK(feed.peer(1) != nullptr);
  CHECK(feed.peer(4) != nullptr);
  CHECK(feed.state.peers_evicted() == 1);
  for (int id = 5; id <= 100; ++id) feed.line("wireguard: wg0: Peer " + std::to_string(id) + " created");
  CHECK(feed.state.peer_count() == 3);
  CHECK(feed.state.peers_evicted() == 97);
  CHECK(feed.state.interfaces().at(0).peers == 3);
  CHECK(feed.peer(100) != nullptr);
}

TEST_CASE("lines for interfaces over the cap are rejected") {
  Feed feed(StateLimits{100, 2});
  CHECK(feed.line("wireguard: wg0: Peer 1 created") == WireguardState::Outcome::counted);
  CHECK(feed.line("wireguard: wg1: Interface created") == WireguardState::Outcome::counted);
  CHECK(feed.line("wireguard: wg2: Peer 2 created") == WireguardState::Outcome::rejected);
  CHECK(feed.line("wireguard: wg0: Peer 3 created") == WireguardState::Outcome::counted);
  CHECK(feed.state.interfaces().size() == 2);
  CHECK(feed.peer(2) == nullptr);
}

TEST_CASE("the same peer id on two interfaces is two peers") {
  Feed feed;
  feed.line("wireguard: wg0: Peer 1 created");
  feed.line("wireguard: wg1: Peer 1 created");
  CHECK(feed.state.peer_count() == 2);
}

TEST_CASE("no_route is counted by family and errno") {
  Feed feed;
  feed.line("wireguard: wg0: No route to 192.0.2.1:51820, error -101");
  feed.line("wireguard: wg0: No route to 192.0.2.1:51820, error -101");
  feed.line("wireguard: wg0: No route to [2001:db8::1]:51820/0%0, error -101");
  feed.line("wireguard: wg0: No route to 192.0.2.1:51820, error -1");
  const auto& routes = feed.state.interfaces().at(0).no_route;
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].count == 2);
  CHECK(routes[0].family == IpAddress::Family::ipv4);
  CHECK(routes[1].family == IpAddress::Family::ipv6);
  CHECK(routes[2].error == -1);
}

TEST_CASE("an endpoint that changes only its port, or only its IPv6 scope, is an endpoint change") {
  Feed feed;
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:51820)");
  const PeerState* p = feed.peer(1);
  REQUIRE(p != nullptr);
  REQUIRE(p->endpoint_changes == 0);
  // NAT rebinding: the same address behind a new port.
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:40001)");
  CHECK(p->endpoint_changes == 1);
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:40001)");
  CHECK(p->endpoint_changes == 1);
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 1 ([fe80::1]:51820/0%3)");
  CHECK(p->endpoint_changes == 2);
  // The same link-local address on another interface is another endpoint.
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 1 ([fe80::1]:51820/0%4)");
  CHECK(p->endpoint_changes == 3);
  CHECK(p->endpoint.scope_id == 4);
  feed.line("wireguard: wg0: Receiving keepalive packet from peer 1 ([fe80::1]:51821/0%4)");
  CHECK(p->endpoint_changes == 4);
  CHECK(p->endpoint.port == 51821);
}

TEST_CASE("no_route errnos the kernel's route lookups never return all count as one value") {
  Feed feed;
  // Every value a line can carry, from a sender that makes up a new one for each line.
  for (std::int32_t error = -200000; error <= 1000; error += 7) {
    feed.line("wireguard: wg0: No route to 192.0.2.1:51820, error " + std::to_string(error));
  }
  feed.line("wireguard: wg0: No route to 192.0.2.1:51820, error -2147483648");
  feed.line("wireguard: wg0: No route to 192.0.2.1:51820, error 2147483647");
  feed.line("wireguard: wg0: No route to [2001:db8::1]:51820/0%0, error -9999");
  const auto& routes = feed.state.interfaces().at(0).no_route;
  CHECK(routes.size() <= 2 * kNoRouteErrorValues);
  std::uint64_t other = 0, total = 0;
  for (const auto& n : routes) {
    total += n.count;
    if (n.error == kNoRouteOtherError) other += n.count;
  }
  CHECK(total == (200000 + 1000) / 7 + 1 + 3);
  // The known errnos stay themselves.
  CHECK(bounded_no_route_error(-101) == -101);
  CHECK(bounded_no_route_error(-113) == -113);
  CHECK(bounded_no_route_error(-1) == -1);
  CHECK(bounded_no_route_error(-22) == -22);
  CHECK(bounded_no_route_error(-9999) == kNoRouteOtherError);
  CHECK(bounded_no_route_error(101) == kNoRouteOtherError);
  CHECK(bounded_no_route_error(INT32_MIN) == kNoRouteOtherError);
  CHECK(other > total - kNoRouteErrorValues * 2);
}

TEST_CASE("peers are numbered in the order they were added, a returning peer anew") {
  Feed feed(StateLimits{2, 64, 256});
  feed.line("wireguard: wg0: Peer 1 created");
  feed.line("wireguard: wg0: Peer 2 created");
  CHECK(feed.peer(1)->created == 1);
  CHECK(feed.peer(2)->created == 2);
  feed.line("wireguard: wg0: Peer 3 created");  // evicts 1
  feed.line("wireguard: wg0: Peer 1 created");  // evicts 2, and 1 is back
  CHECK(feed.peer(1)->created == 4);
  CHECK(feed.state.peers_created() == 4);
}
