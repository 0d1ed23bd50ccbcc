// The real exporter binary, driven the way users drive it: syslog over UDP and TCP, saved
// logs with --replay, scrapes over HTTP, signals. Every server listens on 127.0.0.1.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "exporter_process.h"
#include "tsv.h"

using namespace wgevents::testing;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(data_path(path));
  REQUIRE(in);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> wrapped(const std::vector<std::string>& lines, const std::string& before,
                                 const std::string& after = "") {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(before + l + after);
  return out;
}

std::string flag(const std::string& name, int port) { return name + "=127.0.0.1:" + std::to_string(port); }

// Holds a listening TCP socket on a free port, so that the exporter finds the port in use.
struct BusyPort {
  int fd;
  int port;
  BusyPort() : fd(socket(AF_INET, SOCK_STREAM, 0)), port(0) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd, 1);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~BusyPort() { close(fd); }
};

}  // namespace

TEST_CASE("UDP, TCP in both framings and --replay deliver the same exact counts") {
  const auto lines = read_lines("e2e/traffic.log");
  const auto expected = read_tsv("e2e/traffic.expected");
  const int udp = free_port(), tcp = free_port();
  ExporterProcess exporter({flag("--syslog.udp-listen-address", udp), flag("--syslog.tcp-listen-address", tcp),
                            "--replay=" + data_path("e2e/traffic.log")});
  REQUIRE(exporter.started());

  send_udp(udp, wrapped(lines, "<4>Nov 24 10:00:00 gw1 kernel: "));
  send_tcp(tcp, wrapped(lines, "<4>1 2026-11-24T10:00:00.000001+00:00 gw1 kernel - - -  ", "\n"), true);
  send_tcp(tcp, wrapped(lines, "<4>Nov 24 10:00:00 gw1 kernel: "), false);
  const double n = static_cast<double>(lines.size());
  Samples s = exporter.wait_for("wireguard_events_exporter_messages_received_total", "", 4 * n);

  CHECK(s["wireguard_events_exporter_messages_received_total{transport=\"udp\"}"] == n);
  CHECK(s["wireguard_events_exporter_messages_received_total{transport=\"tcp\"}"] == 2 * n);
  CHECK(s["wireguard_events_exporter_messages_received_total{transport=\"file\"}"] == n);
  for (const auto& row : expected) {
    INFO("traffic.expected:" << row.line_number << " " << row.columns[0]);
    CHECK(s[row.columns[0]] == 4 * std::stod(row.columns[1]));
  }
  CHECK(sum_of(s, "wireguard_events_exporter_lines_total") ==
        sum_of(s, "wireguard_events_exporter_messages_received_total"));
  CHECK(s["wireguard_peers{interface=\"wg0\"}"] == 2);
  CHECK(s["wireguard_peers{interface=\"wg1\"}"] == 1);
  CHECK(s["wireguard_peer_handshake_attempts{interface=\"wg0\",peer=\"2\"}"] == 3);
  CHECK(s["wireguard_peer_endpoint_info{interface=\"wg1\",peer=\"3\",endpoint=\"[2001:db8::3]:51820\"}"] == 1);
  // The replayed lines have no syslog time of their own: they are stamped at replay, like the live ones.
  CHECK(s["wireguard_peer_last_handshake_timestamp_seconds{interface=\"wg0\",peer=\"1\"}"] > 1.7e9);
  CHECK(s["wireguard_events_exporter_last_message_timestamp_seconds"] > 1.7e9);
  CHECK(exporter.terminate().code == 0);
}

