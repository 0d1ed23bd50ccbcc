// Golden replays (tests/data/golden/README.md): a saved log in, the exact metrics page out,
// run in-process against Exporter with a fake clock.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "exporter.h"
#include "fake_clock.h"
#include "tsv.h"

using namespace wgevents;

namespace {

// Lines whose values depend on the process, not on the log.
bool volatile_line(const std::string& line) {
  for (const char* prefix : {"process_", "wireguard_events_exporter_build_info{",
                             "wireguard_events_exporter_last_message_timestamp_seconds ",
                             "wireguard_peer_last_handshake_age_seconds{"}) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string stable_page(const std::string& page) {
  std::istringstream in(page);
  std::string out, line;
  while (std::getline(in, line)) {
    if (!volatile_line(line)) out += line + "\n";
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  DIR* dir = opendir(testing::data_path("golden").c_str());
  REQUIRE(dir != nullptr);
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log") out.push_back(name.substr(0, name.size() - 4));
  }
  closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

Config config_for(const std::string& base) {
  std::vector<std::string> args{"wireguard_events_exporter", "--replay=" + base + ".log", "--once"};
  std::istringstream flags(read_text(base + ".flags"));
  for (std::string f; flags >> f;) args.push_back(f);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  CommandLineOutcome outcome = parse_command_line(static_cast<int>(argv.size()), argv.data(), "test");
  INFO(outcome.error);
  REQUIRE(outcome.action == CommandLineOutcome::Action::run);
  return outcome.config;
}

}  // namespace

TEST_CASE("golden replays give the exact page") {
  const auto names = cases();
  REQUIRE(names.size() >= 2);
  const bool update = std::getenv("WGEVENTS_UPDATE_GOLDEN") != nullptr;
  const Log log(LogLevel::error);
  for (const auto& name : names) {
    const std::string base = testing::data_path("golden/" + name);
    testing::FakeClock clock(1'800'000'000);  // 2027-01-15: after every line of the logs
    Exporter exporter(config_for(base), log, clock);
    const auto error = exporter.replay_all();
    INFO(name << ": " << (error ? error->message : ""));
    REQUIRE_FALSE(error);
    const std::string page = stable_page(exporter.scrape());
    if (update) {
      std::ofstream(base + ".prom") << page;
      continue;
    }
    CHECK(page == read_text(base + ".prom"));
  }
  // A rewritten page compared with itself proves nothing: the run that rewrites fails, and
  // the pages pass only on a run without the switch, after their diff has been read.
  if (update) FAIL("WGEVENTS_UPDATE_GOLDEN is set: the .prom files were rewritten, not checked");
}
