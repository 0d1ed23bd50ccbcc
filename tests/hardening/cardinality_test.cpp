// Cardinality floods: far more distinct peer ids and interface names than the caps allow. The
// caps must hold exactly (wireguard_peers at --peers.max, interfaces at --interfaces.max),
// every eviction and rejection must be counted, and memory must stop growing once the caps are
// reached.
//
// The lines go over TCP: it loses nothing, so every count can be checked exactly. CI sends
// 100,000 peer ids and 1,000 interface names; bench/hostile.sh sends WGEVENTS_FLOOD_PEERS=1000000
// and WGEVENTS_FLOOD_INTERFACES=10000 against the default --peers.max of 10,000.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>

#include "hardening_support.h"

using namespace wgevents::testing;
using namespace std::chrono_literals;

namespace {

std::string flag(const std::string& name, int port) { return name + "=127.0.0.1:" + std::to_string(port); }

// Distinct, large ids, the way a long-lived module numbers its peers.
std::uint64_t peer_id(std::size_t i) { return 1000000000000ULL + i * 7919ULL; }

std::vector<std::string> peer_lines(std::size_t from, std::size_t to) {
  std::vector<std::string> lines;
  lines.reserve(to - from);
  for (std::size_t i = from; i < to; ++i) {
    lines.push_back("<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg0: Keypair " + std::to_string(i) +
                    " created for peer " + std::to_string(peer_id(i)));
  }
  return lines;
}

double lines_total(const Samples& s) { return sum_of(s, "wireguard_events_exporter_lines_total"); }

}  // namespace

TEST_CASE("cardinality flood: peer and interface caps hold, evictions and rejections are exact, memory stays flat") {
  const std::size_t peers = scale("WGEVENTS_FLOOD_PEERS", 100000);
  const std::size_t interfaces = scale("WGEVENTS_FLOOD_INTERFACES", 1000);
  const std::size_t peers_max = scale("WGEVENTS_FLOOD_PEERS_MAX", 10000);
  const std::size_t interfaces_max = 64;
  REQUIRE(peers > 2 * peers_max);
  REQUIRE(interfaces > interfaces_max);

  const int tcp = free_port();
  ExporterProcess exporter({flag("--syslog.tcp-listen-address", tcp), "--syslog.udp-listen-address=",
                            "--peers.max=" + std::to_string(peers_max),
                            "--interfaces.max=" + std::to_string(interfaces_max)});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  const pid_t pid = exporter_pid(web);
  REQUIRE(pid > 0);
  const MemoryUsage at_start = memory_of(pid);

  // Fill the peer cap, then scrape once so that the page's own buffers are counted in.
  send_tcp(tcp, peer_lines(0, peers_max), false);
  Samples s = wait_until(web, "wireguard_events_exporter_lines_total", "", static_cast<double>(peers_max), 120s);
  REQUIRE(lines_total(s) == static_cast<double>(peers_max));
  CHECK(s["wireguard_peers{interface=\"wg0\"}"] == static_cast<double>(peers_max));
  CHECK(s["wireguard_events_exporter_peers_evicted_total"] == 0);
  const MemoryUsage at_cap = memory_of(pid);

  // Every further peer evicts one.
  const std::size_t chunk = 100000;
  for (std::size_t from = peers_max; from < peers; from += chunk) {
    send_tcp(tcp, peer_lines(from, std::min(peers, from + chunk)), false);
  }
  s = wait_until(web, "wireguard_events_exporter_lines_total", "", static_cast<double>(peers), 300s);
  REQUIRE(lines_total(s) == static_cast<double>(peers));
  // A page is written in pieces while lines keep arriving (metrics_page.h): the one that saw the
  // last line counted may predate it in its peer families. The next one is whole.
  s = timed_scrape(web);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == static_cast<double>(peers));
  CHECK(s["wireguard_peers{interface=\"wg0\"}"] == static_cast<double>(peers_max));
  CHECK(s["wireguard_events_exporter_peers_evicted_total"] == static_cast<double>(peers - peers_max));
  // The survivors are the newest peers.
  CHECK(s.count("wireguard_peer_events_total{interface=\"wg0\",peer=\"" + std::to_string(peer_id(peers - 1)) +
                "\",event=\"keypair_created\"}") == 1);
  CHECK(s.count("wireguard_peer_events_total{interface=\"wg0\",peer=\"" + std::to_string(peer_id(peers - peers_max - 1)) +
                "\",event=\"keypair_created\"}") == 0);
  const MemoryUsage after_peers = memory_of(pid);

  // Interface names: the first interfaces_max - 1 new ones are taken (wg0 is one), each with a
  // new peer that evicts another; every line for a name beyond the cap is rejected.
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < interfaces; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "if%06zu", i);
    lines.push_back(std::string("<4>Nov 24 10:00:00 gw1 kernel: wireguard: ") + name + ": Peer " +
                    std::to_string(peer_id(peers + i)) + " created");
  }
  send_tcp(tcp, lines, false);
  const double all = static_cast<double>(peers + interfaces);
  s = wait_until(web, "wireguard_events_exporter_lines_total", "", all, 120s);
  REQUIRE(lines_total(s) == all);
  s = timed_scrape(web);
  const double taken = static_cast<double>(interfaces_max - 1);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"rejected\"}"] == static_cast<double>(interfaces) - taken);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == static_cast<double>(peers) + taken);
  CHECK(s["wireguard_events_exporter_peers_evicted_total"] == static_cast<double>(peers - peers_max) + taken);
  CHECK(sum_of(s, "wireguard_peers") == static_cast<double>(peers_max));
  CHECK(sum_of(s, "wireguard_events_exporter_messages_received_total") == all);

  // The page: valid, with exactly the capped number of interfaces and peers in its labels.
  std::string page;
  const auto scrape_start = std::chrono::steady_clock::now();
  s = timed_scrape(web, &page);
  const double scrape_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - scrape_start).count();
  REQUIRE(exposition_problem(page) == "");
  std::set<std::string> interface_names, peer_ids;
  for (const auto& [name, value] : label_values(page)) {
    if (name == "interface") interface_names.insert(value);
    if (name == "peer") peer_ids.insert(value);
  }
  CHECK(interface_names.size() == interfaces_max);
  CHECK(peer_ids.size() == peers_max);
  const MemoryUsage at_end = memory_of(pid);

  std::cout << "cardinality flood: peers=" << peers << " interfaces=" << interfaces << " peers.max=" << peers_max
            << " interfaces.max=" << interfaces_max << "\n  vm_rss_kib start=" << at_start.rss_kib
            << " at_cap=" << at_cap.rss_kib << " after_peers=" << after_peers.rss_kib << " end=" << at_end.rss_kib
            << " vm_hwm_kib=" << at_end.hwm_kib << "\n  scrape: " << page.size() << " bytes in " << scrape_ms << " ms"
            << std::endl;
  // Once the caps are reached, 10x or 100x more distinct ids cost no more memory. (AddressSanitizer
  // keeps freed memory in quarantine, so there resident size says nothing.)
  if (!under_address_sanitizer()) {
    CHECK(at_end.rss_kib - at_cap.rss_kib < 16 * 1024);
  }
  CHECK(exporter.terminate().code == 0);
}