TEST_CASE("senders outside --syslog.allowed-sources are rejected") {
  const int udp = free_port();
  ExporterProcess exporter({flag("--syslog.udp-listen-address", udp), "--syslog.allowed-sources=10.0.0.0/8, fd00::/8"});
  REQUIRE(exporter.started());
  send_udp(udp, {"wireguard: wg0: Peer 1 created", "wireguard: wg0: Peer 2 created"});
  Samples s = exporter.wait_for("wireguard_events_exporter_messages_received_total", "udp", 2);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"rejected\"}"] == 2);
  CHECK(sum_of(s, "wireguard_peer_events_total") == 0);

  const int udp2 = free_port();
  ExporterProcess allowed({flag("--syslog.udp-listen-address", udp2), "--syslog.allowed-sources=127.0.0.0/8"});
  REQUIRE(allowed.started());
  send_udp(udp2, {"wireguard: wg0: Peer 1 created"});
  s = allowed.wait_for("wireguard_events_exporter_lines_total", "event", 1);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"event\"}"] == 1);
}

TEST_CASE("the peer cap (--peers.max) evicts the least recently updated peers and counts them") {
  const int udp = free_port();
  ExporterProcess exporter({flag("--syslog.udp-listen-address", udp), "--peers.max=3"});
  REQUIRE(exporter.started());
  std::vector<std::string> lines;
  for (int id = 1; id <= 5; ++id) lines.push_back("wireguard: wg0: Peer " + std::to_string(id) + " created");
  send_udp(udp, lines);
  Samples s = exporter.wait_for("wireguard_events_exporter_lines_total", "event", 5);
  CHECK(s["wireguard_events_exporter_peers_evicted_total"] == 2);
  CHECK(s["wireguard_peers{interface=\"wg0\"}"] == 3);
  CHECK(s.count("wireguard_peer_events_total{interface=\"wg0\",peer=\"1\",event=\"peer_created\"}") == 0);
  CHECK(s["wireguard_peer_events_total{interface=\"wg0\",peer=\"5\",event=\"peer_created\"}"] == 1);
}

TEST_CASE("SIGTERM stops the exporter within a second, with status 0") {
  ExporterProcess exporter({flag("--syslog.udp-listen-address", free_port()),
                            flag("--syslog.tcp-listen-address", free_port())});
  REQUIRE(exporter.started());
  ExitStatus status = exporter.terminate();
  CHECK(status.code == 0);
  CHECK(status.took.count() < 1000);
}

TEST_CASE("SIGHUPs while the exporter stops neither kill it nor keep it running") {
  // A SIGHUP queued as SIGTERM arrives used to re-arm the reload wait (the process never
  // ended), and one after the signal handlers were gone ended it with status 129. Several
  // rounds: each shutdown is a race against the storm.
  for (int round = 0; round < 8; ++round) {
    INFO("round " << round);
    ExporterProcess exporter({"--syslog.udp-listen-address="});
    REQUIRE(exporter.started());
    std::atomic<bool> done{false};
    // A pidfd: once the process is gone, the storm cannot reach another one with its pid.
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, exporter.pid(), 0));
    REQUIRE(pidfd >= 0);
    std::thread storm([&] {
      while (!done) {
        if (syscall(SYS_pidfd_send_signal, pidfd, SIGHUP, nullptr, 0) != 0) break;
      }
    });
    const ExitStatus status = exporter.terminate(std::chrono::seconds(5));
    done = true;
    storm.join();
    close(pidfd);
    CHECK(status.code == 0);
  }
}

TEST_CASE("the landing page, health probes and a custom telemetry path") {
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--web.telemetry-path=/custom"});
  REQUIRE(exporter.started());
  auto landing = http_get(exporter.web_port(), "/");
  CHECK(landing.status == 200);
  CHECK(landing.body.find("/custom") != std::string::npos);
  CHECK(landing.body.find("Hosts sending: <span id=\"hosts\">1</span>") != std::string::npos);
  CHECK(http_get(exporter.web_port(), "/-/healthy").status == 200);
  CHECK(http_get(exporter.web_port(), "/-/ready").status == 200);
  auto metrics = http_get(exporter.web_port(), "/custom");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("wireguard_events_exporter_build_info") != std::string::npos);
  CHECK(http_get(exporter.web_port(), "/nothing-here").status == 404);
}

