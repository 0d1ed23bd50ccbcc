// prometheus_cpp_baseline: what the peer scale of bench/peers_scale.sh costs when every series
// is a prometheus-cpp metric: one Family<Counter> wireguard_peer_events_total with a series per
// peer and event, in a prometheus::Registry, serialized with TextSerializer, the way an exporter
// built on the library would hold and scrape them. The comparison baseline of
// docs/performance.md.
//
//   prometheus_cpp_baseline [--peers 10000] [--events 19] [--scrapes 10] [--per-peer-gauges]
//
// --per-peer-gauges adds the other per-peer families of the exporter's page (last handshake
// timestamp and age, last seen, handshake attempts, endpoint info, endpoint changes), one series
// each per peer, for a page of the same shape as the exporter's.
// Prints resident memory (VmRSS, VmHWM) after building the registry and after the scrapes, and
// the time of Collect() + Serialize() per scrape.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The peer events of docs/events.md, in its order.
constexpr std::string_view kPeerEvents[] = {
    "handshake_initiation_received", "handshake_response_received", "keepalive_received",
    "unallowed_src_ip", "invalid_packet_type", "invalid_packet_size", "handshake_initiation_sent",
    "handshake_response_sent", "keepalive_sent", "handshake_gave_up", "handshake_retry",
    "handshake_stale_retry", "keys_zeroed", "peer_created", "peer_destroyed", "no_endpoint",
    "keypair_created", "keypair_destroyed", "packet_delivery_failed",
};
constexpr int kPeerEventCount = static_cast<int>(std::size(kPeerEvents));

// A line of /proc/self/status, in KiB ("VmRSS", "VmHWM").
long status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

void print_memory(const char* when) {
  std::printf("%s: VmRSS %ld KiB, VmHWM %ld KiB\n", when, status_kib("VmRSS"), status_kib("VmHWM"));
}

int flag_value(int argc, char** argv, std::string_view name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

bool has_flag(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == name) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const int peers = flag_value(argc, argv, "--peers", 10000);
  const int events = std::clamp(flag_value(argc, argv, "--events", kPeerEventCount), 1, kPeerEventCount);
  const int scrapes = std::max(1, flag_value(argc, argv, "--scrapes", 10));
  const bool per_peer_gauges = has_flag(argc, argv, "--per-peer-gauges");
  print_memory("start");

  auto registry = std::make_shared<prometheus::Registry>();
  auto& peer_events = prometheus::BuildCounter()
                          .Name("wireguard_peer_events_total")
                          .Help("WireGuard kernel log events about a peer, by interface, peer and event.")
                          .Register(*registry);
  const auto build_start = std::chrono::steady_clock::now();
  for (int p = 1; p <= peers; ++p) {
    const std::string peer = std::to_string(p);
    for (int e = 0; e < events; ++e) {
      peer_events.Add({{"interface", "wg0"}, {"peer", peer}, {"event", std::string(kPeerEvents[e])}})
          .Increment();
    }
  }
  if (per_peer_gauges) {
    auto gauge_family = [&](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
      return prometheus::BuildGauge().Name(name).Help(help).Register(*registry);
    };
    auto& handshake_time = gauge_family("wireguard_peer_last_handshake_timestamp_seconds",
                                        "Unix time of the peer's last completed handshake.");
    auto& handshake_age = gauge_family("wireguard_peer_last_handshake_age_seconds",
                                       "Seconds since the peer's last completed handshake.");
    auto& last_seen = gauge_family("wireguard_peer_last_seen_timestamp_seconds",
                                   "Unix time of the last line proving the peer sent something.");
    auto& attempts =
        gauge_family("wireguard_peer_handshake_attempts", "Current handshake try number of the peer.");
    auto& endpoint = gauge_family("wireguard_peer_endpoint_info", "The peer's current endpoint; always 1.");
    auto& changes = prometheus::BuildCounter()
                        .Name("wireguard_peer_endpoint_changes_total")
                        .Help("How often the peer's endpoint changed.")
                        .Register(*registry);
    for (int p = 1; p <= peers; ++p) {
      const std::string peer = std::to_string(p);
      const prometheus::Labels labels{{"interface", "wg0"}, {"peer", peer}};
      handshake_time.Add(labels).Set(1795752377.0);
      handshake_age.Add(labels).Set(12.0);
      last_seen.Add(labels).Set(1795752389.0);
      attempts.Add(labels).Set(0);
      const std::string address = "203.0.113." + std::to_string(p % 256) + ":51820";
      endpoint.Add({{"interface", "wg0"}, {"peer", peer}, {"endpoint", address}}).Set(1);
      changes.Add(labels).Increment();
    }
  }
  const double build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start).count();
  std::printf("registry: %d peers x %d events%s, built in %.1f ms\n", peers, events,
              per_peer_gauges ? " + 6 per-peer families" : "", build_ms);
  print_memory("after building");

  const prometheus::TextSerializer serializer;
  std::vector<double> times_ms;
  std::size_t page_bytes = 0;
  for (int i = 0; i < scrapes; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::string page = serializer.Serialize(registry->Collect());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    times_ms.push_back(std::chrono::duration<double, std::milli>(elapsed).count());
    page_bytes = page.size();
  }
  std::sort(times_ms.begin(), times_ms.end());
  const double median = times_ms.size() % 2 == 1
                            ? times_ms[times_ms.size() / 2]
                            : (times_ms[times_ms.size() / 2 - 1] + times_ms[times_ms.size() / 2]) / 2;
  std::printf("scrape (Collect + Serialize): %d runs, page %zu bytes; ms: min %.1f, median %.1f, max %.1f\n",
              scrapes, page_bytes, times_ms.front(), median, times_ms.back());
  print_memory("after scrapes");
  return 0;
}
