// Parser throughput on a generated mixed corpus (tests/tools/corpus): lines per second on one core.
//
//   build/bench/parse/parse_bench [--benchmark_repetitions=5]
//   WGEVENTS_CORPUS=path/to/file.log build/bench/parse/parse_bench   # a saved log instead
//
// Method and results: docs/performance.md.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "corpus_generator.h"
#include "wgevents/parser/parse.h"

namespace {

// The corpus as one buffer of lines and views into it, built once.
struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
  std::size_t bytes = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    if (const char* path = std::getenv("WGEVENTS_CORPUS")) {
      std::ifstream in(path, std::ios::binary);
      out.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
      wgevents::corpus::CorpusOptions options;
      options.seed = 1;
      wgevents::corpus::CorpusGenerator generator(options);
      for (int i = 0; i < 1000000; ++i) generator.append_line(out.text);
    }
    std::size_t start = 0;
    while (start < out.text.size()) {
      std::size_t end = out.text.find('\n', start);
      if (end == std::string::npos) end = out.text.size();
      out.lines.emplace_back(out.text.data() + start, end - start);
      out.bytes += end - start;
      start = end + 1;
    }
    return out;
  }();
  return c;
}

void BM_ParseMixedCorpus(benchmark::State& state) {
  const Corpus& c = corpus();
  wgevents::Parser parser;
  std::size_t events = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) {
      auto r = parser.parse(line);
      events += r.status == wgevents::ParseStatus::event;
    }
  }
  benchmark::DoNotOptimize(events);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.lines.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
  state.counters["ns_per_line"] = benchmark::Counter(
      static_cast<double>(state.iterations() * c.lines.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_ParseMixedCorpus)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The common case alone: a keepalive in the RFC 3164 envelope rsyslog forwards by default.
void BM_ParseKeepalive(benchmark::State& state) {
  wgevents::Parser parser;
  const std::string line =
      "<7>Nov 24 10:00:00 gw1 kernel: [ 1234.567890] wireguard: wg0: Receiving keepalive packet from peer 42 (192.0.2.1:51820)";
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse(line));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseKeepalive);

// A line that is not WireGuard's: what the parser costs on the rest of a busy kernel log.
void BM_ParseIgnored(benchmark::State& state) {
  wgevents::Parser parser;
  const std::string line = "<6>Nov 24 10:00:00 gw1 kernel: [ 1234.567890] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex";
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse(line));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseIgnored);

// wireguard-go's line, as the journal passes it to rsyslog and rsyslog forwards it.
void BM_ParseUserspaceKeepalive(benchmark::State& state) {
  wgevents::Parser parser;
  const std::string line =
      "<31>Dec  1 12:59:28 gw1 wireguard-go[123]: DEBUG: (wg0) 2026/12/01 12:59:28 peer(BfzC\xE2\x80\xA6" "3sz4) - Receiving keepalive packet";
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse(line));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseUserspaceKeepalive);

}  // namespace

BENCHMARK_MAIN();
