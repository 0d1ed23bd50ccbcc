// Properties every corpus must have, whatever the seed: consumers diff against the expected
// counts, so those must add up and be reproducible.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "corpus_generator.h"

using wgevents::corpus::CorpusGenerator;
using wgevents::corpus::CorpusOptions;
using wgevents::corpus::FramingChoice;

namespace {

struct Corpus {
  std::string log;
  std::string expected;
};

Corpus generate(const CorpusOptions& options, std::uint64_t lines) {
  CorpusGenerator generator(options);
  Corpus c;
  for (std::uint64_t i = 0; i < lines; ++i) generator.append_line(c.log);
  c.expected = generator.expected_counts();
  return c;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

std::vector<std::vector<std::string>> expected_rows(const std::string& expected) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : split(expected, '\n')) rows.push_back(split(line, '\t'));
  return rows;
}

}  // namespace

TEST_CASE("the same seed gives the same corpus, another seed another") {
  CorpusOptions options;
  options.seed = 42;
  auto a = generate(options, 5000);
  auto b = generate(options, 5000);
  CHECK(a.log == b.log);
  CHECK(a.expected == b.expected);
  options.seed = 43;
  auto c = generate(options, 5000);
  CHECK(a.log != c.log);
}

TEST_CASE("every framing writes exactly one line per message and counts each once") {
  for (auto framing : {FramingChoice::mixed, FramingChoice::rfc3164, FramingChoice::rfc5424,
                       FramingChoice::kmsg, FramingChoice::plain}) {
    CorpusOptions options;
    options.framing = framing;
    options.lifecycle = true;
    const std::uint64_t lines = 20000;
    auto c = generate(options, lines);
    REQUIRE(!c.log.empty());
    CHECK(c.log.back() == '\n');
    CHECK(static_cast<std::uint64_t>(std::count(c.log.begin(), c.log.end(), '\n')) == lines);
    CHECK(c.log.find('\0') == std::string::npos);
    CHECK(c.log.find('\r') == std::string::npos);

    std::uint64_t results = 0;
    std::uint64_t event_result = 0;
    std::uint64_t peer_and_interface_events = 0;
    std::uint64_t ratelimit_lines = 0;
    std::map<std::string, std::uint64_t> no_route_by_interface;
    std::map<std::string, std::uint64_t> no_route_events_by_interface;
    for (const auto& row : expected_rows(c.expected)) {
      REQUIRE(!row.empty());
      std::uint64_t n = std::stoull(row.back());
      if (row[0] == "result") {
        results += n;
        if (row[1] == "event") event_result = n;
      } else if (row[0] == "peer_event") {
        REQUIRE(row.size() == 5);
        CHECK(row[1].size() <= 15);
        peer_and_interface_events += n;
      } else if (row[0] == "interface_event") {
        REQUIRE(row.size() == 4);
        peer_and_interface_events += n;
        if (row[2] == "no_route") no_route_events_by_interface[row[1]] += n;
      } else if (row[0] == "no_route") {
        REQUIRE(row.size() == 5);
        CHECK((row[2] == "ipv4" || row[2] == "ipv6"));
        no_route_by_interface[row[1]] += n;
      } else {
        CHECK(row[0] == "ratelimit_suppressed");
      }
    }
    // Every line is exactly one result; events are peer, interface or rate-limit lines.
    CHECK(results == lines);
    for (std::size_t at = c.log.find("callbacks suppressed"); at != std::string::npos;
         at = c.log.find("callbacks suppressed", at + 1)) {
      ++ratelimit_lines;
    }
    CHECK(event_result == peer_and_interface_events + ratelimit_lines);
    CHECK(no_route_by_interface == no_route_events_by_interface);
  }
}

TEST_CASE("a corpus longer than the list of kinds has every kind, even the rare ones") {
  CorpusOptions options;
  auto c = generate(options, 100);
  for (const char* text :
       {"Interface created", "Avoiding routing loop to ", "Invalid packet from ",
        "Failed to give packet to userspace from peer ", "matching fd",
        "No route to ", "net_ratelimit: ", "wireguard: WireGuard ", "wireguard: Copyright",
        "Packet has invalid nonce ", "Creating namespace exiting"}) {
    INFO(text);
    CHECK(c.log.find(text) != std::string::npos);
  }
  CHECK(c.log.find(" destroyed\n") == std::string::npos);  // lifecycle is off by default
  CHECK(c.log.find("Interface deleted") == std::string::npos);
  CHECK(c.expected.find("result\tmalformed\t0\n") == std::string::npos);
  CHECK(c.expected.find("result\tunknown\t0\n") == std::string::npos);
}

TEST_CASE("peer ids are the configured number, spread over the interfaces") {
  CorpusOptions options;
  options.peers = 50;
  options.interfaces = 9;
  auto c = generate(options, 100000);
  std::map<std::string, std::string> interface_of_peer;
  std::set<std::string> interfaces;
  for (const auto& row : expected_rows(c.expected)) {
    if (row[0] != "peer_event") continue;
    auto [it, inserted] = interface_of_peer.emplace(row[2], row[1]);
    CHECK(it->second == row[1]);  // a peer belongs to one interface
    interfaces.insert(row[1]);
  }
  CHECK(interface_of_peer.size() == 50);
  CHECK(interfaces.size() == 9);
  CHECK(interface_of_peer.count("18446744073709551615") == 1);
  CHECK(interfaces.count("wg-site-to-site") == 1);
  CHECK(interfaces.count("wg2") == 1);
}

TEST_CASE("weights can switch kinds off, and unknown kinds or bad sizes are refused") {
  CorpusOptions options;
  for (const auto& kind : wgevents::corpus::line_kinds()) options.weights.emplace_back(kind.name, 0);
  options.weights.emplace_back("keepalive_sent", 1);
  auto c = generate(options, 1000);
  CHECK(c.expected.find("result\tevent\t1000\n") != std::string::npos);
  CHECK(c.log.find("Receiving") == std::string::npos);

  CorpusOptions unknown;
  unknown.weights.emplace_back("no_such_kind", 1);
  CHECK_THROWS_AS(CorpusGenerator(unknown), std::invalid_argument);
  CorpusOptions no_peers;
  no_peers.peers = 0;
  CHECK_THROWS_AS(CorpusGenerator(no_peers), std::invalid_argument);
}
