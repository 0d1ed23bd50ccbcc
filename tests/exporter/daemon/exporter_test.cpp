// Exporter's life cycle in-process: what start() opens, what reaches the page, what stop()
// closes, and start-up errors that name their flag. A fake clock makes the page's times exact.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "exporter.h"
#include "fake_clock.h"

using namespace wgevents;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

// Runs the exporter's handlers until `done`, for at most 20 s (a bound, not a measurement).
bool run_until(Exporter& exporter, const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    if (exporter.io().stopped()) exporter.io().restart();
    exporter.io().run_one_for(std::chrono::milliseconds(20));
  }
  return done();
}

// Everything on 127.0.0.1, ports chosen by the kernel.
Config loopback_config() {
  Config config;
  config.web_listen_address = ListenAddress{"127.0.0.1", 0, false};
  config.syslog_udp_listen_address = ListenAddress{"127.0.0.1", 0, false};
  config.syslog_tcp_listen_address = ListenAddress{"127.0.0.1", 0, false};
  return config;
}

bool page_has(const std::string& page, const std::string& line) {
  return page.find("\n" + line + "\n") != std::string::npos;
}

bool can_connect(std::uint16_t port) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::address_v4::loopback(), port}, ec);
  return !ec;
}

const Log& quiet_log() {
  static const Log log(LogLevel::error);
  return log;
}

}  // namespace

TEST_CASE("the exporter starts every configured input, counts what they carry, and stops by cancelling") {
  testing::FakeClock clock(1'800'000'000);
  Exporter exporter(loopback_config(), quiet_log(), clock);
  REQUIRE_FALSE(exporter.start());
  const auto udp_port = exporter.listening_port("--syslog.udp-listen-address");
  const auto tcp_port = exporter.listening_port("--syslog.tcp-listen-address");
  const auto web_port = exporter.listening_port("--web.listen-address");
  REQUIRE(udp_port != 0);
  REQUIRE(tcp_port != 0);
  REQUIRE(web_port != 0);
  CHECK(exporter.listening_port("--syslog.tls-listen-address") == 0);  // not configured

  asio::io_context client_io;
  udp::socket datagram(client_io, udp::v4());
  const std::string over_udp = "<4>kernel: wireguard: wg0: Keypair 7 created for peer 3";
  datagram.send_to(asio::buffer(over_udp), {asio::ip::address_v4::loopback(), udp_port});
  tcp::socket stream(client_io);
  stream.connect({asio::ip::address_v4::loopback(), tcp_port});
  const std::string over_tcp = "<4>kernel: wireguard: wg0: Peer 3 created\n";
  asio::write(stream, asio::buffer(over_tcp));

  REQUIRE(run_until(exporter, [&] {
    return exporter.self_metrics().messages(Transport::udp) == 1 &&
           exporter.self_metrics().messages(Transport::tcp) == 1;
  }));
  clock.advance(42);
  const std::string page = exporter.scrape();
  CHECK(page_has(page, R"(wireguard_peer_events_total{interface="wg0",peer="3",event="keypair_created"} 1)"));
  CHECK(page_has(page, R"(wireguard_peer_events_total{interface="wg0",peer="3",event="peer_created"} 1)"));
  // Both lines were stamped at receipt by the clock; the scrape came 42 s later.
  CHECK(page_has(page, R"(wireguard_peer_last_handshake_timestamp_seconds{interface="wg0",peer="3"} 1800000000)"));
  CHECK(page_has(page, R"(wireguard_peer_last_handshake_age_seconds{interface="wg0",peer="3"} 42)"));
  CHECK(page_has(page, R"(wireguard_events_exporter_lines_total{result="event"} 2)"));
  CHECK(can_connect(web_port));

  exporter.stop();
  exporter.io().restart();
  exporter.io().run_for(std::chrono::seconds(20));
  CHECK(exporter.io().stopped());  // run() returned: nothing was left waiting
  CHECK_FALSE(can_connect(web_port));
  CHECK_FALSE(can_connect(tcp_port));
}

TEST_CASE("an address in use stops the start with one line naming the flag, and nothing stays open") {
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  Config config = loopback_config();
  config.syslog_udp_listen_address.reset();
  config.web_listen_address = ListenAddress{"127.0.0.1", taken.local_endpoint().port(), false};

  Exporter exporter(config, quiet_log());
  const auto error = exporter.start();
  REQUIRE(error);
  CHECK(error->message.rfind("--web.listen-address: cannot listen on 127.0.0.1:", 0) == 0);
  // The TCP input had started before HTTP failed; it is closed again.
  const auto tcp_port = exporter.listening_port("--syslog.tcp-listen-address");
  REQUIRE(tcp_port != 0);
  CHECK_FALSE(can_connect(tcp_port));
}

TEST_CASE("a missing replay file stops the start with one line naming the flag") {
  Config config = loopback_config();
  config.replay = "/nonexistent/wgevents/replay.log";
  Exporter exporter(config, quiet_log());
  const auto error = exporter.start();
  REQUIRE(error);
  CHECK(error->message == "--replay: /nonexistent/wgevents/replay.log: No such file or directory");
}
