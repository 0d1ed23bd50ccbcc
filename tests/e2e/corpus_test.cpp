// Two independent readings of the same log must agree: the corpus generator writes kernel lines
// and their expected counts from its own knowledge of the formats; the exporter replays them.
// Every expected count must appear in the scrape, and the scrape must hold nothing else.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "exporter_process.h"
#include "tsv.h"

using namespace wgevents::testing;

namespace {

std::string series(const std::vector<std::string>& c) {
  const std::string& kind = c[0];
  if (kind == "peer_event") {
    return "wireguard_peer_events_total{interface=\"" + c[1] + "\",peer=\"" + c[2] + "\",event=\"" + c[3] + "\"}";
  }
  if (kind == "interface_event") {
    return "wireguard_interface_events_total{interface=\"" + c[1] + "\",event=\"" + c[2] + "\"}";
  }
  if (kind == "no_route") {
    return "wireguard_no_route_errors_total{interface=\"" + c[1] + "\",family=\"" + c[2] + "\",error=\"" + c[3] + "\"}";
  }
  if (kind == "result") return "wireguard_events_exporter_lines_total{result=\"" + c[1] + "\"}";
  if (kind == "ratelimit_suppressed") return "wireguard_events_exporter_kernel_ratelimit_suppressed_total";
  FAIL("unknown row kind in the expected file: " << kind);
  return {};
}

void check_corpus(const std::string& generator_args) {
  const std::string log = "/tmp/wgevents-corpus-" + std::to_string(getpid()) + ".log";
  const std::string expected = log + ".expected";
  const std::string command = std::string(WGEVENTS_CORPUS_BINARY) + " " + generator_args + " --out " + log +
                              " --expected " + expected;
  REQUIRE(std::system(command.c_str()) == 0);
  RunResult r = run_exporter({"--replay=" + log, "--once", "--peers.max=100000"});
  REQUIRE(r.code == 0);
  Samples samples = parse_samples(r.out);
  auto rows = read_tsv(expected);
  REQUIRE(rows.size() > 10);
  double expected_domain = 0;
  for (const auto& row : rows) {
    std::string name = series(row.columns);
    double value = std::stod(row.columns.back());
    INFO(generator_args << ": " << name);
    CHECK(samples[name] == value);
    if (row.columns[0] == "peer_event" || row.columns[0] == "interface_event" || row.columns[0] == "no_route") {
      expected_domain += value;
    }
  }
  // Nothing counted that the generator did not write.
  double scraped_domain = sum_of(samples, "wireguard_peer_events_total") +
                          sum_of(samples, "wireguard_interface_events_total") +
                          sum_of(samples, "wireguard_no_route_errors_total");
  CHECK(scraped_domain == expected_domain);
  CHECK(sum_of(samples, "wireguard_events_exporter_lines_total") ==
        sum_of(samples, "wireguard_events_exporter_messages_received_total"));
  std::remove(log.c_str());
  std::remove(expected.c_str());
}

}  // namespace

TEST_CASE("a generated mixed corpus replays to exactly its expected counts") {
  check_corpus("--lines 200000 --seed 7");
}

TEST_CASE("each framing alone replays to exactly its expected counts") {
  for (const char* framing : {"rfc3164", "rfc5424", "kmsg", "plain"}) {
    check_corpus(std::string("--lines 20000 --seed 3 --interfaces 9 --peers 5000 --framing ") + framing);
  }
}
