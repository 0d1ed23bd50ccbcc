// The parser on what a real Linux 6.1 printed: the kernel lab (tests/kernel) keeps every boot's
// /dev/kmsg records and the same lines as rsyslog forwarded them (RFC 3164 over UDP, RFC 5424
// over TCP) in tests/data/kernel-6.1/. Every WireGuard line must parse as the event its words
// name (an independent reading of the kernel's fixed words, not the parser's table), with its
// interface and peer; the three transports must give the same events in the same order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tsv.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;

namespace {

// A record of a capture file: a line, plus the continuation lines (` KEY=value`) that
// /dev/kmsg puts after some records.
std::vector<std::string> capture_records(const std::string& name) {
  std::ifstream in(testing::data_path("kernel-6.1/" + name), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test data kernel-6.1/" + name);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == ' ' && !out.empty()) {
      out.back() += "\n" + line;
      continue;
    }
    out.push_back(line);
  }
  return out;
}

// The event a WireGuard body names, read from the kernel's own fixed words (drivers/net/wireguard
// in Linux 6.1).
std::optional<std::string> event_from_words(std::string_view body) {
  auto starts = [&](std::string_view prefix) { return body.substr(0, prefix.size()) == prefix; };
  auto has = [&](std::string_view part) { return body.find(part) != std::string_view::npos; };
  static const std::pair<std::string_view, std::string_view> prefixes[] = {
      {"Receiving handshake initiation from peer ", "handshake_initiation_received"},
      {"Receiving handshake response from peer ", "handshake_response_received"},
      {"Receiving keepalive packet from peer ", "keepalive_received"},
      {"Packet has unallowed src IP (", "unallowed_src_ip"},
      {"Packet is neither ipv4 nor ipv6 from peer ", "invalid_packet_type"},
      {"Packet has incorrect size from peer ", "invalid_packet_size"},
      {"Sending handshake initiation to peer ", "handshake_initiation_sent"},
      {"Sending handshake response to peer ", "handshake_response_sent"},
      {"Sending keepalive packet to peer ", "keepalive_sent"},
      {"Retrying handshake with peer ", "handshake_stale_retry"},
      {"Zeroing out all keys for peer ", "keys_zeroed"},
      {"No valid endpoint has been configured or discovered for peer ", "no_endpoint"},
      {"Could not decrypt invalid cookie response", "cookie_decrypt_failed"},
      {"Receiving cookie response from ", "cookie_response_received"},
      {"Invalid MAC of handshake, dropping packet from ", "invalid_mac"},
      {"Invalid handshake initiation from ", "invalid_handshake_initiation"},
      {"Invalid handshake response from ", "invalid_handshake_response"},
      {"Packet has invalid nonce ", "invalid_nonce"},
      {"Dropping handshake packet from ", "handshake_dropped"},
      {"Sending cookie response for denied handshake message for ", "cookie_response_sent"},
      {"Invalid IP packet", "invalid_ip_packet"},
      {"No peer has allowed IPs matching ", "no_allowed_ips_match"},
      {"No route to ", "no_route"},
      {"Interface created", "interface_created"},
      {"Interface destroyed", "interface_destroyed"},
      {"Creating namespace exiting", "namespace_exiting"},
  };
  for (const auto& [prefix, event] : prefixes) {
    if (starts(prefix)) return std::string(event);
  }
  if (starts("Handshake for peer ") && has(", giving up")) return "handshake_gave_up";
  if (starts("Handshake for peer ") && has(", retrying (try ")) return "handshake_retry";
  if (starts("Keypair ") && has(" created for peer ")) return "keypair_created";
  if (starts("Keypair ") && has(" destroyed for peer ")) return "keypair_destroyed";
  if (starts("Peer ") && body.substr(body.size() - 8) == " created") return "peer_created";
  if (starts("Peer ") && body.substr(body.size() - 10) == " destroyed") return "peer_destroyed";
  return std::nullopt;
}

