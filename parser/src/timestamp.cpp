#include "timestamp.h"

#include <algorithm>
#include <array>

#include "text.h"

namespace wgevents {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

bool is_leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(long y, unsigned m) {
  static constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

}  // namespace

std::optional<double> to_unix_seconds(const SyslogTimestamp& ts, int year_if_missing,
                                      long local_utc_offset_seconds) {
  if (!ts.present()) return std::nullopt;
  const long year = ts.year != 0 ? ts.year : year_if_missing;
  if (ts.month < 1 || ts.month > 12 || ts.day < 1 || ts.day > days_in_month(year, ts.month) ||
      ts.hour > 23 || ts.minute > 59 || ts.second > 60) {
    return std::nullopt;
  }
  long seconds = days_from_civil(year, ts.month, ts.day) * 86400L + ts.hour * 3600L +
                 ts.minute * 60L + ts.second;
  seconds -= ts.has_utc_offset ? ts.utc_offset_minutes * 60L : local_utc_offset_seconds;
  return static_cast<double>(seconds) + ts.nanosecond / 1e9;
}

namespace detail {
namespace {

int month_from_name(std::string_view name) {
  static constexpr std::array<std::string_view, 12> months{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < months.size(); ++i) {
    if (name == months[i]) return static_cast<int>(i) + 1;
  }
  return 0;
}

// `hh:mm:ss` at the start of text.
bool parse_clock(std::string_view text, SyslogTimestamp& out) {
  int h, m, s;
  if (text.size() < 8 || text[2] != ':' || text[5] != ':') return false;
  if (!parse_fixed_digits(text, 2, h) || !parse_fixed_digits(text.substr(3), 2, m) ||
      !parse_fixed_digits(text.substr(6), 2, s) || h > 23 || m > 59 || s > 60) {
    return false;
  }
  out.hour = static_cast<std::uint8_t>(h);
  out.minute = static_cast<std::uint8_t>(m);
  out.second = static_cast<std::uint8_t>(s);
  return true;
}

// `.ddd...` (any number of digits, kept to nanoseconds). Returns bytes consumed.
std::size_t parse_fraction(std::string_view text, SyslogTimestamp& out) {
  if (text.empty() || (text.front() != '.' && text.front() != ',')) return 0;
  std::size_t i = 1;
  std::uint32_t nanos = 0;
  std::uint32_t scale = 100000000;
  while (i < text.size() && is_digit(text[i])) {
    nanos += static_cast<std::uint32_t>(text[i] - '0') * scale;
    scale /= 10;
    ++i;
  }
  if (i == 1) return 0;
  out.nanosecond = nanos;
  out.fraction_digits = static_cast<std::uint8_t>(std::min<std::size_t>(i - 1, 255));
  return i;
}

// `Mmm dd` (day `04`) or `Mmm  d` (day space-padded) at the start of `text`.
bool parse_month_day(std::string_view text, SyslogTimestamp& out, std::size_t& consumed) {

  if (text.size() < 6 || text[3] != ' ') return false;
  int month = month_from_name(text.substr(0, 3));
  if (month == 0) return false;
  int day;
  if (text[4] == ' ' && is_digit(text[5])) {
    day = text[5] - '0';
  } else if (!parse_fixed_digits(text.substr(4), 2, day)) {
    return false;
  }
  if (day < 1 || day > 31) return false;
  out.month = static_cast<std::uint8_t>(month);
  out.day = static_cast<std::uint8_t>(day);
  consumed = 6;
  return true;
}

}  // namespace

std::size_t parse_rfc3339(std::string_view text, SyslogTimestamp& out) {
  // YYYY-MM-DDThh:mm:ss
  SyslogTimestamp ts;
  int year, month, day;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ')) {
    return 0;
  }
  if (!parse_fixed_digits(text, 4, year) || !parse_fixed_digits(text.substr(5), 2, month) ||
      !parse_fixed_digits(text.substr(8), 2, day) || month < 1 || month > 12 || day < 1 ||
      day > 31 || !parse_clock(text.substr(11), ts)) {
    return 0;
  }
  ts.year = static_cast<std::int16_t>(year);
  ts.month = static_cast<std::uint8_t>(month);
  ts.day = static_cast<std::uint8_t>(day);
  std::size_t i = 19;
  i += parse_fraction(text.substr(i), ts);
  if (i < text.size() && text[i] == 'Z') {
    ts.has_utc_offset = true;
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    // +hh:mm or +hhmm
    int sign = text[i] == '-' ? -1 : 1;
    int oh, om;
    std::string_view off = text.substr(i + 1);
    if (!parse_fixed_digits(off, 2, oh)) return 0;
    std::size_t len;
    if (off.size() >= 5 && off[2] == ':' && parse_fixed_digits(off.substr(3), 2, om)) {
      len = 5;
    } else if (parse_fixed_digits(off.substr(2), 2, om)) {
      len = 4;
    } else {
      return 0;
    }
    if (oh > 23 || om > 59) return 0;
    ts.has_utc_offset = true;
    ts.utc_offset_minutes = static_cast<std::int16_t>(sign * (oh * 60 + om));
    i += 1 + len;
  }
  out = ts;
  return i;
}

std::size_t parse_rfc3164_time(std::string_view text, SyslogTimestamp& out) {
  SyslogTimestamp ts;
  std::size_t consumed;
  if (!parse_month_day(text, ts, consumed) || text.size() < 15 || text[6] != ' ' ||
      !parse_clock(text.substr(7), ts)) {
    return 0;
  }
  out = ts;
  return 15;
}

std::size_t parse_ctime(std::string_view text, SyslogTimestamp& out) {
  // Www Mmm dd hh:mm:ss yyyy
  static constexpr std::array<std::string_view, 7> weekdays{"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  if (text.size() < 24 || text[3] != ' ') return 0;
  bool weekday = false;
  for (auto w : weekdays) weekday = weekday || text.substr(0, 3) == w;
  if (!weekday) return 0;
  SyslogTimestamp ts;
  if (parse_rfc3164_time(text.substr(4), ts) != 15 || text[19] != ' ') return 0;
  int year;
  if (!parse_fixed_digits(text.substr(20), 4, year)) return 0;
  ts.year = static_cast<std::int16_t>(year);
  out = ts;
  return 24;
}

std::size_t parse_svlogd_time(std::string_view text, SyslogTimestamp& out) {
  // YYYY-MM-DD_hh:mm:ss.fffff
  if (text.size() < 19 || text[10] != '_') return 0;
  char copy[19];
  for (std::size_t i = 0; i < 19; ++i) copy[i] = text[i];
  copy[10] = 'T';
  SyslogTimestamp ts;
  if (parse_rfc3339(std::string_view(copy, 19), ts) != 19) return 0;
  std::size_t i = 19 + parse_fraction(text.substr(19), ts);
  out = ts;
  return i;
}

}  // namespace detail
}  // namespace wgevents
