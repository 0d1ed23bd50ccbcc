// Listen addresses and CIDR blocks, one table per function; the rows are in tests/data/config/.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tsv.h"
#include "wgevents/config/addresses.h"

namespace wgevents {
namespace {

using testing::read_tsv;

std::string join(const std::vector<Cidr>& blocks) {
  std::vector<std::string> texts;
  std::transform(blocks.begin(), blocks.end(), std::back_inserter(texts), format_cidr);
  return texts.empty() ? "none" : fmt::format("{}", fmt::join(texts, ","));
}

TEST_CASE("parse_listen_address accepts host:port, bracketed IPv6 and :port, and nothing else") {
  const auto rows = read_tsv("config/listen_addresses.tsv");
  REQUIRE(rows.size() > 10);
  for (const auto& row : rows) {
    const auto& c = row.columns;
    INFO("listen_addresses.tsv line " << row.line_number << ": '" << c.at(0) << "'");
    std::string problem;
    const auto address = parse_listen_address(c.at(0), problem);
    if (c.at(1) == "error") {
      CHECK_FALSE(address);
      CHECK_FALSE(parse_listen_address(c.at(0)));
      CHECK_THAT(problem, Catch::Contains(c.at(2)));
      continue;
    }
    REQUIRE(address);
    CHECK(problem.empty());
    CHECK(address->host == c.at(1));
    CHECK(std::to_string(address->port) == c.at(2));
    CHECK(address->any_host == (c.at(3) == "yes"));
    CHECK(format_listen_address(*address) == c.at(4));
    // The printed form reads back as the same address.
    CHECK(parse_listen_address(format_listen_address(*address)) == address);
  }
}

TEST_CASE("parse_cidr reads a block or a bare address and clears host bits") {
  const auto rows = read_tsv("config/cidrs.tsv");
  REQUIRE(rows.size() > 10);
  for (const auto& row : rows) {
    const auto& c = row.columns;
    INFO("cidrs.tsv line " << row.line_number << ": '" << c.at(0) << "'");
    const auto block = parse_cidr(c.at(0));
    if (c.at(1) == "error") {
      CHECK_FALSE(block);
      continue;
    }
    REQUIRE(block);
    CHECK(format_cidr(*block) == c.at(1));
    CHECK(parse_cidr(format_cidr(*block)) == block);
  }
}

TEST_CASE("Cidr::contains matches by prefix, IPv4 senders also through mapped IPv6") {
  const auto rows = read_tsv("config/cidr_contains.tsv");
  REQUIRE(rows.size() > 10);
  for (const auto& row : rows) {
    const auto& c = row.columns;
    INFO("cidr_contains.tsv line " << row.line_number << ": " << c.at(0) << " " << c.at(1));
    const auto block = parse_cidr(c.at(0));
    const auto address = parse_cidr(c.at(1));  // a bare address parses as a /32 or /128
    REQUIRE(block);
    REQUIRE(address);
    CHECK(block->contains(address->network) == (c.at(2) == "yes"));
  }
}

TEST_CASE("Cidr::contains never matches an unknown address") {
  const auto everything = parse_cidr("0.0.0.0/0");
  REQUIRE(everything);
  CHECK_FALSE(everything->contains(IpAddress{}));
  CHECK_FALSE(Cidr{}.contains(IpAddress{}));
}

TEST_CASE("parse_cidr_list splits on commas, allows spaces and names the bad entry") {
  const auto rows = read_tsv("config/cidr_lists.tsv");
  REQUIRE(rows.size() > 5);
  for (const auto& row : rows) {
    const auto& c = row.columns;
    INFO("cidr_lists.tsv line " << row.line_number << ": '" << c.at(0) << "'");
    std::string problem;
    const auto blocks = parse_cidr_list(c.at(0), problem);
    if (c.at(1) == "error") {
      CHECK_FALSE(blocks);
      CHECK_FALSE(parse_cidr_list(c.at(0)));
      CHECK_THAT(problem, Catch::Contains(c.at(2)));
      continue;
    }
    REQUIRE(blocks);
    CHECK(join(*blocks) == c.at(1));
  }
}

}  // namespace
}  // namespace wgevents
