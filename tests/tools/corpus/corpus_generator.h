// Synthetic WireGuard kernel logs with the counts a correct exporter must report for them.
//
//   wgevents::corpus::CorpusOptions options;
//   options.lines = 1'000'000;
//   wgevents::corpus::CorpusGenerator generator(options);
//   std::string buffer;
//   for (std::uint64_t i = 0; i < options.lines; ++i) generator.append_line(buffer);
//   std::string expected = generator.expected_counts();  // TSV, see docs/corpus.md
//
// Lines are written from the kernel's formats as documented (kernel_printf.h and the body
// templates in corpus_generator.cpp), never through the exporter's parser, so replaying a
// corpus checks the parser against an independent reading of the same contract.
//
// Deterministic: the same options give byte-identical output on every platform and standard
// library (std::mt19937_64 with the generator's own distributions). Not thread-safe; one
// generator per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgevents::corpus {

// The transport envelope of every line; `mixed` varies it per line and adds, now and then, the
// envelopes of saved logs (journalctl, OpenWrt logread, svlogd, dmesg -T / -H).
enum class FramingChoice : std::uint8_t { mixed, rfc3164, rfc5424, kmsg, plain };

struct CorpusOptions {
  std::uint64_t seed = 1;
  std::uint32_t peers = 1000;     // distinct peer ids, each on one interface
  std::uint32_t interfaces = 4;   // wg0, wg1, wg-firezone, example_2, awg0, ...
  std::uint32_t hostnames = 1;    // gw1, gw2, ...: each interface lives on one host
  FramingChoice framing = FramingChoice::mixed;
  // Adds peer_destroyed (each followed by peer_created for a fresh id) and interface_destroyed
  // (both wordings, each followed by interface_created). Off by default: the exporter drops the
  // series of destroyed peers, so its scrape would no longer equal the cumulative counts.
  bool lifecycle = false;
  // Relative weights by line kind name (see line_kinds()), replacing the defaults.
  std::vector<std::pair<std::string, std::uint32_t>> weights;
};

// One kind of line the generator can write, with its default weight (lines per million).
struct LineKindInfo {
  std::string_view name;
  std::uint32_t default_weight;
  bool lifecycle_only;
};
const std::vector<LineKindInfo>& line_kinds();

class CorpusGenerator {
 public:
  // Throws std::invalid_argument for out-of-range options or an unknown weight name.
  explicit CorpusGenerator(const CorpusOptions& options);
  ~CorpusGenerator();
  CorpusGenerator(const CorpusGenerator&) = delete;  // holds the random state of one corpus
  CorpusGenerator& operator=(const CorpusGenerator&) = delete;

  // Appends the next line, terminated by '\n', to `out`, and counts what it should parse as.
  // The first lines of every corpus write each enabled kind once (in a seeded order), so even
  // a short corpus shows every format; after that kinds are drawn by weight.
  void append_line(std::string& out);

  // The expected-counts file for the lines written so far: TSV lines sorted bytewise.
  std::string expected_counts() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wgevents::corpus
