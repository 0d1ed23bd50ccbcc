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
