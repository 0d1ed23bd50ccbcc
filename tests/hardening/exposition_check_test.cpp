// The hardening tests trust exposition_problem() to see a broken page; this checks that it does.
#include <catch2/catch.hpp>

#include "hardening_support.h"
#include "tsv.h"

using namespace wgevents::testing;

TEST_CASE("the exposition checker accepts valid pages and names what breaks the others") {
  const auto rows = read_tsv("hardening/exposition_pages.tsv");
  REQUIRE(rows.size() > 10);
  for (const auto& row : rows) {
    INFO("exposition_pages.tsv:" << row.line_number);
    const std::string problem = exposition_problem(row.columns[0]);
    if (row.columns[1] == "ok") {
      CHECK(problem == "");
    } else {
      CHECK(problem.rfind(row.columns[1], 0) == 0);
    }
  }
}

TEST_CASE("label values are read back unescaped") {
  const auto values = label_values("m{a=\"wg\\\"0\",b=\"x\\\\y\",c=\"l\\nm\"} 1\n# HELP m x\nn 2\n");
  REQUIRE(values.size() == 3);
  CHECK(values[0] == std::make_pair(std::string("a"), std::string("wg\"0")));
  CHECK(values[1] == std::make_pair(std::string("b"), std::string("x\\y")));
  CHECK(values[2] == std::make_pair(std::string("c"), std::string("l\nm")));
}
