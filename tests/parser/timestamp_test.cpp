#include <catch2/catch.hpp>

#include "wgevents/parser/parse.h"

using namespace wgevents;

namespace {
SyslogTimestamp at(int year, int month, int day, int h, int m, int s) {
  SyslogTimestamp ts;
  ts.year = static_cast<std::int16_t>(year);
  ts.month = static_cast<std::uint8_t>(month);
  ts.day = static_cast<std::uint8_t>(day);
  ts.hour = static_cast<std::uint8_t>(h);
  ts.minute = static_cast<std::uint8_t>(m);
  ts.second = static_cast<std::uint8_t>(s);
  return ts;
}
}  // namespace

TEST_CASE("syslog timestamps convert to Unix time") {
  // Reference values from `date -u -d ... +%s`.
  SyslogTimestamp ts = at(2026, 11, 24, 10, 0, 0);
  ts.has_utc_offset = true;
  CHECK(to_unix_seconds(ts, 0, 0) == Approx(1795514400.0));
  ts.utc_offset_minutes = 90;  // 10:00+01:30 is 08:30Z
  CHECK(to_unix_seconds(ts, 0, 0) == Approx(1795514400.0 - 5400));
  ts.nanosecond = 500000000;
  CHECK(to_unix_seconds(ts, 0, 0) == Approx(1795514400.0 - 5400 + 0.5));

  SyslogTimestamp bsd = at(0, 2, 29, 12, 0, 0);  // RFC 3164 has no year
  CHECK(to_unix_seconds(bsd, 2024, 0) == Approx(1709208000.0));
  CHECK_FALSE(to_unix_seconds(bsd, 2026, 0).has_value());  // no Feb 29 in 2026
  CHECK(to_unix_seconds(bsd, 2024, 3600) == Approx(1709208000.0 - 3600));  // local time UTC+1

  CHECK(to_unix_seconds(at(1970, 1, 1, 0, 0, 0), 0, 0) == Approx(0.0));
  CHECK_FALSE(to_unix_seconds(SyslogTimestamp{}, 2026, 0).has_value());
}
