// Linking kernel peer ids to public keys (docs/metrics.md, "Peer identity"), on tables and
// tracked peers written out here: each row says what the lines and the table showed, and
// which id each table peer must get (or none).
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "identity/peer_links.h"

using namespace wgevents;

namespace {

Endpoint ep(const char* address, std::uint16_t port) {
  Endpoint e;
  e.address.family = IpAddress::Family::ipv4;
  inet_pton(AF_INET, address, e.address.bytes.data());
  e.port = port;
  return e;
}

InterfaceTable table_of(std::vector<Endpoint> endpoints, TableSource source = TableSource::kernel) {
  InterfaceTable t;
  t.name = "wg0";
  t.source = source;
  std::uint8_t fill = 1;
  for (const auto& e : endpoints) {
    TablePeer p;
    p.public_key.fill(fill++);
    p.endpoint = e;
    t.peers.push_back(p);
  }
  return t;
}

using Ids = std::vector<std::optional<std::uint64_t>>;

Ids ids_of(const InterfaceLinks& links) {
  Ids ids;
  for (const auto& linked : links.id_of_peer) ids.push_back(linked ? std::optional(linked->id) : std::nullopt);
  return ids;
}

}  // namespace

TEST_CASE("one table peer with the line's endpoint is that id") {
  const auto table = table_of({ep("192.0.2.1", 1), ep("192.0.2.2", 2)});
  const std::vector<TrackedPeer> tracked = {{17, PeerNaming::kernel_id, ep("192.0.2.2", 2), false}};
  const auto links = link_peers(table, tracked);
  CHECK(ids_of(links) == Ids{std::nullopt, 17});
  CHECK(links.unresolved == 1);  // the table's first peer
}

TEST_CASE("two table peers with one endpoint link nothing") {
  const auto table = table_of({ep("192.0.2.1", 1), ep("192.0.2.1", 1)});
  const std::vector<TrackedPeer> tracked = {{17, PeerNaming::kernel_id, ep("192.0.2.1", 1), false}};
  const auto links = link_peers(table, tracked);
  CHECK(ids_of(links) == Ids{std::nullopt, std::nullopt});
  CHECK(links.unresolved == 3);
}

TEST_CASE("two ids on one endpoint link neither") {
  const auto table = table_of({ep("192.0.2.1", 1), Endpoint{}});
  const std::vector<TrackedPeer> tracked = {{17, PeerNaming::kernel_id, ep("192.0.2.1", 1), false}, {18, PeerNaming::kernel_id, ep("192.0.2.1", 1), false}};
  const auto links = link_peers(table, tracked);
  CHECK(ids_of(links) == Ids{std::nullopt, std::nullopt});
  CHECK(links.unresolved == 4);
}

TEST_CASE("creation order links when every table peer's creation was seen") {
  // Ids from the global counter, in creation order; the kernel lists the table the same way.
  const auto table = table_of({Endpoint{}, Endpoint{}, Endpoint{}});
  std::vector<TrackedPeer> tracked = {{42, PeerNaming::kernel_id, {}, true}, {7, PeerNaming::kernel_id, {}, true}, {9, PeerNaming::kernel_id, {}, true}};
  auto links = link_peers(table, tracked);
  CHECK(ids_of(links) == Ids{7, 9, 42});
  CHECK(links.unresolved == 0);

  SECTION("one creation not seen: no order, nothing linked") {
    tracked[2].creation_seen = false;
    links = link_peers(table, tracked);
    CHECK(ids_of(links) == Ids{std::nullopt, std::nullopt, std::nullopt});
    CHECK(links.unresolved == 6);
  }
  SECTION("a peer removed without its line: counts differ, nothing linked by order") {
    const auto smaller = table_of({Endpoint{}, Endpoint{}});
    links = link_peers(smaller, tracked);
    CHECK(ids_of(links) == Ids{std::nullopt, std::nullopt});
  }
  SECTION("userspace tables are not in creation order") {
    links = link_peers(table_of({Endpoint{}, Endpoint{}, Endpoint{}}, TableSource::userspace), tracked);
    CHECK(ids_of(links) == Ids{std::nullopt, std::nullopt, std::nullopt});
  }
}

