#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <fmt/format.h>

#include "event_text.h"
#include "tsv.h"
#include "wgevents/parser/parse.h"

using namespace wgevents;
using wgevents::testing::read_tsv;

namespace {

struct Body {
  int line;
  std::string text;
  std::string event;
  std::string fields;
};

struct FramingCase {
  int line;
  std::string name;
  std::string templ;
  std::string framing;
  std::string hostname;
  std::string timestamp;
};

std::vector<Body> bodies() {
  std::vector<Body> out;
  for (auto& row : read_tsv("parser/bodies.tsv")) {
    row.columns.resize(3);
    out.push_back({row.line_number, row.columns[0], row.columns[1], row.columns[2]});
  }
  return out;
}

std::vector<FramingCase> framings() {
  std::vector<FramingCase> out;
  for (auto& row : read_tsv("parser/framings.tsv")) {
    REQUIRE(row.columns.size() == 5);
    out.push_back({row.line_number, row.columns[0], row.columns[1], row.columns[2],
                   row.columns[3], row.columns[4]});
  }
  return out;
}

std::vector<std::string> prefixes(const std::string& kind) {
  std::vector<std::string> out;
  for (auto& row : read_tsv("parser/prefixes.tsv")) {
    row.columns.resize(2);
    if (row.columns[0] == kind) out.push_back(row.columns[1]);
  }
  return out;
}

std::string timestamp_text(const SyslogTimestamp& ts) {
  if (!ts.present()) return "-";
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}", ts.year, ts.month,
                                ts.day, ts.hour, ts.minute, ts.second, ts.nanosecond);
  if (ts.has_utc_offset) out += fmt::format("{:+}", ts.utc_offset_minutes);
  return out;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// One message built from the parts, checked field by field.
void check_message(const Parser& parser, const FramingCase& framing, const std::string& timestamp,
                   std::string decoration, const std::string& module, const std::string& ifname,
                   const Body& body) {
  if (module != "wireguard") decoration = replace(decoration, "wireguard", module);
  std::string line = timestamp + decoration + module + ": " + ifname + ": " + body.text;
  std::string message = replace(framing.templ, "{LINE}", line);
  INFO("framing " << framing.name << " (framings.tsv:" << framing.line << "), body bodies.tsv:"
                  << body.line << "\nmessage: " << message);
  ParseResult r = parser.parse(message);
  REQUIRE(status_name(r.status) == "event");
  CHECK(event_name(r.event.kind) == body.event);
  CHECK(r.event.module == module);
  CHECK(r.event.interface == ifname);
  CHECK(wgevents::testing::fields_text(r.event) == body.fields);
  CHECK(framing_name(r.envelope.framing) == framing.framing);
  CHECK(std::string(r.envelope.hostname.empty() ? "-" : r.envelope.hostname) == framing.hostname);
  CHECK(timestamp_text(r.envelope.timestamp) == framing.timestamp);
}

}  // namespace

TEST_CASE("every format in every framing, with printk times and dynamic debug decorations") {
  Parser parser;
  const auto all_bodies = bodies();
  const auto all_framings = framings();
  const auto timestamps = prefixes("timestamp");
  const auto decorations = prefixes("decoration");
  const std::string modules[] = {"wireguard", "amneziawg"};
  const std::string ifnames[] = {"wg0", "wg-firezone", "example_2", "wg0server", "w", "abcdefghijklmno"};
  REQUIRE(all_bodies.size() >= 40);
  REQUIRE(all_framings.size() >= 20);

  std::size_t rotation = 0;
  SECTION("each body in each framing") {
    for (const auto& framing : all_framings) {
      for (const auto& body : all_bodies) {
        ++rotation;
        check_message(parser, framing, timestamps[rotation % timestamps.size()],
                      decorations[(rotation / 3) % decorations.size()],
                      modules[rotation % 2], ifnames[rotation % std::size(ifnames)], body);
      }
    }
  }
  SECTION("each body with each printk time and decoration") {
    for (const auto& body : all_bodies) {
      for (const auto& ts : timestamps) {
        for (const auto& deco : decorations) {
          check_message(parser, all_framings[0], ts, deco, "wireguard", "wg0", body);
        }
      }
    }
  }
  SECTION("each framing with each printk time and decoration") {
    for (const auto& framing : all_framings) {
      for (const auto& ts : timestamps) {
        for (const auto& deco : decorations) {
          check_message(parser, framing, ts, deco, "wireguard", "wg0", all_bodies[0]);
        }
      }
    }
  }
}

TEST_CASE("lines that are not events land in ignored, unknown or malformed") {
  Parser parser;
  auto rows = read_tsv("parser/lines.tsv");
  REQUIRE(rows.size() >= 50);
  for (auto& row : rows) {
    REQUIRE(row.columns.size() == 3);
    INFO("lines.tsv:" << row.line_number << " message: " << row.columns[0]);
    ParseResult r = parser.parse(row.columns[0]);
    CHECK(status_name(r.status) == row.columns[1]);
    if (row.columns[2] != "-") CHECK(malformed_reason_name(r.reason) == row.columns[2]);
  }
}

