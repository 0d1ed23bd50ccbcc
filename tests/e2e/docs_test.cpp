// docs/metrics.md stays true: a real scrape and the document list the same metrics, types and
// labels. And the scrape passes `promtool check metrics`.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <unistd.h>

#include "exporter_process.h"
#include "fake_uapi_server.h"
#include "tsv.h"

using namespace wgevents::testing;

namespace {

struct Documented {
  std::string type;
  std::set<std::string> labels;
};

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" `");
  auto e = s.find_last_not_of(" `");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Rows of the tables in docs/metrics.md: | `name` | type | labels | meaning |
std::map<std::string, Documented> documented_metrics() {
  std::ifstream in(std::string(WGEVENTS_SOURCE_DIR) + "/docs/metrics.md");
  REQUIRE(in);
  std::map<std::string, Documented> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) cells.push_back(trim(cell));
    REQUIRE(cells.size() >= 3);
    Documented d{cells[1], {}};
    std::stringstream labels(cells[2]);
    for (std::string label; std::getline(labels, label, ',');) {
      if (!trim(label).empty()) d.labels.insert(trim(label));
    }
    out[cells[0]] = d;
  }
  return out;
}

struct Scraped {
  std::string type;
  std::set<std::string> labels;
  bool has_help = false;
};

std::map<std::string, Scraped> scraped_metrics(const std::string& page) {
  std::map<std::string, Scraped> out;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      out[line.substr(7, line.find(' ', 7) - 7)].has_help = true;
    } else if (line.rfind("# TYPE ", 0) == 0) {
      auto space = line.find(' ', 7);
      out[line.substr(7, space - 7)].type = line.substr(space + 1);
    } else if (!line.empty() && line.front() != '#') {
      auto brace = line.find('{');
      std::string name = line.substr(0, std::min(brace, line.find(' ')));
      if (brace == std::string::npos) continue;
      // A histogram's rows belong to its family: name_bucket (with `le`), name_sum, name_count.
      bool bucket = false;
      for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
          const std::string family = name.substr(0, name.size() - suffix.size());
          if (auto it = out.find(family); it != out.end() && it->second.type == "histogram") {
            name = family;
            bucket = suffix == "_bucket";
            break;
          }
        }
      }
      std::string labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
      // label="value" pairs; values are escaped, so split on `="` and `",`.
      std::size_t at = 0;
      while (at < labels.size()) {
        auto eq = labels.find("=\"", at);
        if (const std::string label = labels.substr(at, eq - at); !(bucket && label == "le")) out[name].labels.insert(label);
        std::size_t end = eq + 2;
        while (end < labels.size() && !(labels[end] == '"' && labels[end - 1] != '\\')) ++end;
        at = end + 2;
      }
    }
  }
  return out;
}

std::string scrape_with_every_family() {
  // traffic.log has an event of each domain family; the replay keeps serving afterwards. The TCP
  // input makes the per-transport families that only a connection has (connections refused). A
  // UAPI socket gives wg0 a peer table whose first peer has peer 1's endpoint (so it is linked)
  // and a name from the names file.
  char dir[] = "/tmp/wgevents-docs-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string names = std::string(dir) + "/names";
  {
    std::ofstream(names) << "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M= alice\n";
  }
  std::string page;
  {
    FakeUapiServer uapi(dir, "wg0",
                        "public_key=08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43\n"
                        "endpoint=192.0.2.1:51820\nrx_bytes=10\ntx_bytes=20\nallowed_ip=10.7.0.2/32\n"
                        "public_key=9f2a8422371a8217185bdc7b78e398f8ec214cfba6295fa94972be318549be60\n"
                        "errno=0\n\n");
    ExporterProcess exporter({"--syslog.udp-listen-address=",
                              "--syslog.tcp-listen-address=127.0.0.1:" + std::to_string(free_port()),
                              "--replay=" + data_path("e2e/traffic.log"),
                              std::string("--wireguard.uapi-dir=") + dir, "--wireguard.config-files=",
                              "--peers.names-file=" + names});
    REQUIRE(exporter.started());
    exporter.wait_for("wireguard_events_exporter_messages_received_total", "file", 22);
    page = exporter.scrape_text();
  }
  unlink(names.c_str());
  rmdir(dir);
  REQUIRE(page.find("wireguard_peer_info{interface=\"wg0\",peer=\"1\",public_key=\"CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=\",name=\"alice\"} 1") != std::string::npos);
  return page;
}

}  // namespace

