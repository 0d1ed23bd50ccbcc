// docs/events.md stays true: its two tables name exactly the events of the parser's rows
// (kEvents, event.h), each in the table of its scope, as tests/e2e/docs_test.cpp does for the
// metrics.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>

#include "tsv.h"
#include "wgevents/parser/event.h"

using namespace wgevents;

namespace {

// The `event` column of the tables that follow a heading or a sentence naming a family (a `## `
// heading that names none ends them): the kernel's tables, and those of the events only userspace
// implementations print.
struct DocumentedEvents {
  std::set<std::string> peer;
  std::set<std::string> interface;
};

DocumentedEvents documented_events() {
  std::ifstream in(std::string(WGEVENTS_SOURCE_DIR) + "/docs/events.md");
  REQUIRE(in);
  DocumentedEvents out;
  std::set<std::string>* table = nullptr;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| ", 0) != 0) {
      const bool peer = line.find("wireguard_peer_events_total") != std::string::npos;
      const bool interface = line.find("wireguard_interface_events_total") != std::string::npos;
      if (peer != interface) {
        table = peer ? &out.peer : &out.interface;
      } else if (line.rfind("## ", 0) == 0) {
        table = nullptr;
      }
      continue;
    }
    if (table == nullptr || line.rfind("| event ", 0) == 0) continue;
    const auto end = line.find(" |", 2);
    REQUIRE(end != std::string::npos);
    table->insert(line.substr(2, end - 2));
  }
  return out;
}

}  // namespace

TEST_CASE("docs/events.md lists every event of the rows, in the table of its scope") {
  const DocumentedEvents documented = documented_events();
  std::set<std::string> peer, interface;
  for (const auto& row : kEvents) {
    if (row.scope == EventScope::peer) peer.insert(std::string(row.name));
    if (row.scope == EventScope::interface) interface.insert(std::string(row.name));
  }
  REQUIRE(peer.size() == kPeerEventCount);
  REQUIRE(interface.size() == kInterfaceEventCount);
  CHECK(documented.peer == peer);
  CHECK(documented.interface == interface);
}

TEST_CASE("event rows: names round-trip, counts and scopes follow the rows") {
  std::size_t peers = 0, interfaces = 0;
  for (const auto& row : kEvents) {
    INFO(row.name);
    CHECK(event_kind_from_name(row.name) == row.kind);
    CHECK(event_name(row.kind) == row.name);
    if (row.scope == EventScope::peer) {
      CHECK(is_peer_event(row.kind));
      CHECK(peer_event_kind(peer_event_index(row.kind)) == row.kind);
      ++peers;
    }
    if (row.scope == EventScope::interface) {
      CHECK(is_interface_event(row.kind));
      CHECK(interface_event_kind(interface_event_index(row.kind)) == row.kind);
      ++interfaces;
    }
  }
  CHECK(peers == kPeerEventCount);
  CHECK(interfaces == kInterfaceEventCount);
  CHECK_FALSE(event_kind_from_name("no_such_event").has_value());
}
