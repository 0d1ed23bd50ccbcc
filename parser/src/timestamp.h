// Parsing the timestamps syslog headers and saved logs print.
#pragma once

#include <cstddef>
#include <string_view>

#include "wgevents/parser/parse.h"

namespace wgevents::detail {

// RFC 3339 as RFC 5424 and rsyslog's file formats print it: `2026-11-24T10:00:00.123456+00:00`,
// `...Z`, journalctl's `+0100`, or no offset at all. Returns the bytes consumed, 0 if none.
std::size_t parse_rfc3339(std::string_view text, SyslogTimestamp& out);

// RFC 3164: `Nov 24 10:00:00` or `Nov  4 10:00:00` (15 bytes). Returns 15, or 0.
std::size_t parse_rfc3164_time(std::string_view text, SyslogTimestamp& out);

// OpenWrt logread: `Wed May 21 13:01:57 2025` (24 bytes). Returns 24, or 0.
std::size_t parse_ctime(std::string_view text, SyslogTimestamp& out);

// svlogd: `2022-06-06_16:05:50.93291`. Returns the bytes consumed, 0 if none.
std::size_t parse_svlogd_time(std::string_view text, SyslogTimestamp& out);

}  // namespace wgevents::detail