TEST_CASE("endpoint and creation order agreeing link, disagreeing leave the peer unresolved") {
  const auto table = table_of({ep("192.0.2.1", 1), ep("192.0.2.2", 2)});
  SECTION("agree") {
    const std::vector<TrackedPeer> tracked = {{3, PeerNaming::kernel_id, ep("192.0.2.1", 1), true}, {5, PeerNaming::kernel_id, {}, true}};
    CHECK(ids_of(link_peers(table, tracked)) == Ids{3, 5});
  }
  SECTION("disagree") {
    // Order says 3 is the first peer, the endpoint says the second: 3 links nothing, and 5
    // (order: the second) now shares the second peer's claim with nobody.
    const std::vector<TrackedPeer> tracked = {{3, PeerNaming::kernel_id, ep("192.0.2.2", 2), true}, {5, PeerNaming::kernel_id, {}, true}};
    const auto links = link_peers(table, tracked);
    CHECK(ids_of(links) == Ids{std::nullopt, 5});
    CHECK(links.unresolved == 2);
  }
  SECTION("one table peer claimed by two ids through different signals") {
    // 5 by order is the second peer; 8 by endpoint is the second peer too.
    const std::vector<TrackedPeer> tracked = {{3, PeerNaming::kernel_id, {}, true}, {5, PeerNaming::kernel_id, {}, true}, {8, PeerNaming::kernel_id, ep("192.0.2.2", 2), false}};
    const auto links = link_peers(table, tracked);
    CHECK(ids_of(links) == Ids{3, std::nullopt});
    CHECK(links.unresolved == 3);
  }
}

TEST_CASE("a roaming peer's new endpoint is matched again") {
  const auto before = table_of({ep("192.0.2.1", 1), ep("192.0.2.2", 2)});
  const auto after = table_of({ep("198.51.100.9", 7), ep("192.0.2.2", 2)});
  std::vector<TrackedPeer> tracked = {{17, PeerNaming::kernel_id, ep("192.0.2.1", 1), false}};
  CHECK(ids_of(link_peers(before, tracked)) == Ids{17, std::nullopt});
  CHECK(ids_of(link_peers(after, tracked)) == Ids{std::nullopt, std::nullopt});  // the line is older
  tracked[0].endpoint = ep("198.51.100.9", 7);  // its next line
  CHECK(ids_of(link_peers(after, tracked)) == Ids{17, std::nullopt});
}

TEST_CASE("an interface without a table leaves every tracked id unresolved") {
  const std::vector<TrackedPeer> tracked = {{1, PeerNaming::kernel_id, {}, true}, {2, PeerNaming::kernel_id, {}, false}};
  CHECK(no_table_links(tracked).unresolved == 2);
}

TEST_CASE("a userspace peer's key abbreviation links it, an abbreviation two keys share links nothing") {
  auto table = table_of({Endpoint{}, Endpoint{}}, TableSource::userspace);
  table.peers[0].public_key = *parse_base64_key("CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=");
  table.peers[1].public_key = *parse_base64_key("nyqEIjcaghcYW9x7eOOY+OwhTPumKV+pSXK+MYVJvmA=");
  const auto packed = pack_key_abbreviation("nyqE\u2026JvmA");
  REQUIRE(packed);
  std::vector<TrackedPeer> tracked = {{*packed, PeerNaming::key_abbreviation, {}, false}};
  CHECK(ids_of(link_peers(table, tracked)) == Ids{std::nullopt, *packed});
  // A third key with the same first and last characters makes the abbreviation ambiguous.
  TablePeer twin = table.peers[1];
  twin.public_key[10] ^= 0xFF;
  table.peers.push_back(twin);
  CHECK(ids_of(link_peers(table, tracked)) == Ids{std::nullopt, std::nullopt, std::nullopt});
}
