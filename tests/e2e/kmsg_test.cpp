// The kmsg input against the real /dev/kmsg: root writes WireGuard lines into the kernel log
// (they arrive with the user facility) and the exporter, reading the device, counts them.
// Where the device cannot be written (not root, a container), the program says so and exits
// 77, which CTest reports as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "exporter_process.h"

using namespace wgevents::testing;

namespace {

// One open per record: the kernel rate-limits writes per open file (printk_devkmsg). The
// newline matters as it does for pr_debug: a record without one stays open for a
// continuation, and readers do not see it until the next record arrives.
bool write_record(const std::string& text) {
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string line = text + "\n";
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  return ok;
}

// A name no other run and no real interface uses, so counts are ours alone.
std::string test_interface() { return "wgk" + std::to_string(getpid() % 1000000); }

}  // namespace

TEST_CASE("the kmsg input (--kmsg) counts WireGuard records written to /dev/kmsg") {
  const std::string ifname = test_interface();
  ExporterProcess exporter({"--kmsg", "--syslog.udp-listen-address="});
  REQUIRE(exporter.started());
  const std::string prefix = "wireguard: " + ifname + ": ";
  REQUIRE(write_record(prefix + "Peer 1 created"));
  REQUIRE(write_record(prefix + "Peer 2 created"));
  REQUIRE(write_record(prefix + "Receiving keepalive packet from peer 1 (192.0.2.1:51820)"));
  REQUIRE(write_record(prefix + "Receiving keepalive packet from peer 1 ([2001:db8::1]:51820/0%0)"));
  REQUIRE(write_record(prefix + "Keypair 7 created for peer 2"));
  Samples s = exporter.wait_for("wireguard_peers", ifname, 2);
  s = exporter.wait_for("wireguard_peer_events_total", ifname, 5);
  const std::string peer1 = "{interface=\"" + ifname + "\",peer=\"1\"";
  const std::string peer2 = "{interface=\"" + ifname + "\",peer=\"2\"";
  CHECK(s["wireguard_peer_events_total" + peer1 + ",event=\"keepalive_received\"}"] == 2);
  CHECK(s["wireguard_peer_events_total" + peer1 + ",event=\"peer_created\"}"] == 1);
  CHECK(s["wireguard_peer_events_total" + peer2 + ",event=\"keypair_created\"}"] == 1);
  CHECK(s["wireguard_peer_endpoint_changes_total" + peer1 + "}"] == 1);
  CHECK(s["wireguard_events_exporter_messages_received_total{transport=\"kmsg\"}"] >= 5);
  // The kernel's own time of the record: within seconds of now, not the epoch.
  double logged = s["wireguard_peer_last_handshake_timestamp_seconds" + peer2 + "}"];
  double now = s["wireguard_events_exporter_last_message_timestamp_seconds"];
  CHECK(logged > now - 60);
  CHECK(logged <= now + 1);
  CHECK(exporter.terminate().code == 0);
}

TEST_CASE("reading from the start (--kmsg.from-start) takes what the ring buffer already holds") {
  const std::string ifname = test_interface() + "s";
  REQUIRE(write_record("wireguard: " + ifname + ": Peer 9 created"));
  // The ring buffer also holds the records of earlier runs, each with an interface of its own:
  // enough of them to pass the default --interfaces.max, which would reject this run's.
  ExporterProcess exporter(
      {"--kmsg", "--kmsg.from-start", "--interfaces.max=60000", "--syslog.udp-listen-address="});
  REQUIRE(exporter.started());
  Samples s = exporter.wait_for("wireguard_peer_events_total", ifname, 1);
  CHECK(s["wireguard_peer_events_total{interface=\"" + ifname + "\",peer=\"9\",event=\"peer_created\"}"] == 1);
  // Without from-start, the same record is in the past and not read.
  ExporterProcess from_end({"--kmsg", "--syslog.udp-listen-address="});
  REQUIRE(from_end.started());
  CHECK(sum_of(from_end.scrape(), "wireguard_peer_events_total", ifname) == 0);
}

TEST_CASE("the kmsg input on a device that cannot be opened: one line naming the flag, exit 1") {
  RunResult r = run_exporter({"--kmsg", "--kmsg.path=/nonexistent/kmsg", "--syslog.udp-listen-address=",
                              "--web.listen-address=127.0.0.1:" + std::to_string(free_port())});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("--kmsg: cannot read /nonexistent/kmsg", 0) == 0);
}

int main(int argc, char* argv[]) {
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    std::printf("SKIPPED: /dev/kmsg cannot be opened for writing here (root needed)\n");
    return 77;
  }
  close(fd);
  return Catch::Session().run(argc, argv);
}
