// Attacks on a running exporter, each with its bound (docs/reliability.md, "Attacks"): while the
// attackers run, a victim scrapes every 200 ms and must get a whole, valid page (at least 95 %
// of the time), memory must stay under 64 MiB, and SIGTERM must end the exporter within one
// second with the attackers still connected. Loopback only; every process and socket ends with
// its test. bench/attack/*.sh runs each one for longer.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include "attack_support.h"

using namespace wgevents::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {


// The values of label `name` on a page.
std::set<std::string> values_of(const std::string& page, const std::string& name) {
  std::set<std::string> values;
  for (const auto& [label, value] : label_values(page)) {
    if (label == name) values.insert(value);
  }
  return values;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string dir = (fs::temp_directory_path() / "wgevents-attack-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    path = dir;
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("attack: label flood (a new errno and interface and peer id in every line)", "[attack]") {
  const int udp = free_port();
  ExporterProcess exporter({flag("--syslog.udp-listen-address", udp), "--peers.max=1000"});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  Attackers attackers;
  attackers.add([udp](const std::atomic<bool>& stop) {
    PacedUdpSender sender(udp, 256 * 1024);
    std::mt19937_64 random(18);
    std::vector<std::string> batch;
    while (!stop) {
      batch.clear();
      for (int i = 0; i < 500; ++i) {
        const auto r = random();
        const std::string iface = "wg" + std::to_string(r % 100000);
        batch.push_back(kHeader + "wg0: No route to 192.0.2.1:51820, error -" + std::to_string(r % 2147483647));
        batch.push_back(kHeader + "wg0: No route to 192.0.2.1:51820, error -" + std::to_string(r % 120));
        batch.push_back(kHeader + "wg0: No route to [2001:db8::1]:51820/0%0, error " + std::to_string(r % 100000));
        batch.push_back(kHeader + iface + ": Keypair 1 created for peer " + std::to_string(r));
        batch.push_back(kHeader + "wg0: Receiving keepalive packet from peer " + std::to_string(r >> 8) +
                        " (192.0.2.1:51820)");
      }
      sender.send(batch);
    }
  });
  std::size_t most_errors = 0, most_interfaces = 0, most_peers = 0;
  const AttackResult result = run_attack("label_flood", exporter, attackers, [&] {
    const HttpResponse r = timed_get(web, "/metrics", 5s);
    if (r.status != 200 || !exposition_problem(r.body).empty()) return false;
    most_errors = std::max(most_errors, values_of(r.body, "error").size());
    most_interfaces = std::max(most_interfaces, values_of(r.body, "interface").size());
    most_peers = std::max(most_peers, values_of(r.body, "peer").size());
    return true;
  });
  check_targets(result);
  // 16 errnos and `other`; the interface and peer caps.
  CHECK(most_errors <= 17);
  CHECK(most_errors >= 10);
  CHECK(most_interfaces <= 64);
  CHECK(most_peers <= 1000);
}

TEST_CASE("attack: peer churn past --peers.max (no series twice in one scrape)", "[attack]") {
  const int tcp = free_port();
  ExporterProcess exporter({"--syslog.udp-listen-address=", flag("--syslog.tcp-listen-address", tcp), "--peers.max=2000"});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  Attackers attackers;
  // 2,100 ids in a cycle: each line evicts the oldest peer, which comes back 100 lines later,
  // into whichever slot is free, while a scrape walks the slots in pieces.
  attackers.add([tcp](const std::atomic<bool>& stop) {
    RawConnection sender(tcp);
    std::uint64_t id = 0;
    while (!stop && sender.connected()) {
      std::string batch;
      for (int i = 0; i < 1000; ++i, id = (id + 1) % 2100) {
        const std::string line = kHeader + "wg0: Receiving keepalive packet from peer " + std::to_string(id) +
                                 " (192.0.2.1:51820)";
        batch += std::to_string(line.size()) + " " + line;
      }
      if (!sender.send_all(batch)) break;
    }
  });
  int duplicates = 0;
  const AttackResult result = run_attack("peer_churn", exporter, attackers, [&] {
    const HttpResponse r = timed_get(web, "/metrics", 5s);
    if (r.status != 200) return false;
    const std::string problem = exposition_problem(r.body);
    if (problem.find("twice") != std::string::npos) ++duplicates;
    UNSCOPED_INFO(problem);
    return problem.empty() && r.body.find("wireguard_events_exporter_peers_evicted_total") != std::string::npos;
  }, 100ms);
  check_targets(result);
  CHECK(duplicates == 0);
}

TEST_CASE("attack: the web configuration swapped for a directory or a FIFO or garbage with SIGHUP", "[attack]") {
  TempDir dir;
  const fs::path config = dir.path / "web.yml";
  // user prometheus, password scrape-pw, bcrypt cost 4.
  const std::string good = "basic_auth_users:\n  prometheus: $2b$04$BeevdG/hZ40hyN8a8SW6HO3CnCxoz15yMUAOvZfzUvVlnTp.Vyafi\n";
  const std::string credentials = "Authorization: Basic cHJvbWV0aGV1czpzY3JhcGUtcHc=\r\n";
  std::ofstream(config) << good;
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--web.config.file=" + config.string()});
  const int web = exporter.web_port();
  for (int i = 0; i < 250 && timed_get(web, "/-/healthy", 1s, credentials).status != 200; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  const pid_t pid = exporter_pid(web);
  REQUIRE(pid > 0);
  Attackers attackers;
  attackers.add([&, pid](const std::atomic<bool>& stop) {
    for (int round = 0; !stop; ++round) {
      std::error_code ignored;
      fs::remove_all(config, ignored);
      switch (round % 4) {
        case 0: fs::create_directory(config, ignored); break;
        case 1: mkfifo(config.c_str(), 0600); break;
        case 2: std::ofstream(config) << "basic_auth_users: [\n"; break;
        case 3: std::ofstream(config) << good; break;
      }
      kill(pid, SIGHUP);
      std::this_thread::sleep_for(20ms);
    }
  });
  int open_doors = 0;
  const AttackResult result = run_attack("web_config_swap", exporter, attackers, [&] {
    if (timed_get(web, "/metrics", 5s).status != 401) ++open_doors;
    return good_scrape(web, credentials);
  }, 200ms, 500ms, /*stop_before_sigterm=*/false);  // SIGHUPs go on while it shuts down: still 0
  check_targets(result);
  CHECK(open_doors == 0);
}
