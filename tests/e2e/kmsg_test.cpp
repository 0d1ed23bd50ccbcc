// The kmsg input against the real /dev/kmsg: root writes WireGuard lines into the kernel log
// (they arrive with the user facility) and the exporter, reading the device, counts them.
// Where the device cannot be written (not root, a container) those cases fail, saying so.
// Lost records are checked through --kmsg.path on a file of records, and on a FIFO that the
// test writes records into one at a time, as the device returns them, with sequence numbers of
// its choosing: those parts need no privilege.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <cstdio>
#include <string>

#include "exporter_process.h"

using namespace wgevents::testing;

namespace {

// One open per record: the kernel rate-limits writes per open file (printk_devkmsg). The
// newline matters as it does for pr_debug: a record without one stays open for a
// continuation, and readers do not see it until the next record arrives.
bool write_record(const std::string& text) {
  INFO("/dev/kmsg must be writable (root) for this test");
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string line = text + "\n";
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  return ok;
}

bool kmsg_writable() {
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// A name no other run and no real interface uses, so counts are ours alone.
std::string test_interface() { return "wgk" + std::to_string(getpid() % 1000000); }

}  // namespace

TEST_CASE("the kmsg input (--kmsg) counts WireGuard records written to /dev/kmsg") {
  REQUIRE(kmsg_writable());
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
  REQUIRE(kmsg_writable());
  const std::string ifname = test_interface() + "s";
  REQUIRE(write_record("wireguard: " + ifname + ": Peer 9 created"));
  // The ring buffer also holds the records of earlier runs, each with an interface of its own:
  // enough of them to pass the default --interfaces.max, which would reject this run's.
  ExporterProcess exporter(
      {"--kmsg", "--kmsg.from-start", "--interfaces.max=60000", "--syslog.udp-listen-address="});
  REQUIRE(exporter.started());
  Samples s = exporter.wait_for("wireguard_peer_events_total", ifname, 1);
  CHECK(s["wireguard_peer_events_total{interface=\"" + ifname + "\",peer=\"9\",event=\"peer_created\"}"] == 1);
  // Without from-start, the same record is in the past and not read. A record written after
  // the start is read: once it is counted, the reader has gone past where the old one would be.
  ExporterProcess from_end({"--kmsg", "--syslog.udp-listen-address="});
  REQUIRE(from_end.started());
  const std::string later = test_interface() + "e";
  REQUIRE(write_record("wireguard: " + later + ": Peer 10 created"));
  Samples after = from_end.wait_for("wireguard_peer_events_total", later, 1);
  REQUIRE(sum_of(after, "wireguard_peer_events_total", later) == 1);
  CHECK(sum_of(after, "wireguard_peer_events_total", ifname) == 0);
}

TEST_CASE("the kmsg input on a device that cannot be opened: one line naming the flag, exit 1") {
  RunResult r = run_exporter({"--kmsg", "--kmsg.path=/nonexistent/kmsg", "--syslog.udp-listen-address=",
                              "--web.listen-address=127.0.0.1:" + std::to_string(free_port())});
  CHECK(r.code == 1);
  const auto errors = start_errors(r.err);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind("--kmsg: cannot read /nonexistent/kmsg", 0) == 0);
}

TEST_CASE("a file of records (--kmsg.path) is read record by record, its sequence gaps counted as lost") {
  // As `cat /dev/kmsg` saves them: one record after another, continuation lines indented.
  // Sequence numbers 1, 2, 5: records 3 and 4 were overwritten before they were read.
  const std::string dir = "/tmp/wgevents-kmsg-file-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/kmsg";
  {
    std::ofstream file(path, std::ios::binary);
    file << "6,1,1000,-;wireguard: wgfile0: Peer 1 created\n"
         << "6,2,2000,-;wireguard: wgfile0: Peer 2 created\n SUBSYSTEM=net\n DEVICE=+net:wgfile0\n"
         << "6,5,5000,-;wireguard: wgfile0: Peer 5 created\n";
    REQUIRE(file.good());
  }
  // The input ends with the file, which leaves /-/ready at 503: wait for the web port only.
  ExporterProcess exporter({"--kmsg", "--kmsg.path=" + path, "--kmsg.from-start", "--syslog.udp-listen-address="},
                           ExporterProcess::WaitFor::web_port);
  REQUIRE(exporter.started());
  const std::string received = "wireguard_events_exporter_messages_received_total{transport=\"kmsg\"}";
  Samples s = exporter.wait_for(received, "", 3);
  CHECK(s[received] == 3);
  CHECK(s["wireguard_events_exporter_receive_drops_total{transport=\"kmsg\"}"] == 2);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == 3);
  for (const char* peer : {"1", "2", "5"}) {
    INFO("peer " << peer);
    CHECK(s["wireguard_peer_events_total{interface=\"wgfile0\",peer=\"" + std::string(peer) +
            "\",event=\"peer_created\"}"] == 1);
  }
  // At its end the file, unlike the device, is done: the input says so and the exporter goes on.
  CHECK(http_get(exporter.web_port(), "/-/ready").status == 503);
  CHECK(exporter.terminate().code == 0);
  CHECK(exporter.stderr_text().find("kernel log input stopped") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("records the kernel overwrote before they were read are counted from the sequence gaps") {
  // A FIFO returns one record per read, as the device does, when the reader has taken the
  // previous one before the next is written.
  const std::string dir = "/tmp/wgevents-kmsg-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string fifo = dir + "/kmsg";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // Held open for writing (read-write: no reader needed yet) so the reader sees no end of file.
  int writer = open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(writer >= 0);
  ExporterProcess exporter({"--kmsg", "--kmsg.path=" + fifo, "--kmsg.from-start",
                            "--syslog.udp-listen-address="});
  REQUIRE(exporter.started());
  const std::string received = "wireguard_events_exporter_messages_received_total{transport=\"kmsg\"}";
  const std::string drops = "wireguard_events_exporter_receive_drops_total{transport=\"kmsg\"}";
  // Sequence numbers 1, 2, 5 (3 and 4 lost), 6, then 9 (7 and 8 lost).
  const std::vector<int> sequence = {1, 2, 5, 6, 9};
  const std::vector<int> lost_so_far = {0, 0, 2, 2, 4};
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    const std::string record = "4," + std::to_string(sequence[i]) + ",10" + std::to_string(i) +
                               ",-;wireguard: wgfifo0: Peer " + std::to_string(i + 1) + " created\n";
    REQUIRE(write(writer, record.data(), record.size()) == static_cast<ssize_t>(record.size()));
    Samples s = exporter.wait_for(received, "", static_cast<double>(i + 1));
    INFO("after the record with sequence number " << sequence[i]);
    REQUIRE(s[received] == static_cast<double>(i + 1));
    CHECK(s[drops] == lost_so_far[i]);
  }
  Samples s = exporter.scrape();
  CHECK(sum_of(s, "wireguard_peer_events_total", "wgfifo0") == 5);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == 5);
  CHECK(exporter.terminate().code == 0);
  close(writer);
  std::filesystem::remove_all(dir);
}
