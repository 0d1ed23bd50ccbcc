// Handshake timing (docs/metrics.md, "Handshake timing"): the pairing rules on recorded lines,
// including lines late, twice and out of order, and which clock each kind of message is timed by.
#include <catch2/catch.hpp>

#include <string>

#include "fake_clock.h"
#include "metrics/metrics_page.h"
#include "pipeline.h"
#include "state/wireguard_state.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;

namespace {

const std::string kInit = "wireguard: wg0: Sending handshake initiation to peer 7 (192.0.2.1:51820)";
const std::string kResponse = "wireguard: wg0: Receiving handshake response from peer 7 (192.0.2.1:51820)";
const std::string kKeypair = "wireguard: wg0: Keypair 3 created for peer 7";
const std::string kRetry =
    "wireguard: wg0: Handshake for peer 7 (192.0.2.1:51820) did not complete after 5 seconds, retrying (try 2)";
const std::string kGaveUp = "wireguard: wg0: Handshake for peer 7 (192.0.2.1:51820) did not complete after 20 attempts, giving up";
const std::string kInitiationReceived = "wireguard: wg0: Receiving handshake initiation from peer 7 (192.0.2.1:51820)";
const std::string kResponseSent = "wireguard: wg0: Sending handshake response to peer 7 (192.0.2.1:51820)";

// Applies lines to a state with the stamps a test chooses, as the pipeline does.
struct Timeline {
  Parser parser;
  WireguardState state{StateLimits{}};
  void line(const std::string& text, double stamp) {
    ParseResult r = parser.parse(text);
    REQUIRE(r.status == ParseStatus::event);
    REQUIRE(state.apply(r.event, 1000, {}, stamp) == WireguardState::Outcome::counted);
  }
  const PeerState& peer() const {
    for (const auto& p : state.peer_slots()) {
      if (p.in_use) return p;
    }
    FAIL("no peer");
    throw;
  }
  const InterfaceState& wg0() const { return state.interfaces().at(0); }
};

// Where a duration lands: the index of the first bucket whose bound holds it.
template <std::size_t N>
std::size_t bucket_of(const DurationHistogram<N>& h) {
  for (std::size_t i = 0; i < N; ++i) {
    if (h.counts[i] != 0) return i;
  }
  return N;
}

}  // namespace

TEST_CASE("a round trip runs from the initiation sent to its response, the series to the keypair") {
  Timeline t;
  t.line(kInit, 100.000);
  t.line(kResponse, 100.080);
  t.line(kKeypair, 100.081);
  CHECK(t.peer().last_rtt == Approx(0.080).margin(1e-9));
  CHECK(t.wg0().handshake_rtt.count == 1);
  CHECK(t.wg0().handshake_rtt.sum == Approx(0.080).margin(1e-9));
  CHECK(kHandshakeRttBuckets[bucket_of(t.wg0().handshake_rtt)] == 0.1);
  CHECK(t.wg0().handshake_completion.count == 1);
  CHECK(t.wg0().handshake_completion.sum == Approx(0.081).margin(1e-9));
  CHECK(kHandshakeCompletionBuckets[bucket_of(t.wg0().handshake_completion)] == 0.1);
}

TEST_CASE("a retry restarts the round trip, and the series' completion counts every retry") {
  Timeline t;
  t.line(kInit, 100.0);
  t.line(kRetry, 105.2);
  t.line(kInit, 105.2);
  t.line(kRetry, 110.4);
  t.line(kInit, 110.4);
  t.line(kResponse, 110.45);
  t.line(kKeypair, 110.45);
  CHECK(t.peer().last_rtt == Approx(0.05).margin(1e-9));
  CHECK(t.wg0().handshake_rtt.count == 1);
  // Two retries: from the first initiation, 10.45 s, in the (10, 15] bucket.
  CHECK(t.wg0().handshake_completion.count == 1);
  CHECK(t.wg0().handshake_completion.sum == Approx(10.45).margin(1e-9));
  CHECK(kHandshakeCompletionBuckets[bucket_of(t.wg0().handshake_completion)] == 15);
}

TEST_CASE("a response without an initiation, or a second copy of one, observes nothing") {
  Timeline t;
  t.line(kResponse, 50.0);  // the exporter started after the initiation
  CHECK(std::isnan(t.peer().last_rtt));
  t.line(kInit, 60.0);
  t.line(kResponse, 60.02);
  t.line(kResponse, 60.03);  // duplicated by the network or a relay
  CHECK(t.wg0().handshake_rtt.count == 1);
  CHECK(t.peer().last_rtt == Approx(0.02).margin(1e-9));
}

