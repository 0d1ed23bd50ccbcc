// The userspace dialect: every format of wireguard-go and amneziawg-go in every envelope it
// arrives in, and the lines a real wireguard-go wrote (tests/data/wireguard-go/).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "event_text.h"
#include "tsv.h"
#include "wgevents/parser/key_abbreviation.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;
using wgevents::testing::read_tsv;

namespace {

struct Row {
  int line;
  std::vector<std::string> columns;
};

std::vector<Row> rows(const std::string& file, std::size_t columns) {
  std::vector<Row> out;
  for (auto& row : read_tsv(file)) {
    row.columns.resize(columns);
    out.push_back({row.line_number, row.columns});
  }
  return out;
}

std::string timestamp_text(const SyslogTimestamp& ts) {
  if (!ts.present()) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09u", ts.year, ts.month, ts.day, ts.hour,
                ts.minute, ts.second, ts.nanosecond);
  std::string out = text;
  if (ts.has_utc_offset) out += (ts.utc_offset_minutes >= 0 ? "+" : "") + std::to_string(ts.utc_offset_minutes);
  return out;
}

std::string result_text(const ParseResult& r) {
  return r.status == ParseStatus::event ? std::string(event_name(r.event.kind)) : std::string(status_name(r.status));
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("every userspace format in every envelope") {
  Parser parser;
  const auto bodies = rows("parser/userspace_bodies.tsv", 3);
  const auto envelopes = rows("parser/userspace_envelopes.tsv", 5);
  REQUIRE(bodies.size() >= 100);
  REQUIRE(envelopes.size() >= 15);
  const std::string levels[] = {"DEBUG", "ERROR", "INFO"};
  const std::string ifnames[] = {"wg0", "utun3", "awg0", "wg-firezone", "abcdefghijklmno"};
  std::size_t rotation = 0;
  for (const auto& envelope : envelopes) {
    for (const auto& body : bodies) {
      ++rotation;
      const std::string& ifname = ifnames[rotation % std::size(ifnames)];
      std::string line = levels[rotation % 3] + ": (" + ifname + ") 2026/12/01 12:59:28 " + body.columns[0];
      std::string message = replace(envelope.columns[1], "{LINE}", line);
      INFO("envelope " << envelope.columns[0] << " (userspace_envelopes.tsv:" << envelope.line
                       << "), body userspace_bodies.tsv:" << body.line << "\nmessage: " << message);
      ParseResult r = parser.parse(message);
      REQUIRE(result_text(r) == body.columns[1]);
      CHECK(framing_name(r.envelope.framing) == envelope.columns[2]);
      CHECK(std::string(r.envelope.hostname.empty() ? "-" : r.envelope.hostname) == envelope.columns[3]);
      CHECK(timestamp_text(r.envelope.timestamp) == envelope.columns[4]);
      if (r.status != ParseStatus::event) continue;
      CHECK(r.event.interface == ifname);
      CHECK(r.event.module == "wireguard-go");
      CHECK(wgevents::testing::fields_text(r.event) == body.columns[2]);
      CHECK(is_peer_event(r.event.kind) == r.event.has_peer);
    }
  }
}

TEST_CASE("lines that only look like wireguard-go's") {
  Parser parser;
  const std::pair<const char*, const char*> cases[] = {
      {"DEBUG: something else entirely", "ignored"},
      {"DEBUG: (wg0) not a date: Device started", "ignored"},
      {"DEBUG: (wg0) 2026/13/01 12:59:28 Device started", "ignored"},
      {"DEBUG: (wg0)2026/12/01 12:59:28 Device started", "ignored"},
      {"WARN: (wg0) 2026/12/01 12:59:28 Device started", "ignored"},
      {"DEBUG: (wg0) 2026/12/01 12:59:28.123456 Device started", "interface_created"},
      {"DEBUG: () 2026/12/01 12:59:28 Device started", "malformed"},
      {"DEBUG: (abcdefghijklmnop) 2026/12/01 12:59:28 Device started", "malformed"},
      {"DEBUG: (wg/0) 2026/12/01 12:59:28 Device started", "malformed"},
      {"DEBUG: (wg0) 2026/12/01 12:59:28 peer(BfzC\xE2\x80\xA6" "3sz4) - \xFF", "malformed"},
      {"DEBUG: (wg0) 2026/12/01 12:59:28 ", "unknown"},
      {"{\"log\":\"DEBUG: (wg0) 2026/12/01 12:59:28 Device started", "ignored"},
      {"{\"log\":\"DEBUG: (wg0) 2026/12/01 12:59:28 Device \\\"started\\\"\\n\"}", "unknown"},
  };
  for (const auto& [message, expected] : cases) {
    INFO(message);
    CHECK(result_text(parser.parse(message)) == expected);
  }
}

TEST_CASE("key abbreviations pack into 48 bits and match the key they abbreviate") {
  const std::string key = "BfzCqUNWo/Yl0KQ0GZOWVMB6AvDDmqkl2R0jwIB3sz4=";
  auto packed = pack_key_abbreviation("BfzC\xE2\x80\xA6" "3sz4");
  REQUIRE(packed.has_value());
  CHECK(*packed < (std::uint64_t{1} << 48));
  char printed[kKeyAbbreviationBytes];
  CHECK(std::string(printed, write_key_abbreviation(*packed, printed)) == "BfzC\xE2\x80\xA6" "3sz4");
  CHECK(key_has_abbreviation(key, *packed));
  CHECK_FALSE(key_has_abbreviation("CfzCqUNWo/Yl0KQ0GZOWVMB6AvDDmqkl2R0jwIB3sz4=", *packed));
  CHECK_FALSE(key_has_abbreviation("BfzC", *packed));
  CHECK(pack_key_abbreviation("+/+/\xE2\x80\xA6" "////") == (std::uint64_t{62} << 42 | std::uint64_t{63} << 36 |
                                                             std::uint64_t{62} << 30 | std::uint64_t{63} << 24 |
                                                             std::uint64_t{0xFFFFFF}));
  CHECK_FALSE(pack_key_abbreviation("BfzC...3sz4").has_value());
  CHECK_FALSE(pack_key_abbreviation("BfzC\xE2\x80\xA6" "3sz").has_value());
  CHECK_FALSE(pack_key_abbreviation("").has_value());
}

TEST_CASE("an abbreviation links the one key of a peer table that it abbreviates, never two") {
  const std::string_view a = "BfzCqUNWo/Yl0KQ0GZOWVMB6AvDDmqkl2R0jwIB3sz4=";
  const std::string_view b = "+6RWqUNWo/Yl0KQ0GZOWVMB6AvDDmqkl2R0jwIBf8Uw=";
  const std::string_view a_twin = "BfzCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA3sz4=";  // same 8 characters
  const auto packed = *pack_key_abbreviation("BfzC\xE2\x80\xA6" "3sz4");
  const std::string_view one[] = {b, a};
  CHECK(find_key_by_abbreviation(one, packed) == std::size_t{1});
  const std::string_view two[] = {a, b, a_twin};
  CHECK_FALSE(find_key_by_abbreviation(two, packed).has_value());
  const std::string_view none[] = {b};
  CHECK_FALSE(find_key_by_abbreviation(none, packed).has_value());
  CHECK_FALSE(find_key_by_abbreviation({}, packed).has_value());
}

TEST_CASE("every line a real wireguard-go wrote is known, and its events are the ones it logged") {
  Parser parser;
  std::size_t lines = 0;
  for (const char* file : {"initiator.log", "responder.log"}) {
    std::ifstream in(std::string(WGEVENTS_TEST_DATA_DIR) + "/wireguard-go/" + file);
    REQUIRE(in);
    std::string line;
    while (std::getline(in, line)) {
      ++lines;
      INFO(file << ": " << line);
      ParseResult r = parser.parse(line);
      CHECK((r.status == ParseStatus::event || r.status == ParseStatus::ignored));
      // Event lines are exactly the ones whose wording the table maps to an event.
      bool peer_line = line.find(" peer(") != std::string::npos;
      if (r.status == ParseStatus::event) CHECK(r.event.has_peer == peer_line);
      if (line.find("Sending handshake initiation") != std::string::npos) {
        CHECK(result_text(r) == "handshake_initiation_sent");
      }
      if (line.find("Receiving keepalive packet") != std::string::npos) CHECK(result_text(r) == "keepalive_received");
      if (line.find("retrying (try") != std::string::npos) CHECK(result_text(r) == "handshake_retry");
      if (line.find("UAPI: Removing") != std::string::npos && line.ends_with("Removing")) {
        CHECK(result_text(r) == "peer_destroyed");
      }
    }
  }
  CHECK(lines > 100);
}
