// The hot path (message -> parse -> state -> counters) allocates nothing per line once the
// peers are known: the whole generated sample, fed through the pipeline again and again,
// must not reach the heap.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "pipeline.h"
#include "tsv.h"

namespace {
long g_allocations = 0;
}

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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
  const long before = g_allocations;
  for (int round = 0; round < 100; ++round) {
    for (const auto& line : lines) pipeline.on_message(wgevents::Transport::udp, line, udp_sender);
  }
  CHECK(g_allocations - before == 0);
  CHECK(self.messages(wgevents::Transport::udp) == 101 * lines.size());
  CHECK(self.lines(wgevents::LineResult::event) > 0);
}