TEST_CASE("cardinality flood in fleet mode: hostnames stay at --hosts.max, their label values escaped") {
  // In fleet mode the syslog HOSTNAME becomes the `host` label: whoever can reach the input
  // chooses it, so only the cap (and --syslog.allowed-sources) bounds it.
  const std::size_t hosts = scale("WGEVENTS_FLOOD_HOSTS", 2000);
  const std::size_t hosts_max = 16;
  const int tcp = free_port();
  ExporterProcess exporter({flag("--syslog.tcp-listen-address", tcp), "--syslog.udp-listen-address=",
                            "--syslog.host-label", "--hosts.max=" + std::to_string(hosts_max)});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  // A few names built to break a label first, then plain ones far past the cap.
  std::vector<std::string> names = {"g\"w", "g\\w", "gw}{", "gw#1", "h\xc3\xb4te"};
  for (std::size_t i = 0; names.size() < hosts; ++i) names.push_back("host" + std::to_string(i));
  std::vector<std::string> lines;
  for (const auto& name : names) {
    lines.push_back("<4>Nov 24 10:00:00 " + name + " kernel: wireguard: wg0: Peer 1 created");
  }
  send_tcp(tcp, lines, false);
  Samples s = wait_until(web, "wireguard_events_exporter_lines_total", "", static_cast<double>(hosts), 60s);
  REQUIRE(sum_of(s, "wireguard_events_exporter_lines_total") == static_cast<double>(hosts));
  std::string page;
  s = timed_scrape(web, &page);
  REQUIRE(exposition_problem(page) == "");
  std::set<std::string> host_values;
  for (const auto& [name, value] : label_values(page)) {
    if (name == "host") host_values.insert(value);
  }
  CHECK(host_values.size() == hosts_max);
  CHECK(s["wireguard_events_exporter_hosts"] == hosts_max);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == hosts_max);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"rejected\"}"] +
            s["wireguard_events_exporter_lines_total{result=\"malformed\"}"] ==
        static_cast<double>(hosts - hosts_max));
  CHECK(exporter.terminate().code == 0);
}