TEST_CASE("bad configuration: one line naming the flag and the documented exit status") {
  BusyPort busy;
  for (auto& row : read_tsv("e2e/cli_errors.tsv")) {
    std::string args_text = row.columns[0];
    auto at = args_text.find("{PORT_IN_USE}");
    if (at != std::string::npos) args_text.replace(at, 13, std::to_string(busy.port));
    std::vector<std::string> args;
    std::istringstream words(args_text);
    for (std::string w; words >> w;) args.push_back(w);
    bool sets_web = args_text.find("--web.listen-address") != std::string::npos;
    if (!sets_web) args.push_back("--web.listen-address=127.0.0.1:" + std::to_string(free_port()));
    args.push_back("--syslog.udp-listen-address=");
    INFO("cli_errors.tsv:" << row.line_number << " " << args_text);
    RunResult r = run_exporter(args);
    CHECK(r.code == std::stoi(row.columns[1]));
    if (r.code == 2) {
      // A usage error: one plain line before any logging starts.
      CHECK(r.err.find(row.columns[2]) == 0);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    } else {
      // A runtime error: after the start-up record, one error record naming the flag.
      const auto errors = start_errors(r.err);
      REQUIRE(errors.size() == 1);
      CHECK(errors[0].find(row.columns[2]) == 0);
      CHECK(r.err.find("level=info msg=\"starting wireguard_events_exporter\" version=") == r.err.find("level="));
    }
  }
}

TEST_CASE("start-up: one line with version and revision, and a warning when no input is configured") {
  RunResult version = run_exporter({"--version"});
  const std::string expected_version = version.out.substr(version.out.find(' ') + 1, version.out.find('\n') - version.out.find(' ') - 1);
  ExporterProcess quiet({"--syslog.udp-listen-address="});
  REQUIRE(quiet.started());
  std::string log = quiet.stderr_text();
  CHECK(log.find("level=info msg=\"starting wireguard_events_exporter\" version=" + expected_version + " revision=") !=
        std::string::npos);
  CHECK(log.find("level=warn msg=\"no input configured: only the exporter's own metrics are served\"") !=
        std::string::npos);
  CHECK(quiet.terminate().code == 0);

  ExporterProcess fed({flag("--syslog.udp-listen-address", free_port())});
  REQUIRE(fed.started());
  CHECK(fed.stderr_text().find("starting wireguard_events_exporter") != std::string::npos);
  CHECK(fed.stderr_text().find("no input configured") == std::string::npos);
}

TEST_CASE("the JSON log format writes every record, runtime errors included, as one JSON object per line") {
  BusyPort busy;
  RunResult r = run_exporter({"--log.format=json", "--syslog.udp-listen-address=",
                              "--web.listen-address=127.0.0.1:" + std::to_string(busy.port)});
  CHECK(r.code == 1);
  std::istringstream lines(r.err);
  std::vector<std::string> records;
  for (std::string line; std::getline(lines, line);) records.push_back(line);
  REQUIRE(records.size() == 3);  // start-up, no input, the error
  for (const auto& record : records) {
    CHECK(record.front() == '{');
    CHECK(record.back() == '}');
    CHECK(record.rfind("{\"ts\":\"", 0) == 0);
  }
  CHECK(records[0].find("\"level\":\"info\",\"msg\":\"starting wireguard_events_exporter\",\"version\":\"") !=
        std::string::npos);
  CHECK(records[1].find("\"level\":\"warn\"") != std::string::npos);
  CHECK(records[2].find("\"level\":\"error\",\"msg\":\"cannot start\",\"err\":\"--web.listen-address: cannot listen on 127.0.0.1:" +
                        std::to_string(busy.port) + ": ") != std::string::npos);
}