TEST_CASE("the kernel's rate-limit report carries its count") {
  Parser parser;
  for (const char* message : {"net_ratelimit: 42 callbacks suppressed",
                              "<4>Nov 24 10:00:00 gw1 kernel: [ 99.1] net_ratelimit: 42 callbacks suppressed",
                              "4,17,99000000,-;net_ratelimit: 42 callbacks suppressed"}) {
    INFO(message);
    ParseResult r = parser.parse(message);
    REQUIRE(r.status == ParseStatus::event);
    CHECK(r.event.kind == EventKind::kernel_ratelimit_suppressed);
    CHECK(r.event.suppressed == 42);
    CHECK(r.event.interface.empty());
  }
}

TEST_CASE("oversized messages are malformed, whatever they contain") {
  Parser parser;
  std::string body = "wireguard: wg0: Peer 1 created";
  std::string at_limit = body + std::string(kMaxMessageBytes - body.size(), ' ');
  CHECK(parser.parse(at_limit).status == ParseStatus::unknown);  // trailing text: another format
  std::string over = at_limit + " ";
  ParseResult r = parser.parse(over);
  CHECK(r.status == ParseStatus::malformed);
  CHECK(r.reason == MalformedReason::too_long);
  std::string digits = "wireguard: wg0: Peer " + std::string(60000, '9') + " created";
  CHECK(parser.parse(digits).reason == MalformedReason::bad_field);
  std::string long_ifname = "wireguard: " + std::string(60000, 'w') + ": Peer 1 created";
  CHECK(parser.parse(long_ifname).reason == MalformedReason::bad_interface);
  std::string brackets = std::string(60000, '[') + "wireguard: wg0: Peer 1 created";
  CHECK(parser.parse(brackets).status == ParseStatus::ignored);
}

TEST_CASE("kmsg records carry their sequence number and time since boot") {
  Parser parser;
  ParseResult r = parser.parse("6,1234,5678901234,-;wireguard: wg0: Peer 3 created\n SUBSYSTEM=net");
  REQUIRE(r.status == ParseStatus::event);
  CHECK(r.envelope.priority == 6);
  CHECK(r.envelope.kmsg_sequence == 1234);
  CHECK(r.envelope.kmsg_usec == 5678901234);
}

TEST_CASE("the event table covers every event kind, and names round-trip") {
  Parser parser;  // constructing compiles every row; a bad row throws
  std::set<std::string> in_bodies;
  for (const auto& body : bodies()) in_bodies.insert(body.event);
  // Events only userspace implementations print are tested with their own formats.
  for (auto& row : read_tsv("parser/userspace_bodies.tsv")) in_bodies.insert(row.columns.at(1));
  for (const auto& row : kEvents) {
    INFO(row.name);
    CHECK(event_kind_from_name(row.name) == row.kind);
    if (row.scope != EventScope::kernel) CHECK(in_bodies.count(std::string(row.name)) == 1);
  }
  CHECK_FALSE(event_kind_from_name("no_such_event").has_value());
  CHECK(is_peer_event(EventKind::packet_delivery_failed));
  CHECK(is_interface_event(EventKind::cookie_decrypt_failed));
  CHECK(is_interface_event(EventKind::invalid_packet));
  CHECK_FALSE(is_interface_event(EventKind::kernel_ratelimit_suppressed));
}

TEST_CASE("the printk time and a header's fraction of a second are kept for handshake timing") {
  Parser parser;
  ParseResult r = parser.parse("[  812.250001] wireguard: wg0: Peer 3 created");
  REQUIRE(r.status == ParseStatus::event);
  CHECK(r.envelope.has_printk_time);
  CHECK(r.envelope.printk_usec == 812250001);
  // Other bracketed times are skipped but are no printk time: a wall-clock dmesg -T, a delta.
  for (const char* line : {"[Mon Jun  6 19:05:37 2022] wireguard: wg0: Peer 3 created",
                           "[  +7,696954] wireguard: wg0: Peer 3 created", "[812.25] wireguard: wg0: Peer 3 created",
                           "wireguard: wg0: Peer 3 created"}) {
    INFO(line);
    r = parser.parse(line);
    REQUIRE(r.status == ParseStatus::event);
    CHECK_FALSE(r.envelope.has_printk_time);
  }
  r = parser.parse("<15>1 2026-11-24T10:00:00.250000+01:00 gw1 kernel - - - wireguard: wg0: Peer 3 created");
  REQUIRE(r.status == ParseStatus::event);
  CHECK(r.envelope.timestamp.fraction_digits == 6);
  CHECK(r.envelope.timestamp.nanosecond == 250000000);
  r = parser.parse("<15>1 2026-11-24T10:00:00+01:00 gw1 kernel - - - wireguard: wg0: Peer 3 created");
  REQUIRE(r.status == ParseStatus::event);
  CHECK(r.envelope.timestamp.fraction_digits == 0);
}