TEST_CASE("a give-up ends the series unobserved") {
  Timeline t;
  t.line(kInit, 0);
  for (int i = 1; i < 20; ++i) t.line(kInit, 5.0 * i);
  t.line(kGaveUp, 100);
  // The peer's answer after the give-up is a new handshake: nothing of ours is in flight.
  t.line(kResponse, 101);
  t.line(kKeypair, 101);
  CHECK(t.wg0().handshake_rtt.count == 0);
  CHECK(t.wg0().handshake_completion.count == 0);
  CHECK(std::isnan(t.peer().last_rtt));
}

TEST_CASE("a handshake this side answered observes nothing") {
  Timeline t;
  t.line(kInitiationReceived, 10.0);
  t.line(kResponseSent, 10.001);
  t.line(kKeypair, 10.001);
  CHECK(t.wg0().handshake_rtt.count == 0);
  CHECK(t.wg0().handshake_completion.count == 0);
}

TEST_CASE("lines out of order never give a negative duration") {
  Timeline t;
  // UDP delivered the response before the initiation it answers.
  t.line(kResponse, 20.05);
  t.line(kInit, 20.0);
  CHECK(t.wg0().handshake_rtt.count == 0);
  // The initiation now awaits a response; one stamped before it answers an earlier one.
  t.line(kResponse, 19.9);
  CHECK(t.wg0().handshake_rtt.count == 0);
  // An earlier initiation arriving late does not move the round trip's start back.
  t.line(kInit, 25.0);
  t.line(kInit, 24.0);
  t.line(kResponse, 25.03);
  CHECK(t.wg0().handshake_rtt.count == 1);
  CHECK(t.peer().last_rtt == Approx(0.03).margin(1e-9));
  // The series began at the earliest initiation seen, 20.0.
  t.line(kKeypair, 25.03);
  CHECK(t.wg0().handshake_completion.sum == Approx(5.03).margin(1e-9));
  // A keypair stamped before the series began belongs to an earlier one.
  t.line(kInit, 40.0);
  t.line(kKeypair, 39.0);
  CHECK(t.wg0().handshake_completion.count == 1);
  t.line(kResponse, 40.01);
  t.line(kKeypair, 40.01);
  CHECK(t.wg0().handshake_completion.count == 2);
  CHECK(t.wg0().handshake_completion.sum == Approx(5.04).margin(1e-9));
}

TEST_CASE("durations longer than the protocol allows are not observed") {
  Timeline t;
  t.line(kInit, 0);
  t.line(kResponse, kMaxHandshakeRtt + 1);  // the retry's initiation line was lost
  CHECK(t.wg0().handshake_rtt.count == 0);
  CHECK(std::isnan(t.peer().last_rtt));
  // The series' keypair line was lost: the next initiation, long after, starts anew.
  t.line(kInit, 1000);
  t.line(kResponse, 1000.01);
  t.line(kKeypair, 1000.01);
  CHECK(t.wg0().handshake_rtt.count == 1);
  CHECK(t.wg0().handshake_completion.count == 1);
  CHECK(t.wg0().handshake_completion.sum == Approx(0.01).margin(1e-9));
}

TEST_CASE("a line with no precise time breaks its pair") {
  Timeline t;
  t.line(kInit, kNoStamp);
  t.line(kResponse, 5.0);
  t.line(kKeypair, 5.0);
  CHECK(t.wg0().handshake_rtt.count == 0);
  CHECK(t.wg0().handshake_completion.count == 0);
}

TEST_CASE("wireguard-go's response line ends both the round trip and the series") {
  Timeline t;
  t.line("DEBUG: (wg0) 2026/12/01 15:02:31 peer(FW8X…mhQE) - Sending handshake initiation", 7.0);
  t.line("DEBUG: (wg0) 2026/12/01 15:02:31 peer(FW8X…mhQE) - Received handshake response", 7.004);
  CHECK(t.peer().last_rtt == Approx(0.004).margin(1e-9));
  CHECK(t.wg0().handshake_completion.count == 1);
}

