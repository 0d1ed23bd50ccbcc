// Hostile UDP senders: random bytes, cut-off headers, 64 KiB datagrams, NULs, bytes that are
// not UTF-8, ids and names over their limits, numbers out of range and interface names built
// to break the exposition format, mixed with real lines. The exporter must take every datagram
// in, account for each exactly once, keep serving, and keep its page valid.
//
// CI sends 50,000 datagrams; bench/hostile.sh sends WGEVENTS_HOSTILE_DATAGRAMS=1000000.
#include <catch2/catch.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <set>
#include <thread>

#include "hardening_support.h"
#include "hostile_datagrams.h"

using namespace wgevents::testing;
using namespace std::chrono_literals;

namespace {
std::string flag(const std::string& name, int port) { return name + "=127.0.0.1:" + std::to_string(port); }
}  // namespace

TEST_CASE("hostile datagrams: every one accounted for, no crash, a valid page throughout") {
  const std::size_t total = scale("WGEVENTS_HOSTILE_DATAGRAMS", 50000);
  const int udp = free_port();
  ExporterProcess exporter({flag("--syslog.udp-listen-address", udp), "--peers.max=1000"});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  const pid_t pid = exporter_pid(web);
  REQUIRE(pid > 0);

  // Hold back while a quarter of the granted buffer is queued: the exporter is never flooded
  // into drops, whatever the build's speed.
  const long buffer = logged_receive_buffer_bytes(exporter.stderr_text());
  PacedUdpSender sender(udp, static_cast<std::size_t>(std::max(buffer, 200000L) / 4));
  HostileDatagrams hostile(20261124);
  const auto start = std::chrono::steady_clock::now();
  std::size_t generated = 0;
  std::vector<std::string> batch;
  std::string page;
  while (generated < total) {
    batch.clear();
    for (std::size_t i = 0; i < 5000 && generated < total; ++i, ++generated) batch.push_back(hostile.next());
    sender.send(batch);
    // Scrapes during the flood answer, and their pages are valid.
    Samples during = timed_scrape(web, &page);
    REQUIRE(!during.empty());
    INFO(page.substr(0, 2000));
    REQUIRE(exposition_problem(page) == "");
  }
  // SO_RXQ_OVFL reports drops with the next datagram that gets through: one more, after the
  // flood has been read, makes any drop at the very end visible.
  wait_settled(web, "wireguard_events_exporter_messages_received_total", "udp", 30s);
  sender.send({"<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg0: Peer 1 created"});
  const double sent = static_cast<double>(sender.sent());
  Samples s;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    s = timed_scrape(web);
    if (s["wireguard_events_exporter_messages_received_total{transport=\"udp\"}"] +
            s["wireguard_events_exporter_receive_drops_total{transport=\"udp\"}"] >= sent) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double received = s["wireguard_events_exporter_messages_received_total{transport=\"udp\"}"];
  const double drops = s["wireguard_events_exporter_receive_drops_total{transport=\"udp\"}"];
  CHECK(sender.failed() == 0);
  CHECK(sender.sent() == total + 1);
  CHECK(received + drops == sent);
  // Paced, with the buffer the exporter asks for, nothing is dropped. It gets that buffer as root
  // or with CAP_NET_ADMIN, as the suite runs (with a small one a batch of 64 KiB datagrams could
  // overflow it, so the check would mean nothing: that fails too).
  INFO("UDP receive buffer granted: " << buffer << " bytes (8 MiB needs root or CAP_NET_ADMIN)");
  CHECK(buffer >= 8 * 1024 * 1024);
  CHECK(drops == 0);
  CHECK(sum_of(s, "wireguard_events_exporter_lines_total") == received);

  // What the kinds promise, in aggregate: the lines with out-of-range fields are malformed, and
  // the real ones counted as events.
  std::size_t must_be_malformed = 0;
  for (std::size_t k = 0; k < kHostileKindCount; ++k) {
    if (always_malformed(static_cast<HostileKind>(k))) must_be_malformed += hostile.counts()[k];
  }
  const auto& counts = hostile.counts();
  if (drops == 0) {
    CHECK(s["wireguard_events_exporter_lines_total{result=\"malformed\"}"] >= static_cast<double>(must_be_malformed));
    CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] >=
          static_cast<double>(counts[static_cast<std::size_t>(HostileKind::valid)]));
  }
  // Interfaces stay under the default cap and peers under --peers.max.
  std::set<std::string> interfaces;
  s = timed_scrape(web, &page);
  REQUIRE(exposition_problem(page) == "");
  for (const auto& [name, value] : label_values(page)) {
    if (name == "interface") interfaces.insert(value);
  }
  CHECK(interfaces.size() <= 64);
  CHECK(sum_of(s, "wireguard_peers") <= 1000);
  CHECK(s["wireguard_events_exporter_peers_evicted_total"] > 0);

  const MemoryUsage memory = memory_of(pid);
  std::cout << std::fixed << std::setprecision(0);
  std::cout << "hostile datagrams: sent=" << sender.sent() << " received=" << received << " drops=" << drops
            << " seconds=" << std::setprecision(2) << seconds << std::setprecision(0) << " vm_rss_kib=" << memory.rss_kib << " vm_hwm_kib=" << memory.hwm_kib << "\n  kinds:";
  for (std::size_t k = 0; k < kHostileKindCount; ++k) {
    std::cout << " " << hostile_kind_name(static_cast<HostileKind>(k)) << "=" << counts[k];
  }
  std::cout << "\n  lines:";
  for (const char* result : {"event", "ignored", "unknown", "malformed", "rejected"}) {
    std::cout << " " << result << "=" << s[std::string("wireguard_events_exporter_lines_total{result=\"") + result + "\"}"];
  }
  std::cout << " interfaces=" << interfaces.size() << std::endl;

  CHECK(timed_get(web, "/-/healthy").status == 200);
  CHECK(exporter.terminate().code == 0);
}
