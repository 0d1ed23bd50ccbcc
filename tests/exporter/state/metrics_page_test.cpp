#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "metrics/metrics_page.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;

namespace {

std::string page_for(const std::vector<std::string>& lines, PageOptions options = {}, double now = 2000) {
  Parser parser;
  WireguardState state(StateLimits{});
  SelfMetrics self("1.2.3", "abc");
  for (const auto& line : lines) {
    ParseResult r = parser.parse(line);
    REQUIRE(r.status == ParseStatus::event);
    state.apply(r.event, 1000);
  }
  return MetricsPage(state, self, options, now).render_all();
}

bool has_line(const std::string& page, const std::string& line) {
  return page.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the page has every family with HELP and TYPE, and exact series") {
  std::string page = page_for({
      "wireguard: wg0: Receiving keepalive packet from peer 7 ([fe80::1]:51820/9%3)",
      "wireguard: wg0: Receiving keepalive packet from peer 7 ([fe80::1]:51820/9%3)",
      "wireguard: wg0: Keypair 4 created for peer 7",
      "wireguard: wg0: No route to 192.0.2.1:51820, error -101",
      "wireguard: wg0: No route to 192.0.2.1:51820, error -9999",
      "wireguard: wg0: Invalid MAC of handshake, dropping packet from 192.0.2.9:1",
  });
  INFO(page);
  CHECK(has_line(page, "# TYPE wireguard_peer_events_total counter"));
  CHECK(has_line(page, R"(wireguard_peer_events_total{interface="wg0",peer="7",event="keepalive_received"} 2)"));
  CHECK(has_line(page, R"(wireguard_peer_events_total{interface="wg0",peer="7",event="keypair_created"} 1)"));
  CHECK(has_line(page, R"(wireguard_interface_events_total{interface="wg0",event="invalid_mac"} 1)"));
  CHECK(has_line(page, R"(wireguard_no_route_errors_total{interface="wg0",family="ipv4",error="ENETUNREACH"} 1)"));
  CHECK(has_line(page, R"(wireguard_no_route_errors_total{interface="wg0",family="ipv4",error="other"} 1)"));
  CHECK(has_line(page, R"(wireguard_peer_last_handshake_timestamp_seconds{interface="wg0",peer="7"} 1000)"));
  CHECK(has_line(page, R"(wireguard_peer_last_handshake_age_seconds{interface="wg0",peer="7"} 1000)"));
  CHECK(has_line(page, R"(wireguard_peer_last_seen_timestamp_seconds{interface="wg0",peer="7"} 1000)"));
  CHECK(has_line(page, R"(wireguard_peer_handshake_attempts{interface="wg0",peer="7"} 0)"));
  CHECK(has_line(page, R"(wireguard_peer_endpoint_info{interface="wg0",peer="7",endpoint="[fe80::1%3]:51820"} 1)"));
  CHECK(has_line(page, R"(wireguard_peer_endpoint_changes_total{interface="wg0",peer="7"} 0)"));
  CHECK(has_line(page, R"(wireguard_peers{interface="wg0"} 1)"));
  CHECK(has_line(page, R"(wireguard_events_exporter_build_info{revision="abc",version="1.2.3"} 1)"));
  CHECK(page.find("process_resident_memory_bytes") != std::string::npos);
  // Events never seen have no series.
  CHECK(page.find("event=\"keepalive_sent\"") == std::string::npos);
}

TEST_CASE("without the endpoint label (--no-endpoint-label) the endpoint series is left out") {
  std::string page = page_for({"wireguard: wg0: Receiving keepalive packet from peer 7 (192.0.2.1:1)"},
                              PageOptions{false});
  CHECK(page.find("wireguard_peer_endpoint_info") == std::string::npos);
  CHECK(page.find("wireguard_peer_endpoint_changes_total{") != std::string::npos);
}

TEST_CASE("interface names are escaped as label values") {
  std::string page = page_for({"wireguard: w\"g\\0: Peer 1 created"});
  CHECK(has_line(page, R"(wireguard_peers{interface="w\"g\\0"} 1)"));
}

TEST_CASE("a large page comes in bounded pieces that add up to the whole") {
  Parser parser;
  WireguardState state(StateLimits{});
  SelfMetrics self("1", "x");
  for (int id = 0; id < 3000; ++id) {
    for (const char* body : {"Receiving keepalive packet from peer %d (192.0.2.1:51820)", "Keypair 1 created for peer %d",
                             "Sending keepalive packet to peer %d (192.0.2.1:51820)"}) {
      char line[200];
      std::snprintf(line, sizeof line, body, id);
      state.apply(parser.parse(std::string("wireguard: wg0: ") + line).event, 1000);
    }
  }
  std::string whole = MetricsPage(state, self, {}, 2000).render_all();
  MetricsPage page(state, self, {}, 2000);
  std::string joined, piece;
  int pieces = 0;
  bool more = true;
  while (more) {
    piece.clear();
    more = page.next(piece);
    CHECK(piece.size() < MetricsPage::kPieceBytes + 4096);
    joined += piece;
    ++pieces;
  }
  // The domain part is the same; process metrics (CPU, memory) move between two renders.
  auto domain = [](const std::string& page) { return page.substr(0, page.find("# HELP wireguard_events_exporter_")); };
  CHECK(domain(joined) == domain(whole));
  CHECK(domain(whole).size() > 500000);
  CHECK(pieces > 10);
  CHECK(whole.find(R"(wireguard_peers{interface="wg0"} 3000)") != std::string::npos);
}

TEST_CASE("a userspace peer is labelled by its key abbreviation and looks like a kernel one") {
  const std::string a = "peer(BfzC\xE2\x80\xA6" "3sz4)";
  const std::string b = "peer(+6RW\xE2\x80\xA6" "f8Uw)";
  std::string page = page_for({
      "DEBUG: (wga0) 2026/12/01 12:59:28 " + a + " - UAPI: Created",
      "DEBUG: (wga0) 2026/12/01 12:59:28 " + a + " - Sending handshake initiation",
      "DEBUG: (wga0) 2026/12/01 12:59:28 " + a + " - Received handshake response",
      "DEBUG: (wga0) 2026/12/01 12:59:29 " + b + " - Handshake did not complete after 5 seconds, retrying (try 2)",
      // The kernel's peer 7 on another interface: both namings side by side.
      "wireguard: wg0: Keypair 4 created for peer 7",
  });
  INFO(page);
  const std::string la = "peer=\"BfzC\xE2\x80\xA6" "3sz4\"";
  const std::string lb = "peer=\"+6RW\xE2\x80\xA6" "f8Uw\"";
  CHECK(has_line(page, "wireguard_peer_events_total{interface=\"wga0\"," + la + ",event=\"peer_created\"} 1"));
  CHECK(has_line(page, "wireguard_peer_events_total{interface=\"wga0\"," + la + ",event=\"handshake_response_received\"} 1"));
  // The response that completes the handshake is also the kernel's keypair_created.
  CHECK(has_line(page, "wireguard_peer_events_total{interface=\"wga0\"," + la + ",event=\"keypair_created\"} 1"));
  CHECK(has_line(page, "wireguard_peer_last_handshake_timestamp_seconds{interface=\"wga0\"," + la + "} 1000"));
  CHECK(has_line(page, "wireguard_peer_last_seen_timestamp_seconds{interface=\"wga0\"," + la + "} 1000"));
  CHECK(has_line(page, "wireguard_peer_handshake_attempts{interface=\"wga0\"," + lb + "} 2"));
  CHECK(has_line(page, R"(wireguard_peer_events_total{interface="wg0",peer="7",event="keypair_created"} 1)"));
  CHECK(has_line(page, R"(wireguard_peers{interface="wga0"} 2)"));
}

TEST_CASE("userspace peers go with `UAPI: Removing`, all of them with `Removing all peers`") {
  Parser parser;
  WireguardState state(StateLimits{});
  auto apply = [&](const std::string& line) {
    ParseResult r = parser.parse(line);
    REQUIRE(r.status == ParseStatus::event);
    state.apply(r.event, 1000);
  };
  const std::string prefix = "DEBUG: (wga0) 2026/12/01 12:59:28 ";
  const std::string a = "peer(BfzC\xE2\x80\xA6" "3sz4)";
  const std::string b = "peer(+6RW\xE2\x80\xA6" "f8Uw)";
  apply(prefix + a + " - UAPI: Created");
  apply(prefix + b + " - UAPI: Created");
  apply("wireguard: wg0: Peer 1 created");
  CHECK(state.peer_count() == 3);
  apply(prefix + a + " - UAPI: Removing");
  CHECK(state.peer_count() == 2);
  apply(prefix + "UAPI: Removing all peers");
  CHECK(state.peer_count() == 1);  // the kernel interface's peer stays
  CHECK(state.interfaces()[0].peers == 0);
}

namespace {

// Every series (the line up to its value) written more than once on the page.
std::vector<std::string> repeated_series(const std::string& page) {
  std::set<std::string> seen;
  std::vector<std::string> repeated;
  std::size_t start = 0;
  while (start < page.size()) {
    std::size_t end = page.find('\n', start);
    if (end == std::string::npos) end = page.size();
    const std::string line = page.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const std::string series = line.substr(0, line.rfind(' '));
    if (!seen.insert(series).second) repeated.push_back(series);
  }
  return repeated;
}

}  // namespace

TEST_CASE("peers that churn past --peers.max while a page is written appear once each") {
  Parser parser;
  WireguardState state(StateLimits{2000, 64, 256});
  SelfMetrics self("1", "x");
  auto keepalive = [&](int id) {
    const std::string line = "wireguard: wg0: Receiving keepalive packet from peer " + std::to_string(id) +
                             " (192.0.2.1:51820)";
    state.apply(parser.parse(line).event, 1000);
  };
  // 2,100 ids cycling through a cap of 2,000: each new line evicts the oldest, which comes back
  // (into the slot just freed, often one the page has not walked yet) 100 lines later.
  int next_id = 0;
  for (; next_id < 2000; ++next_id) keepalive(next_id);
  MetricsPage page(state, self, {}, 2000);
  std::string joined, piece;
  bool more = true;
  while (more) {
    piece.clear();
    more = page.next(piece);
    joined += piece;
    for (int i = 0; i < 300; ++i, ++next_id) keepalive(next_id % 2100);
  }
  INFO(joined.substr(0, 2000));
  CHECK(repeated_series(joined).empty());
  CHECK(state.peers_evicted() > 1000);
}

TEST_CASE("a piece stays bounded however many rows one interface or peer has") {
  Parser parser;
  WireguardState state(StateLimits{1000, 64, 16});
  SelfMetrics self("1", "x");
  // Fleet mode with the longest host names, every interface with every kind of no_route row,
  // and peers with every event.
  const std::string long_host(255, '"');
  for (int h = 0; h < 16; ++h) {
    const std::string host = long_host.substr(0, 250) + std::to_string(h);
    for (int i = 0; i < 64; ++i) {
      const std::string iface = "wg\\\"" + std::to_string(i);
      for (std::int32_t error = -200; error < 0; ++error) {
        for (const char* to : {"192.0.2.1:51820", "[2001:db8::1]:51820/0%0"}) {
          // The event's fields view the line: it must outlive apply().
          const std::string line = "wireguard: " + iface + ": No route to " + to + ", error " + std::to_string(error);
          const auto r = parser.parse(line);
          REQUIRE(r.status == ParseStatus::event);
          state.apply(r.event, 1000, host);
        }
      }
      const std::string line = "wireguard: " + iface + ": Receiving keepalive packet from peer " +
                               std::to_string(h * 64 + i) + " (192.0.2.1:51820)";
      const auto r = parser.parse(line);
      state.apply(r.event, 1000, host);
    }
  }
  MetricsPage page(state, self, PageOptions{true, true}, 2000);
  std::string piece;
  std::size_t largest = 0, total = 0;
  bool more = true;
  while (more) {
    piece.clear();
    more = page.next(piece);
    largest = std::max(largest, piece.size());
    total += piece.size();
  }
  CHECK(largest <= MetricsPage::kMaxPieceBytes);
  CHECK(total > 10 * MetricsPage::kMaxPieceBytes);
  // 16 hosts x 64 interfaces x 2 families x (16 errnos + other), at most.
  for (const auto& iface : state.interfaces()) CHECK(iface.no_route.size() <= 2 * kNoRouteErrorValues);
}

TEST_CASE("what an input counts while it starts, before its transport's series exist, is shown after") {
  // The kmsg input reads what is already there (--kmsg.from-start) inside start(), before the
  // exporter adds its transport: the messages and the records lost among them count.
  SelfMetrics self("1", "x");
  self.message_received(Transport::kmsg, 10, 1000);
  self.receive_drops(Transport::kmsg, 2);
  self.receive_drops(Transport::udp, 5);  // an input that is not configured: never shown
  std::string page = self.render();
  CHECK(page.find("transport=\"kmsg\"") == std::string::npos);
  self.add_transport(Transport::kmsg);
  self.receive_drops(Transport::kmsg, 3);
  page = self.render();
  INFO(page);
  CHECK(has_line(page, R"(wireguard_events_exporter_messages_received_total{transport="kmsg"} 1)"));
  CHECK(has_line(page, R"(wireguard_events_exporter_receive_drops_total{transport="kmsg"} 5)"));
  CHECK(page.find("transport=\"udp\"") == std::string::npos);
}