TEST_CASE("the page writes cumulative buckets, the rtt gauge, and no histogram before its first observation") {
  Timeline t;
  t.line("wireguard: wg1: Peer 9 created", 1);
  t.line(kInit, 100.0);
  t.line(kResponse, 100.003);  // 3 ms: in the 5 ms bucket
  t.line(kKeypair, 100.003);
  t.line(kInit, 200.0);
  t.line(kResponse, 200.3);  // 300 ms: in the 500 ms bucket
  t.line(kKeypair, 200.3);
  SelfMetrics self("test", "test");
  const std::string page = MetricsPage(t.state, self, PageOptions{}, 1000).render_all();
  CHECK(page.find("# TYPE wireguard_handshake_rtt_seconds histogram\n") != std::string::npos);
  CHECK(page.find("wireguard_peer_last_handshake_rtt_seconds{interface=\"wg0\",peer=\"7\"} 0.3") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_bucket{interface=\"wg0\",le=\"0.0025\"} 0\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_bucket{interface=\"wg0\",le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_bucket{interface=\"wg0\",le=\"0.25\"} 1\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_bucket{interface=\"wg0\",le=\"0.5\"} 2\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_bucket{interface=\"wg0\",le=\"10\"} 2\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_bucket{interface=\"wg0\",le=\"+Inf\"} 2\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_count{interface=\"wg0\"} 2\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_completion_seconds_count{interface=\"wg0\"} 2\n") != std::string::npos);
  CHECK(page.find("wireguard_handshake_rtt_seconds_count{interface=\"wg1\"}") == std::string::npos);
}

namespace {

// A pipeline on a clock that stands still at 2027-01-15, the machine up for 1000 s.
struct Clocked {
  testing::FakeClock clock{1'800'000'000, 1000};
  Parser parser;
  WireguardState state{StateLimits{}};
  SelfMetrics self{"test", "test"};
  Pipeline pipeline{parser, state, self, {}, false, clock};
  MessageSource source;
  void send(Transport transport, const std::string& message) { pipeline.on_message(transport, message, source); }
  const InterfaceState& wg0() const { return state.interfaces().at(0); }
  double rtt() const {
    for (const auto& p : state.peer_slots()) {
      if (p.in_use && p.id == 7) return p.last_rtt;
    }
    return -1;
  }
};

}  // namespace

TEST_CASE("kmsg records are timed by their own microsecond stamps") {
  Clocked c;
  c.send(Transport::kmsg, "7,10,500000000,-;" + kInit);
  c.clock.advance(3);  // read later: the record's stamp counts, not the reading
  c.send(Transport::kmsg, "7,11,500012345,-;" + kResponse);
  c.send(Transport::kmsg, "7,12,500012400,-;" + kKeypair);
  CHECK(c.rtt() == Approx(0.012345).margin(1e-6));
  CHECK(c.wg0().handshake_completion.sum == Approx(0.0124).margin(1e-6));
}

TEST_CASE("a saved kernel log is timed by its printk stamps") {
  Clocked c;
  c.send(Transport::file, "[  812.250000] " + kInit);
  c.send(Transport::file, "[  812.290500] " + kResponse);
  CHECK(c.rtt() == Approx(0.0405).margin(1e-6));
}

TEST_CASE("RFC 5424 stamps with a fraction time the line, whole-second replays give no durations") {
  SECTION("a fraction, replayed or live") {
    for (Transport transport : {Transport::file, Transport::udp}) {
      Clocked c;
      c.send(transport, "<15>1 2026-11-24T10:00:00.250000+01:00 gw1 kernel - - - " + kInit);
      c.clock.advance(1);
      c.send(transport, "<15>1 2026-11-24T10:00:00.330000+01:00 gw1 kernel - - - " + kResponse);
      CHECK(c.rtt() == Approx(0.08).margin(1e-6));
    }
  }
  SECTION("whole seconds, replayed") {
    Clocked c;
    c.send(Transport::file, "<15>Nov 24 10:00:00 gw1 kernel: " + kInit);
    c.clock.advance(0.5);
    c.send(Transport::file, "<15>Nov 24 10:00:01 gw1 kernel: " + kResponse);
    c.send(Transport::file, "<15>Nov 24 10:00:01 gw1 kernel: " + kKeypair);
    CHECK(std::isnan(c.rtt()));
    CHECK(c.wg0().handshake_rtt.count == 0);
    CHECK(c.wg0().handshake_completion.count == 0);
  }
  SECTION("whole seconds, live: the time of receipt") {
    Clocked c;
    c.send(Transport::udp, "<15>Nov 24 10:00:00 gw1 kernel: " + kInit);
    c.clock.advance(0.125);
    c.send(Transport::udp, "<15>Nov 24 10:00:00 gw1 kernel: " + kResponse);
    CHECK(c.rtt() == Approx(0.125).margin(1e-6));
  }
}
