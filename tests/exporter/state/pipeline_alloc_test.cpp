// The hot path (message -> parse -> state -> counters) allocates nothing per line once the
// peers are known: the whole generated sample, fed through the pipeline again and again,
// must not reach the heap.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "pipeline.h"
#include "allocation_counter.h"
#include "tsv.h"

TEST_CASE("the pipeline allocates nothing per message in steady state") {
  std::ifstream in(wgevents::testing::data_path("sample.log"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() >= 50);

  wgevents::Parser parser;
  wgevents::WireguardState state(wgevents::StateLimits{});
  wgevents::SelfMetrics self("test", "test");
  wgevents::Pipeline pipeline(parser, state, self, {});
  wgevents::MessageSource udp_sender;
  udp_sender.address.family = wgevents::IpAddress::Family::ipv4;
  udp_sender.address.bytes = {127, 0, 0, 1};

  for (const auto& line : lines) pipeline.on_message(wgevents::Transport::udp, line, udp_sender);
  const long before = wgevents::testing::heap_allocations();
  REQUIRE(before > 0);  // the counter is linked in and counts (building the inputs allocated)
  for (int round = 0; round < 100; ++round) {
    for (const auto& line : lines) pipeline.on_message(wgevents::Transport::udp, line, udp_sender);
  }
  CHECK(wgevents::testing::heap_allocations() - before == 0);
  CHECK(self.messages(wgevents::Transport::udp) == 101 * lines.size());
  CHECK(self.lines(wgevents::LineResult::event) > 0);
}
