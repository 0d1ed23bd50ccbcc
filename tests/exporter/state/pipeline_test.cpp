// The pipeline's count of hosts sending (the wireguard_events_exporter_hosts gauge and the
// landing page), in single-host and fleet mode.
#include <catch2/catch.hpp>

#include <string>

#include "fake_clock.h"
#include "pipeline.h"

namespace {

// The value of the hosts gauge in the self-metrics page.
std::string hosts_gauge(const wgevents::SelfMetrics& self) {
  const std::string page = self.render();
  const std::string name = "\nwireguard_events_exporter_hosts ";
  const auto at = page.find(name);
  REQUIRE(at != std::string::npos);
  return page.substr(at + name.size(), page.find('\n', at + 1) - at - name.size());
}

struct Fixture {
  explicit Fixture(bool host_label, wgevents::StateLimits limits = {})
      : state(limits), self("test", "test"), pipeline(parser, state, self, {}, host_label) {
    sender.address.family = wgevents::IpAddress::Family::ipv4;
    sender.address.bytes = {192, 0, 2, 9};
  }
  void send(const std::string& line) { pipeline.on_message(wgevents::Transport::udp, line, sender); }

  wgevents::Parser parser;
  wgevents::WireguardState state;
  wgevents::SelfMetrics self;
  wgevents::Pipeline pipeline;
  wgevents::MessageSource sender;
};

}  // namespace

TEST_CASE("one host is sending outside fleet mode, whatever the lines name") {
  Fixture f(false);
  CHECK(f.pipeline.hosts_sending() == 1);
  CHECK(hosts_gauge(f.self) == "1");
  f.send("<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg0: Peer 7 created");
  f.send("<4>Nov 24 10:00:00 gw2 kernel: wireguard: wg0: Peer 8 created");
  CHECK(f.pipeline.hosts_sending() == 1);
  CHECK(hosts_gauge(f.self) == "1");
  CHECK(f.state.hosts().size() == 1);
  CHECK(f.pipeline.host_names().empty());
}

TEST_CASE("fleet mode counts hosts from none up to the hosts cap") {
  wgevents::StateLimits limits;
  limits.max_interfaces = 1;
  limits.max_hosts = 2;
  Fixture f(true, limits);
  CHECK(f.pipeline.hosts_sending() == 0);
  CHECK(hosts_gauge(f.self) == "0");

  f.send("<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg0: Peer 7 created");
  f.send("<4>Nov 24 10:00:00 gw1 kernel: wireguard: wg1: Peer 8 created");  // over gw1's interface cap
  CHECK(f.self.lines(wgevents::LineResult::rejected) == 1);
  CHECK(hosts_gauge(f.self) == "1");

  f.send("wireguard: wg0: Peer 9 created");  // no HOSTNAME: the sender's address
  CHECK(f.pipeline.hosts_sending() == 2);
  CHECK(f.pipeline.host_names().size() == 2);
  CHECK(f.pipeline.host_names()[0] == "gw1");
  CHECK(f.pipeline.host_names()[1] == "192.0.2.9");
  CHECK(hosts_gauge(f.self) == "2");

  f.send("<4>Nov 24 10:00:00 gw3 kernel: wireguard: wg0: Peer 9 created");  // over the hosts cap
  CHECK(f.self.lines(wgevents::LineResult::rejected) == 2);
  CHECK(f.pipeline.hosts_sending() == 2);
  CHECK(hosts_gauge(f.self) == "2");
}

// The last peer's last handshake, as the state holds it.
double last_handshake(const wgevents::WireguardState& state, std::uint64_t peer) {
  for (const auto& slot : state.peer_slots()) {
    if (slot.in_use && slot.id == peer) return slot.last_handshake;
  }
  return -1;
}

TEST_CASE("a replayed line without a year from December, read in January, is from the year before") {
  // 2027-01-01T00:10:00Z; the fake machine's local time is UTC.
  wgevents::testing::FakeClock clock(1798762200);
  wgevents::Parser parser;
  wgevents::WireguardState state({});
  wgevents::SelfMetrics self("test", "test");
  wgevents::Pipeline pipeline(parser, state, self, {}, false, clock);
  const wgevents::MessageSource file;

  pipeline.on_message(wgevents::Transport::file,
                      "<4>Dec 31 23:59:00 gw1 kernel: wireguard: wg0: Keypair 1 created for peer 1", file);
  CHECK(last_handshake(state, 1) == 1798761540);  // 2026-12-31T23:59:00Z

  pipeline.on_message(wgevents::Transport::file,
                      "<4>Jan  1 00:05:00 gw1 kernel: wireguard: wg0: Keypair 2 created for peer 2", file);
  CHECK(last_handshake(state, 2) == 1798761900);  // 2027-01-01T00:05:00Z
}
