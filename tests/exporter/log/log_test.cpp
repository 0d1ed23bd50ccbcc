// The daemon's log lines are logfmt that a log shipper can split into fields, whatever the
// values from outside (file paths, error messages) contain.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <string>

#include "log/log.h"

namespace {

// Splits one logfmt line into its fields, undoing the quoting; fails the test on anything a
// logfmt reader would not take.
std::map<std::string, std::string> parse_logfmt(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    const auto eq = line.find('=', i);
    REQUIRE(eq != std::string::npos);
    const std::string key = line.substr(i, eq - i);
    REQUIRE(key.find(' ') == std::string::npos);
    std::string value;
    i = eq + 1;
    if (i < line.size() && line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] != '\\') {
          value += line[i];
          continue;
        }
        REQUIRE(i + 1 < line.size());
        const char e = line[++i];
        if (e == 'n') value += '\n';
        else if (e == 't') value += '\t';
        else if (e == 'r') value += '\r';
        else if (e == 'x') {
          REQUIRE(i + 2 < line.size());
          value += static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else value += e;
      }
      REQUIRE(i < line.size());  // the closing quote
      ++i;
    } else {
      const auto end = line.find(' ', i);
      value = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end == std::string::npos ? line.size() : end;
    }
    REQUIRE(fields.emplace(key, value).second);
    if (i < line.size()) {
      REQUIRE(line[i] == ' ');
      ++i;
    }
  }
  return fields;
}

// What has been written to `file` so far.
std::string written(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  for (int c; (c = std::fgetc(file)) != EOF;) out += static_cast<char>(c);
  return out;
}

}  // namespace

TEST_CASE("values from outside keep their field and their line") {
  const std::string hostile[] = {
      "plain", "/var/log/wire guard.log", "say \"hi\"", "back\\slash", "key=value", "two\nlines",
      "tab\there", "bell\x07", "", "ünïcode",
  };
  for (const auto& value : hostile) {
    INFO(value);
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    wgevents::Log log(wgevents::LogLevel::info, file);
    log.error("replay stopped", "file={} err={}", wgevents::LogValue{value}, wgevents::LogValue{"No such file"});
    const std::string out = written(file);
    std::fclose(file);
    REQUIRE(out.back() == '\n');
    const std::string line = out.substr(0, out.size() - 1);
    CHECK(line.find('\n') == std::string::npos);
    auto fields = parse_logfmt(line);
    CHECK(fields["level"] == "error");
    CHECK(fields["msg"] == "replay stopped");
    CHECK(fields["file"] == value);
    CHECK(fields["err"] == "No such file");
    CHECK(fields.size() == 5);  // ts, level, msg, file, err
  }
}

TEST_CASE("a plain token stays bare, anything else is quoted") {
  CHECK(wgevents::logfmt_value("/dev/kmsg") == "/dev/kmsg");
  CHECK(wgevents::logfmt_value("a b") == "\"a b\"");
  CHECK(wgevents::logfmt_value("") == "\"\"");
  CHECK(wgevents::logfmt_value("a\"b") == "\"a\\\"b\"");
}

TEST_CASE("records below the level are not written") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  wgevents::Log log(wgevents::LogLevel::warn, file);
  log.info("hidden", "n={}", 1);
  log.warn("shown", "n={}", 2);
  const std::string out = written(file);
  std::fclose(file);
  CHECK(out.find("hidden") == std::string::npos);
  CHECK(parse_logfmt(out.substr(0, out.size() - 1))["n"] == "2");
}

TEST_CASE("the JSON log format has the same fields as one JSON object, values from outside escaped") {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "\"plain\""},
      {"/var/log/wire guard.log", "\"/var/log/wire guard.log\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"key=value", "\"key=value\""},
      {"two\nlines", "\"two\\nlines\""},
      {"bell\x07", "\"bell\\u0007\""},
      {"", "\"\""},
      {"ünïcode", "\"ünïcode\""},
  };
  for (const auto& [value, json] : cases) {
    INFO(value);
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    wgevents::Log log(wgevents::LogLevel::info, wgevents::LogFormat::json, file);
    log.error("replay stopped", "file={} err={}", wgevents::LogValue{value}, wgevents::LogValue{"No such file"});
    const std::string out = written(file);
    std::fclose(file);
    REQUIRE(out.back() == '\n');
    CHECK(out.find('\n') == out.size() - 1);
    CHECK(out.rfind("{\"ts\":\"", 0) == 0);
    CHECK(out.find("\",\"level\":\"error\",\"msg\":\"replay stopped\",\"file\":" + json +
                   ",\"err\":\"No such file\"}\n") != std::string::npos);
  }
}

TEST_CASE("logfmt fields become JSON members: numbers and booleans bare, everything else a string") {
  using wgevents::logfmt_fields_to_json;
  CHECK(logfmt_fields_to_json("address=[::]:9588 buffer_bytes=33554432 drop_reporting=true") ==
        ",\"address\":\"[::]:9588\",\"buffer_bytes\":33554432,\"drop_reporting\":true");
  CHECK(logfmt_fields_to_json("signal=15 offset=-3 zero=0 padded=007") ==
        ",\"signal\":15,\"offset\":-3,\"zero\":0,\"padded\":\"007\"");
  CHECK(logfmt_fields_to_json("hint=\"raise net.core.rmem_max\" n=\"42\"") ==
        ",\"hint\":\"raise net.core.rmem_max\",\"n\":\"42\"");
  CHECK(logfmt_fields_to_json("err=\"tab\\there \\x01 \\\"q\\\"\"") == ",\"err\":\"tab\\there \\u0001 \\\"q\\\"\"");
  // Not logfmt: kept whole rather than lost.
  CHECK(logfmt_fields_to_json("just words") == ",\"fields\":\"just words\"");
  CHECK(logfmt_fields_to_json("a=1 b=\"open") == ",\"a\":1,\"fields\":\"a=1 b=\\\"open\"");
}
