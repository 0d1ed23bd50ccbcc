// The tools that write or count kernel lines outside the exporter stay in step with the event
// rows (kEvents, event.h): the corpus generator can write every event the kernel module prints,
// the mtail comparison program counts every one, and every line of the fleet corpus is an event
// the parser knows.
// The generator deliberately does not use the parser's rows (its corpus is an independent check
// of the parser), so these tests prove what reading the rows would give for free.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "corpus_generator.h"
#include "wgevents/parser/event.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;

namespace {

// The events of a scope the kernel module prints: what the generator and mtail know (lines of
// userspace implementations are another dialect, tested with the parser).
std::set<std::string> module_event_names(EventScope scope) {
  std::set<std::string> names;
  for (const auto& row : kEvents) {
    if (row.scope == scope && row.printed_by == PrintedBy::kernel_module) names.insert(std::string(row.name));
  }
  return names;
}

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(WGEVENTS_SOURCE_DIR) + "/" + relative);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the corpus generator writes every event of the rows") {
  corpus::CorpusOptions options;
  options.lifecycle = true;  // peer_destroyed and interface_destroyed too
  for (const auto& kind : corpus::line_kinds()) options.weights.emplace_back(std::string(kind.name), 1);
  corpus::CorpusGenerator generator(options);
  std::string log;
  for (int i = 0; i < 20000; ++i) generator.append_line(log);

  std::set<std::string> peer, interface;
  std::istringstream expected(generator.expected_counts());
  for (std::string line; std::getline(expected, line);) {
    std::istringstream fields(line);
    std::string family, iface, id, event;
    std::getline(fields, family, '\t');
    if (family == "peer_event") {
      std::getline(fields, iface, '\t');
      std::getline(fields, id, '\t');
      std::getline(fields, event, '\t');
      peer.insert(event);
    } else if (family == "interface_event") {
      std::getline(fields, iface, '\t');
      std::getline(fields, event, '\t');
      interface.insert(event);
    }
  }
  CHECK(peer == module_event_names(EventScope::peer));
  CHECK(interface == module_event_names(EventScope::interface));
}

TEST_CASE("the mtail comparison program counts every event of the rows") {
  const std::string program = read_source("bench/mtail/wireguard.mtail");
  for (const auto& row : kEvents) {
    INFO(row.name);
    if (row.printed_by != PrintedBy::kernel_module) continue;
    if (row.scope == EventScope::peer) {
      CHECK(program.find("wireguard_peer_events_total[$interface][$peer][\"" + std::string(row.name) + "\"]++") !=
            std::string::npos);
    } else if (row.scope == EventScope::interface) {
      CHECK(program.find("wireguard_interface_events_total[$interface][\"" + std::string(row.name) + "\"]++") !=
            std::string::npos);
    }
  }
}

TEST_CASE("every line of the fleet corpus is an event the parser knows") {
  const std::string path = std::string(WGEVENTS_BINARY_DIR) + "/coverage-fleet.log";
  const std::string command = "python3 " + std::string(WGEVENTS_SOURCE_DIR) +
                              "/bench/fleet/fleet_corpus.py --hosts 2 --peers 3 --rounds 2 --out " + path;
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(path);
  REQUIRE(in);
  Parser parser;
  std::set<std::string> seen;
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    INFO(line);
    const ParseResult result = parser.parse(line);
    REQUIRE(result.status == ParseStatus::event);
    seen.insert(std::string(event_name(result.event.kind)));
  }
  std::remove(path.c_str());
  CHECK(lines == 2 * 3 * (2 * 8 + 1));  // hosts x peers x (rounds x steps + creation)
  CHECK(seen.size() == 9);              // the 9 events of its handshake cycle
}
