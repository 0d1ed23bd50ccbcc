// Addresses an attacker chooses never become label values (docs/events.md): the source of an
// invalid MAC, a bad handshake, a cookie, a routing-loop or no-route line, the inner source of
// a packet with an unallowed IP, the destination a packet found no peer for, and the HOSTNAME
// of the syslog header. Only wireguard_peer_endpoint_info carries an address: the endpoint of
// a peer, which the kernel learns from authenticated packets.
//
// Every attacker-side address is from 198.51.100.0/24 or 2001:db8:bad::/48 (documentation
// ranges); the peers' endpoints are from 192.0.2.0/24.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "hardening_support.h"

using namespace wgevents::testing;
using namespace std::chrono_literals;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Whether `text` holds any form of an attacker-side address: dotted, compressed or full IPv6.
bool mentions_attacker(const std::string& text) {
  const std::string t = lower(text);
  return t.find("198.51.100.") != std::string::npos || t.find("2001:db8:bad") != std::string::npos ||
         t.find("2001:0db8:0bad") != std::string::npos || t.find("attacker") != std::string::npos;
}

struct Sent {
  std::string line;
  std::string series;  // the one series the line must count in (the positive control)
};

}  // namespace

TEST_CASE("source addresses from packets never become label values, only peer endpoints do") {
  const int udp = free_port();
  ExporterProcess exporter({"--syslog.udp-listen-address=127.0.0.1:" + std::to_string(udp)});
  REQUIRE(exporter.started());
  const std::string e = "<4>Nov 24 10:00:00 attacker-198.51.100.99 kernel: wireguard: wg0: ";
  const std::string i = "wireguard_interface_events_total{interface=\"wg0\",event=";
  const std::string p = "wireguard_peer_events_total{interface=\"wg0\",peer=";
  std::vector<Sent> sent;
  for (int n = 1; n <= 3; ++n) {
    const std::string v4 = "198.51.100." + std::to_string(n);
    const std::string v6 = "2001:db8:bad::" + std::to_string(n);
    sent.push_back({e + "Invalid MAC of handshake, dropping packet from " + v4 + ":4444", i + "\"invalid_mac\"}"});
    sent.push_back({e + "Invalid MAC of handshake, dropping packet from [" + v6 + "]:4444/0%0", i + "\"invalid_mac\"}"});
    sent.push_back({e + "Invalid handshake initiation from " + v4 + ":4444", i + "\"invalid_handshake_initiation\"}"});
    sent.push_back({e + "Invalid handshake response from [" + v6 + "]:4444/0%0", i + "\"invalid_handshake_response\"}"});
    sent.push_back({e + "Dropping handshake packet from " + v4 + ":4444", i + "\"handshake_dropped\"}"});
    sent.push_back({e + "Receiving cookie response from " + v4 + ":4444", i + "\"cookie_response_received\"}"});
    sent.push_back({e + "Sending cookie response for denied handshake message for [" + v6 + "]:4444/0%0",
                    i + "\"cookie_response_sent\"}"});
    sent.push_back({e + "No route to " + v4 + ":4444, error -101", i + "\"no_route\"}"});
    sent.push_back({e + "Avoiding routing loop to " + v4 + ":4444", i + "\"routing_loop_avoided\"}"});
    sent.push_back({e + "Invalid packet from [" + v6 + "]:4444/0%0", i + "\"invalid_packet\"}"});
    sent.push_back({e + "No peer has allowed IPs matching " + v4, i + "\"no_allowed_ips_match\"}"});
    sent.push_back({e + "No peer has allowed IPs matching 2001:0db8:0bad:0000:0000:0000:0000:000" + std::to_string(n),
                    i + "\"no_allowed_ips_match\"}"});
    // A peer's packet whose inner source is not allowed: the peer (and its endpoint) is real,
    // the inner address is whatever the sender wrote.
    sent.push_back({e + "Packet has unallowed src IP (" + v4 + ") from peer " + std::to_string(n) + " (192.0.2." +
                        std::to_string(n) + ":51820)",
                    p + "\"" + std::to_string(n) + "\",event=\"unallowed_src_ip\"}"});
    sent.push_back({e + "Packet has unallowed src IP (" + v6 + ") from peer " + std::to_string(n) + " (192.0.2." +
                        std::to_string(n) + ":51820)",
                    p + "\"" + std::to_string(n) + "\",event=\"unallowed_src_ip\"}"});
  }
  std::vector<std::string> lines;
  for (const auto& s : sent) lines.push_back(s.line);
  send_udp(udp, lines);

  Samples s = wait_until(exporter.web_port(), "wireguard_events_exporter_lines_total", "", lines.size(), 10s);
  std::string page;
  s = timed_scrape(exporter.web_port(), &page);
  REQUIRE(exposition_problem(page) == "");
  // Positive controls: every line counted where it belongs, and the peers' endpoints exported.
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == lines.size());
  for (const auto& one : sent) {
    INFO(one.line);
    CHECK(s[one.series] >= 1);
  }
  for (int n = 1; n <= 3; ++n) {
    const std::string endpoint = "192.0.2." + std::to_string(n) + ":51820";
    CHECK(s["wireguard_peer_endpoint_info{interface=\"wg0\",peer=\"" + std::to_string(n) + "\",endpoint=\"" + endpoint +
            "\"}"] == 1);
  }
  // No label value anywhere, and no other byte of the page, holds an attacker's address.
  std::size_t values = 0;
  for (const auto& [name, value] : label_values(page)) {
    INFO(name << "=" << value);
    CHECK_FALSE(mentions_attacker(value));
    ++values;
  }
  CHECK(values > 0);
  CHECK_FALSE(mentions_attacker(page));
  CHECK(exporter.terminate().code == 0);
}
