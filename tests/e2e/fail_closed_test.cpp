// Failing closed: a kernel log input that stops says so (log line, /-/ready 503), and a web
// configuration that cannot be read, at start or on SIGHUP, never leaves the port without the
// authentication it had. Every server listens on 127.0.0.1.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "exporter_process.h"

using namespace wgevents::testing;
namespace fs = std::filesystem;

namespace {

// user prometheus, password scrape-pw (bcrypt cost 4, to keep the test quick).
constexpr char kUsers[] =
    "basic_auth_users:\n  prometheus: $2b$04$BeevdG/hZ40hyN8a8SW6HO3CnCxoz15yMUAOvZfzUvVlnTp.Vyafi\n";
constexpr char kGoodAuth[] = "Authorization: Basic cHJvbWV0aGV1czpzY3JhcGUtcHc=\r\n";

struct TempDir {
  fs::path path;
  TempDir() {
    std::string dir = (fs::temp_directory_path() / "wgevents-fail-closed-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    path = dir;
  }
  ~TempDir() { fs::remove_all(path); }
};

// Waits (up to 5 s) until the exporter's log contains `text`.
std::string wait_for_log(const ExporterProcess& exporter, const std::string& text) {
  for (int i = 0; i < 250 && exporter.stderr_text().find(text) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exporter.stderr_text();
}

}  // namespace

TEST_CASE("a kernel log input that stops is logged, and /-/ready answers 503 from then on") {
  TempDir dir;
  // A FIFO stands in for /dev/kmsg: the test is its writer, and closing it ends the input.
  const fs::path fifo = dir.path / "kmsg";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  const int writer = open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // O_RDWR: opens without a reader
  REQUIRE(writer >= 0);
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--kmsg", "--kmsg.from-start",
                            "--kmsg.path=" + fifo.string()});
  REQUIRE(exporter.started());
  const std::string record = "6,1,100,-;wireguard: wg0: Peer 1 created\n";
  REQUIRE(write(writer, record.data(), record.size()) == static_cast<ssize_t>(record.size()));
  Samples s = exporter.wait_for("wireguard_events_exporter_lines_total", "event", 1);
  CHECK(s["wireguard_peer_events_total{interface=\"wg0\",peer=\"1\",event=\"peer_created\"}"] == 1);
  CHECK(http_get(exporter.web_port(), "/-/ready").status == 200);

  close(writer);
  const std::string log = wait_for_log(exporter, "kernel log input stopped");
  CHECK(log.find("level=error msg=\"kernel log input stopped\" path=" + fifo.string() + " err=\"End of file\"") !=
        std::string::npos);
  CHECK(http_get(exporter.web_port(), "/-/ready").status == 503);
  // The rest of the exporter goes on.
  CHECK(http_get(exporter.web_port(), "/-/healthy").status == 200);
  CHECK(http_get(exporter.web_port(), "/metrics").status == 200);
  CHECK(exporter.terminate().code == 0);
}

TEST_CASE("a web configuration that is a FIFO stops the exporter at start instead of blocking it") {
  TempDir dir;
  const fs::path fifo = dir.path / "web.yml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  RunResult r = run_exporter({"--syslog.udp-listen-address=", "--web.listen-address=127.0.0.1:" + std::to_string(free_port()),
                              "--web.config.file=" + fifo.string()});
  CHECK(r.code == 1);
  const auto errors = start_errors(r.err);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "--web.config.file: " + fifo.string() + ": web configuration: cannot read " + fifo.string() +
                         ": not a regular file");
}

TEST_CASE("SIGHUP with the web configuration replaced by a directory or a FIFO keeps authentication") {
  TempDir dir;
  const fs::path config = dir.path / "web.yml";
  std::ofstream(config) << kUsers;
  ExporterProcess exporter({"--syslog.udp-listen-address=", "--web.config.file=" + config.string()});
  const int port = exporter.web_port();
  // Authentication covers /-/ready too: wait for the exporter with the password.
  for (int i = 0; i < 250 && http_get(port, "/-/ready", kGoodAuth).status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(http_get(port, "/metrics", kGoodAuth).status == 200);
  REQUIRE(http_get(port, "/metrics").status == 401);

  // A directory reads as an empty file, which would mean no authentication.
  fs::remove(config);
  fs::create_directory(config);
  exporter.send_signal(SIGHUP);
  std::string log = wait_for_log(exporter, "web config not reloaded");
  CHECK(log.find("cannot read " + config.string() + ": is a directory") != std::string::npos);
  CHECK(http_get(port, "/metrics").status == 401);
  CHECK(http_get(port, "/metrics", kGoodAuth).status == 200);

  // A FIFO nobody writes to must not block the exporter.
  fs::remove(config);
  REQUIRE(mkfifo(config.c_str(), 0600) == 0);
  exporter.send_signal(SIGHUP);
  log = wait_for_log(exporter, ": not a regular file");
  CHECK(log.find("cannot read " + config.string() + ": not a regular file") != std::string::npos);
  CHECK(http_get(port, "/metrics").status == 401);
  CHECK(http_get(port, "/metrics", kGoodAuth).status == 200);
  const ExitStatus status = exporter.terminate();
  CHECK(status.code == 0);
  CHECK(status.took.count() < 1000);
}
