// The hot path allocates nothing per line once the parser is built: every kind of line of the
// test data, parsed again and again, must not reach the heap.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "allocation_counter.h"
#include "tsv.h"
#include "wgevents/parser/parse.h"

TEST_CASE("parsing allocates nothing in steady state") {
  using wgevents::testing::read_tsv;
  std::vector<std::string> messages;
  for (auto& row : read_tsv("parser/bodies.tsv")) {
    messages.push_back("<7>Nov 24 10:00:00 gw1 kernel: [ 1.5] wireguard: wg0: " + row.columns[0]);
    messages.push_back("<7>1 2026-11-24T10:00:00Z gw1 kernel - - -  wireguard:wg_xmit:1: wireguard: wg0: " + row.columns[0] + "\n");
    messages.push_back("7,1,2,-;amneziawg: awg0: " + row.columns[0]);
  }
  for (auto& row : read_tsv("parser/lines.tsv")) messages.push_back(row.columns[0]);
  for (auto& row : read_tsv("parser/userspace_bodies.tsv")) {
    messages.push_back("DEBUG: (wg0) 2026/12/01 12:59:28 " + row.columns[0]);
    messages.push_back("<31>Dec  1 12:59:28 gw1 wireguard-go[123]: ERROR: (wg0) 2026/12/01 12:59:28 " + row.columns[0]);
    messages.push_back("{\"log\":\"DEBUG: (wg0) 2026/12/01 12:59:28 " + row.columns[0] + "\\n\",\"stream\":\"stdout\"}");
  }

  wgevents::Parser parser;
  std::size_t events = 0;
  for (const auto& m : messages) events += parser.parse(m).status == wgevents::ParseStatus::event;
  long before = wgevents::testing::heap_allocations();
  REQUIRE(before > 0);  // the counter is linked in and counts (building the inputs allocated)
  for (int round = 0; round < 50; ++round) {
    for (const auto& m : messages) parser.parse(m);
  }
  CHECK(events > 100);
  CHECK(wgevents::testing::heap_allocations() - before == 0);
}
