// Attacks on the connection slots of the TCP and TLS syslog inputs: senders that stall in the
// TLS handshake or sit idle on a connection, each reconnecting as soon as it is let go. A real
// sender (with a valid client certificate on TLS) must still get its line counted.
// (connection_listener.h: at the cap a new sender takes the place of one still in its
// handshake, silent since it connected, or silent for 10 s; never of a certified sender.)
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "attack_support.h"
#include "test_pki.h"

using namespace wgevents::testing;
using namespace std::chrono_literals;

namespace {

std::string flag(const std::string& name, int port) { return name + "=127.0.0.1:" + std::to_string(port); }

const std::string kHeader = "<4>Nov 24 10:00:00 gw1 kernel: wireguard: ";
// The attacker's host; the real sender's is 127.0.0.1 (both are loopback addresses).
constexpr const char* kAttacker = "127.0.0.2";

// `count` attackers, each holding one connection made by `open` (returns a socket or -1) and
// opening a new one as soon as the exporter closes it. `poke` runs on each live connection every
// `every` (e.g. to send one more byte).
void hold_connections(Attackers& attackers, int count, std::function<int()> open,
                      std::function<void(int fd)> poke = {}, std::chrono::milliseconds every = 100ms) {
  attackers.add([count, open, poke, every](const std::atomic<bool>& stop) {
    std::vector<int> fds(static_cast<std::size_t>(count), -1);
    while (!stop) {
      for (int& fd : fds) {
        if (fd >= 0 && closed_by_server(fd)) {
          ::close(fd);
          fd = -1;
        }
        if (fd < 0) fd = open();
        else if (poke) poke(fd);
      }
      std::this_thread::sleep_for(every);
    }
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  });
}

bool send_text(int fd, const std::string& text) {
  return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(text.size());
}

// Whether the line that `send` sends (one event) is counted within 2 s: the sender got in, rather
// than into a socket closed at once.
bool line_counted(int web, const std::function<bool()>& send) {
  const char* metric = "wireguard_events_exporter_lines_total";
  const Samples before = timed_scrape(web);
  if (before.empty() || !send()) return false;
  const double wanted = sum_of(before, metric, "event") + 1;
  return sum_of(wait_until(web, metric, "event", wanted, 2s), metric, "event") >= wanted;
}

}  // namespace

TEST_CASE("attack: TLS syslog handshakes that never finish keep no certified sender out", "[attack]") {
  // OpenSSL writes with send() without MSG_NOSIGNAL: a sender the exporter let go would get one.
  std::signal(SIGPIPE, SIG_IGN);
  wgevents::test::TempDir dir;
  wgevents::test::TestPki pki(dir.path());
  const int tls = free_port();
  ExporterProcess exporter({"--syslog.udp-listen-address=", flag("--syslog.tls-listen-address", tls),
                            "--syslog.tls-cert-file=" + pki.file("server.crt").string(),
                            "--syslog.tls-key-file=" + pki.file("server.key").string(),
                            "--syslog.tls-client-ca-file=" + pki.file("ca.crt").string(),
                            "--syslog.tcp-max-connections=16"});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  const TlsIdentity sender{pki.file("ca.crt").string(), pki.file("client.crt").string(), pki.file("client.key").string()};
  Attackers attackers;
  hold_connections(attackers, 32, [tls] { return connect_loopback(tls, 0, kAttacker); });
  const AttackResult result = run_attack("tls_syslog_squat", exporter, attackers, [&] {
    const std::string line = kHeader + "wg0: Peer 1 created";
    return line_counted(web, [&] { return tls_send(tls, sender, std::to_string(line.size()) + " " + line); });
  });
  check_targets(result);
}

TEST_CASE("attack: idle TCP syslog connections at the cap that reconnect when let go", "[attack]") {
  const int tcp = free_port();
  ExporterProcess exporter({"--syslog.udp-listen-address=", flag("--syslog.tcp-listen-address", tcp),
                            "--syslog.tcp-max-connections=16"});
  REQUIRE(exporter.started());
  const int web = exporter.web_port();
  Attackers attackers;
  hold_connections(attackers, 32, [tcp] { return connect_loopback(tcp, 0, kAttacker); });
  const AttackResult result = run_attack("idle_tcp_senders", exporter, attackers, [&] {
    return line_counted(web, [&] {
      const int fd = connect_loopback(tcp);
      if (fd < 0) return false;
      const bool written = send_text(fd, kHeader + "wg0: Peer 1 created\n");
      ::close(fd);
      return written;
    });
  });
  check_targets(result);
}
