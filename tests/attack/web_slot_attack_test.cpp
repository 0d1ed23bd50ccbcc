// Attacks on the connection slots of the web port: scrapers that never read their page, requests
// sent a byte at a time, wrong passwords pipelined on keep-alive connections, and TLS handshakes
// that never finish, each from 64 connections that come back as soon as they are let go. A real
// scraper (from another address, with the right password or certificate) must still get its page.
// (HttpServerLimits: at the cap a new connection takes the place of one in its handshake or
// silent, then one between requests, then one slow; one being served that keeps up, or
// authenticated, never gives way; requests have a deadline from their first byte, handshakes
// their own and half the slots; password checks wait in a queue of 8.)
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "attack_support.h"
#include "test_pki.h"

using namespace wgevents::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kAttackConnections = 64;  // the web port's cap

// user prometheus, password scrape-pw: bcrypt cost 10, as htpasswd -B makes it by default.
const std::string kUsersCost10 =
    "basic_auth_users:\n  prometheus: $2b$10$i1OcomYODPThTpdlcg9dTesANz2uagxbLscUv6DTGZDP1pthrlgiS\n";
const std::string kCredentials = "Authorization: Basic cHJvbWV0aGV1czpzY3JhcGUtcHc=\r\n";
const std::string kWrongCredentials = "Authorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n";  // prometheus:wrong

// Reads and drops what is waiting, without blocking.
void drain(int fd) {
  char buffer[4096];
  while (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
  }
}

// Fills the exporter with `peers` peers (10,000: a page of about 6.5 MB).
void load_peers(int tcp_port, int web_port, int peers) {
  std::vector<std::string> lines;
  for (int id = 0; id < peers; ++id) {
    lines.push_back(kHeader + "wg0: Receiving keepalive packet from peer " + std::to_string(id) + " (192.0.2.1:51820)");
    lines.push_back(kHeader + "wg0: Keypair 7 created for peer " + std::to_string(id));
  }
  send_tcp(tcp_port, lines, true);
  wait_until(web_port, "wireguard_events_exporter_lines_total", "event", 2.0 * peers, 30s);
}

// Waits (up to 5 s) until `ok` holds: the exporter is up behind its authentication.
bool eventually(const std::function<bool()>& ok) {
  for (int i = 0; i < 250; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("attack: 64 scrapers that never read a 5 MB page", "[attack]") {
  const int tcp = free_port();
  ExporterProcess exporter({"--syslog.udp-listen-address=", flag("--syslog.tcp-listen-address", tcp)});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  // The attackers that ask for gzip take their whole (smaller) page and ask again: a flood of
  // whole scrapes, which AddressSanitizer makes ten times dearer. There the page is a fifth.
  const int peers = under_address_sanitizer() ? 2000 : 10000;
  load_peers(tcp, web, peers);
  std::string page;
  timed_scrape(web, &page);
  REQUIRE(page.size() > static_cast<std::size_t>(peers) * 400);
  Attackers attackers;
  hold_connections(attackers, kAttackConnections, [web, n = 0]() mutable {
    const int fd = connect_loopback(web, 4096, kAttacker);
    const std::string gzip = (n++ % 2 == 0) ? "Accept-Encoding: gzip\r\n" : "";
    if (fd >= 0) send_text(fd, "GET /metrics HTTP/1.1\r\nHost: a\r\n" + gzip + "\r\n");
    return fd;
  });
  // A response piece not taken for a second makes a connection slow, so for the attack's first
  // second every place is held by a scraper not yet slow: scrapes then are refused. The attack
  // is judged once it has taken hold.
  const AttackResult result = run_attack(
      "nonreading_scrapers", exporter, attackers, [&] { return good_scrape(web, "", 10s); }, 200ms, 1500ms);
  check_targets(result);
}

TEST_CASE("attack: slowloris, 64 requests sent a byte at a time", "[attack]") {
  ExporterProcess exporter({"--syslog.udp-listen-address="});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  Attackers attackers;
  hold_connections(
      attackers, kAttackConnections,
      [web] {
        const int fd = connect_loopback(web, 0, kAttacker);
        if (fd >= 0) send_text(fd, "GET /metrics HTTP/1.1\r\nHost: a\r\n");
        return fd;
      },
      [](int fd) { send_text(fd, "X"); }, 500ms);
  const AttackResult result = run_attack("slowloris", exporter, attackers, [&] { return good_scrape(web); });
  check_targets(result);
}

TEST_CASE("attack: wrong passwords pipelined on 64 keep-alive connections (bcrypt cost 10)", "[attack]") {
  // A connection the exporter closes may get SIGPIPE on the attacker's next write otherwise.
  std::signal(SIGPIPE, SIG_IGN);
  wgevents::test::TempDir dir;
  const fs::path config = dir.path() / "web.yml";
  std::ofstream(config) << kUsersCost10;
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--web.config.file=" + config.string()});
  const int web = exporter.web_port();
  // The scraper's password is checked once, then remembered.
  REQUIRE(eventually([&] { return timed_get(web, "/-/healthy", 2s, kCredentials).status == 200; }));
  std::string pipelined;
  for (int i = 0; i < 8; ++i) pipelined += "GET /metrics HTTP/1.1\r\nHost: a\r\n" + kWrongCredentials + "\r\n";
  Attackers attackers;
  hold_connections(
      attackers, kAttackConnections,
      [web, pipelined] {
        const int fd = connect_loopback(web, 0, kAttacker);
        if (fd >= 0) send_text(fd, pipelined);
        return fd;
      },
      [pipelined](int fd) {
        drain(fd);
        send_text(fd, pipelined);
      });
  const AttackResult result = run_attack("wrong_passwords", exporter, attackers,
                                         [&] { return good_scrape(web, kCredentials, 5s); });
  check_targets(result);
}

TEST_CASE("attack: 64 TLS handshakes that never finish, on a port that requires client certificates",
          "[attack]") {
  std::signal(SIGPIPE, SIG_IGN);
  wgevents::test::TempDir dir;
  wgevents::test::TestPki pki(dir.path());
  const fs::path config = dir.path() / "web.yml";
  std::ofstream(config) << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                           "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n";
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--web.config.file=" + config.string()});
  const int web = exporter.web_port();
  const TlsIdentity scraper{pki.file("ca.crt").string(), pki.file("client.crt").string(),
                            pki.file("client.key").string()};
  REQUIRE(eventually([&] { return tls_get(web, scraper, "/-/healthy").status == 200; }));
  Attackers attackers;
  // Half send nothing at all, half the first bytes of a ClientHello.
  hold_connections(attackers, kAttackConnections, [web, n = 0]() mutable {
    const int fd = connect_loopback(web, 0, kAttacker);
    if (fd >= 0 && n++ % 2 == 0) send_text(fd, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    return fd;
  });
  const AttackResult result = run_attack("tls_handshake_stall", exporter, attackers, [&] {
    const HttpResponse r = tls_get(web, scraper, "/metrics");
    return r.status == 200 && r.body.find("wireguard_events_exporter_build_info") != std::string::npos;
  });
  check_targets(result);
}