TEST_CASE("SIGHUP reloads --web.config.file, a bad file is one logfmt line and the old settings stay") {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() / "wgevents-e2e-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  // A path with a space and quotes: it lands inside the error line's quoted err field.
  const fs::path config = fs::path(dir) / "web \"config\".yml";
  std::ofstream(config) << "# no TLS, no users\n";
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--web.config.file=" + config.string()});
  REQUIRE(exporter.started());

  auto wait_for_log = [&](const std::string& text) {
    for (int i = 0; i < 100 && exporter.stderr_text().find(text) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exporter.stderr_text();
  };
  std::ofstream(config) << "tls_server_config: [\n";
  exporter.send_signal(SIGHUP);
  std::string log = wait_for_log("web config not reloaded");
  const std::string escaped_path = dir + "/web \\\"config\\\".yml";
  CHECK(log.find("level=error msg=\"web config not reloaded, keeping the previous one\" err=\"--web.config.file: " +
                 escaped_path + ": line 2: invalid YAML") != std::string::npos);
  CHECK(http_get(exporter.web_port(), "/metrics").status == 200);

  std::ofstream(config) << "basic_auth_users:\n  prometheus: $2y$10$ABCDEFGHIJKLMNOPQRSTUuJ.Zy0uTTyLjFBL/qOEzg7ESgxSvl/7a\n";
  exporter.send_signal(SIGHUP);
  log = wait_for_log("web config reloaded");
  CHECK(log.find("level=info msg=\"web config reloaded\" tls=false basic_auth_users=1") != std::string::npos);
  CHECK(http_get(exporter.web_port(), "/metrics").status == 401);
  fs::remove_all(dir);
}

TEST_CASE("help and version (--help, --version) exit 0") {
  RunResult help = run_exporter({"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("--web.listen-address") != std::string::npos);
  RunResult version = run_exporter({"--version"});
  CHECK(version.code == 0);
  CHECK(version.out.rfind("wireguard_events_exporter ", 0) == 0);
}

TEST_CASE("fleet mode labels every domain series with the sending host") {
  const int udp = free_port(), tcp = free_port();
  ExporterProcess exporter({flag("--syslog.udp-listen-address", udp), flag("--syslog.tcp-listen-address", tcp),
                            "--syslog.host-label", "--hosts.max=3"});
  REQUIRE(exporter.started());
  send_udp(udp, {"<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg0: Peer 7 created",
                 "<4>1 2026-11-24T10:00:00Z gw2 kernel - - -  wireguard: wg0: Peer 7 created\n",
                 "wireguard: wg0: Peer 8 created",  // no HOSTNAME: the sender's address names the host
                 "<4>Nov 24 10:00:00 gw4 kernel: wireguard: wg0: Peer 9 created",  // a fourth host: over the cap
                 "<4>Nov 24 10:00:00 bad\x01name kernel: wireguard: wg0: Peer 9 created"});
  send_tcp(tcp, {"<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg0: Keypair 3 created for peer 7"}, true);
  Samples s = exporter.wait_for("wireguard_events_exporter_messages_received_total", "", 6);
  CHECK(s["wireguard_peer_events_total{host=\"gw1\",interface=\"wg0\",peer=\"7\",event=\"peer_created\"}"] == 1);
  CHECK(s["wireguard_peer_events_total{host=\"gw1\",interface=\"wg0\",peer=\"7\",event=\"keypair_created\"}"] == 1);
  CHECK(s["wireguard_peer_events_total{host=\"gw2\",interface=\"wg0\",peer=\"7\",event=\"peer_created\"}"] == 1);
  CHECK(s["wireguard_peer_events_total{host=\"127.0.0.1\",interface=\"wg0\",peer=\"8\",event=\"peer_created\"}"] == 1);
  CHECK(s["wireguard_peers{host=\"gw1\",interface=\"wg0\"}"] == 1);
  CHECK(s["wireguard_events_exporter_hosts"] == 3);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"rejected\"}"] == 1);
  CHECK(s["wireguard_events_exporter_lines_total{result=\"malformed\"}"] == 1);
  CHECK(sum_of(s, "wireguard_peer_events_total", "gw4") == 0);
  const auto landing = http_get(exporter.web_port(), "/").body;
  CHECK(landing.find("Hosts sending: <span id=\"hosts\">3</span>") != std::string::npos);
  CHECK(landing.find("<li>gw1</li>\n<li>gw2</li>\n<li>127.0.0.1</li>") != std::string::npos);
  CHECK(landing.find("gw4") == std::string::npos);
}
