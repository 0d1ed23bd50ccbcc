// Golden replays (tests/data/golden/README.md): a saved log in, the exact metrics page out.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "exporter_process.h"
#include "tsv.h"

using namespace wgevents::testing;

namespace {

// Lines whose values change from run to run.
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
  DIR* dir = opendir(data_path("golden").c_str());
  REQUIRE(dir != nullptr);
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log") out.push_back(name.substr(0, name.size() - 4));
  }
  closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("golden replays give the exact page") {
  const auto names = cases();
  REQUIRE(names.size() >= 2);
  for (const auto& name : names) {
    const std::string base = data_path("golden/" + name);
    std::vector<std::string> args{"--replay=" + base + ".log", "--once"};
    std::istringstream flags(read_text(base + ".flags"));
    for (std::string f; flags >> f;) args.push_back(f);
    RunResult r = run_exporter(args);
    INFO(name << ": " << r.err);
    REQUIRE(r.code == 0);
    std::string page = stable_page(r.out);
    if (std::getenv("WGEVENTS_UPDATE_GOLDEN")) {
      std::ofstream(base + ".prom") << page;
    }
    CHECK(page == read_text(base + ".prom"));
  }
}