TEST_CASE("docs/metrics.md and a real scrape agree on every metric, type and label") {
  const auto documented = documented_metrics();
  const auto scraped = scraped_metrics(scrape_with_every_family());
  REQUIRE(documented.size() >= 25);
  for (const auto& [name, doc] : documented) {
    INFO("documented: " << name);
    REQUIRE(scraped.count(name) == 1);
    const Scraped& s = scraped.at(name);
    CHECK(s.type == doc.type);
    CHECK(s.has_help);
    CHECK(s.labels == doc.labels);
  }
  for (const auto& [name, s] : scraped) {
    INFO("scraped: " << name);
    CHECK(documented.count(name) == 1);
  }
}

TEST_CASE("promtool check metrics finds nothing to report in a real scrape") {
  std::string page = scrape_with_every_family();
  std::string path = "/tmp/wgevents-promtool-input.prom";
  {
    std::ofstream out(path);
    out << page;
  }
  FILE* p = popen(("promtool check metrics < " + path + " 2>&1; echo \"exit=$?\"").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, p)) output.append(buffer, n);
  pclose(p);
  std::remove(path.c_str());
  INFO(output);
  REQUIRE(output.find("not found") == std::string::npos);  // promtool must be installed
  CHECK(output == "exit=0\n");
}

namespace {

// The lines of README.md's sample page: the first fenced block after "## What /metrics looks like".
std::vector<std::string> readme_sample() {
  std::ifstream in(std::string(WGEVENTS_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::vector<std::string> out;
  std::string line;
  bool in_section = false, in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## What /metrics looks like";
    if (!in_section) continue;
    if (line.rfind("```", 0) == 0) {
      if (in_block) break;
      in_block = true;
      continue;
    }
    if (in_block) out.push_back(line);
  }
  return out;
}

// The metric name and the label names, in order, of an exposition line.
std::pair<std::string, std::vector<std::string>> series_shape(const std::string& line) {
  auto brace = line.find('{');
  std::string name = line.substr(0, std::min(brace, line.find(' ')));
  std::vector<std::string> labels;
  if (brace == std::string::npos) return {name, labels};
  std::size_t at = brace + 1;
  while (at < line.size() && line[at] != '}') {
    auto eq = line.find("=\"", at);
    REQUIRE(eq != std::string::npos);
    labels.push_back(line.substr(at, eq - at));
    std::size_t end = eq + 2;
    while (end < line.size() && !(line[end] == '"' && line[end - 1] != '\\')) ++end;
    at = end + 1;
    if (at < line.size() && line[at] == ',') ++at;
  }
  return {name, labels};
}

}  // namespace

TEST_CASE("docs: README.md's sample /metrics page and a real scrape agree on HELP, TYPE and label names") {
  const auto sample = readme_sample();
  const std::string page = scrape_with_every_family();
  std::set<std::string> real_lines;  // HELP and TYPE lines
  std::set<std::pair<std::string, std::vector<std::string>>> real_shapes;
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) {
      real_lines.insert(line);
    } else if (!line.empty()) {
      real_shapes.insert(series_shape(line));
    }
  }
  REQUIRE(sample.size() >= 10);
  std::set<std::string> shown;
  for (const auto& line : sample) {
    INFO("README: " << line);
    if (line.rfind("# ", 0) == 0) {
      // HELP and TYPE as the exporter writes them, word for word.
      CHECK(real_lines.count(line) == 1);
      continue;
    }
    const auto shape = series_shape(line);
    shown.insert(shape.first);
    // The metric exists and has these labels in this order on some real line.
    CHECK(real_shapes.count(shape) == 1);
  }
  // The identity series are part of the sample.
  for (const char* name : {"wireguard_peer_info", "wireguard_peer_receive_bytes_total",
                           "wireguard_peer_allowed_ips_info"}) {
    INFO(name);
    CHECK(shown.count(name) == 1);
  }
}