// The peer id a body names: the number after "peer " (the last one: "Keypair 3 created for
// peer 1"), if any.
std::optional<std::uint64_t> peer_from_words(std::string_view body) {
  std::optional<std::uint64_t> peer;
  for (auto at = body.find("eer "); at != std::string_view::npos; at = body.find("eer ", at + 1)) {
    if (at == 0 || (body[at - 1] != 'p' && body[at - 1] != 'P')) continue;
    std::uint64_t value = 0;
    std::size_t i = at + 4, digits = 0;
    for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i, ++digits) {
      value = value * 10 + static_cast<std::uint64_t>(body[i] - '0');
    }
    if (digits) peer = value;
  }
  return peer;
}

using Seen = std::tuple<std::string, std::string, std::uint64_t>;  // event, interface, peer

// Parses every record of a capture and checks each against the kernel's words; returns the
// WireGuard events in order.
std::vector<Seen> check_capture(const Parser& parser, const std::string& name, Framing framing) {
  std::vector<Seen> seen;
  auto records = capture_records(name);
  REQUIRE(records.size() > 100);
  std::size_t suppressed_reports = 0;
  for (const auto& record : records) {
    INFO(name << ": " << record);
    auto first_line = std::string_view(record).substr(0, record.find('\n'));
    auto result = parser.parse(record);
    CHECK(result.status != ParseStatus::malformed);
    auto at = first_line.find("wireguard: ");
    if (first_line.find("net_ratelimit: ") != std::string_view::npos) {
      REQUIRE(result.status == ParseStatus::event);
      CHECK(result.event.kind == EventKind::kernel_ratelimit_suppressed);
      CHECK(result.event.suppressed > 0);
      ++suppressed_reports;
      continue;
    }
    if (at == std::string_view::npos) {
      CHECK(result.status == ParseStatus::ignored);
      continue;
    }
    auto rest = first_line.substr(at + 11);
    if (rest.substr(0, 10) == "WireGuard " || rest.substr(0, 10) == "Copyright ") {
      CHECK(result.status != ParseStatus::event);  // the module's banner at boot
      continue;
    }
    auto colon = rest.find(": ");
    REQUIRE(colon != std::string_view::npos);
    auto ifname = rest.substr(0, colon);
    auto body = rest.substr(colon + 2);
    auto expected = event_from_words(body);
    REQUIRE(expected);
    REQUIRE(result.status == ParseStatus::event);
    CHECK(result.envelope.framing == framing);
    CHECK(std::string(event_name(result.event.kind)) == *expected);
    CHECK(result.event.interface == ifname);
    auto peer = peer_from_words(body);
    CHECK(result.event.has_peer == (peer.has_value() && is_peer_event(result.event.kind)));
    if (result.event.has_peer) CHECK(result.event.peer == *peer);
    seen.emplace_back(*expected, std::string(ifname), result.event.has_peer ? result.event.peer : 0);
  }
  CHECK(suppressed_reports > 0);
  return seen;
}

}  // namespace

TEST_CASE("every line Linux 6.1's WireGuard printed in the kernel lab parses as its event") {
  Parser parser;
  auto kmsg = check_capture(parser, "kmsg.txt", Framing::kmsg);
  auto udp = check_capture(parser, "rfc3164-udp.txt", Framing::rfc3164);
  auto tcp = check_capture(parser, "rfc5424-tcp.txt", Framing::rfc5424);

  // Every event the lab provokes is in the captures.
  for (const char* event :
       {"handshake_initiation_received", "handshake_response_received", "keepalive_received",
        "unallowed_src_ip", "invalid_packet_size", "handshake_initiation_sent",
        "handshake_response_sent", "keepalive_sent", "handshake_gave_up", "handshake_retry",
        "handshake_stale_retry", "keys_zeroed", "peer_created", "peer_destroyed", "no_endpoint",
        "keypair_created", "keypair_destroyed", "cookie_decrypt_failed",
        "cookie_response_received", "invalid_mac", "invalid_handshake_initiation",
        "invalid_handshake_response", "invalid_nonce", "handshake_dropped",
        "cookie_response_sent", "invalid_ip_packet", "no_allowed_ips_match", "no_route",
        "interface_created", "interface_destroyed", "namespace_exiting"}) {
    INFO(event);
    CHECK(std::any_of(kmsg.begin(), kmsg.end(), [&](const Seen& s) { return std::get<0>(s) == event; }));
  }
  // rsyslog forwarded the same lines the kernel printed, over both transports.
  CHECK(udp == kmsg);
  CHECK(tcp == kmsg);
}
