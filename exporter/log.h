// The exporter's log: one logfmt line per record on standard error
// (`ts=2026-11-24T10:00:00.123Z level=info msg="listening" address=:9588`).
//
// Logged are start-up, shutdown and configuration problems, never single bad input lines:
// those are counted in lines_total (a flood of junk must not become a flood of logs).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "wgevents/config/config.h"

namespace wgevents {

// A field value that comes from outside (a file path, an error message): formatted as logfmt
// wants it, bare when it is one plain token, else in double quotes with `"`, `\` and control
// bytes escaped, so that a value cannot end its field or its line early.
struct LogValue {
  std::string_view text;
};
std::string logfmt_value(std::string_view text);

class Log {
 public:
  explicit Log(LogLevel level, std::FILE* out = stderr) : level_(level), out_(out) {}

  // `fields` is logfmt text appended after msg, e.g. `address=:9588 buffer_bytes=16777216`;
  // values in it that come from outside are passed as LogValue.
  void write(LogLevel level, std::string_view message, std::string_view fields = {}) const;

  template <typename... Args>
  void info(std::string_view message, fmt::format_string<Args...> fields, Args&&... args) const {
    if (enabled(LogLevel::info)) write(LogLevel::info, message, fmt::format(fields, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warn(std::string_view message, fmt::format_string<Args...> fields, Args&&... args) const {
    if (enabled(LogLevel::warn)) write(LogLevel::warn, message, fmt::format(fields, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void error(std::string_view message, fmt::format_string<Args...> fields, Args&&... args) const {
    write(LogLevel::error, message, fmt::format(fields, std::forward<Args>(args)...));
  }
  bool enabled(LogLevel level) const { return level >= level_; }

 private:
  LogLevel level_;
  std::FILE* out_;
};

}  // namespace wgevents

template <>
struct fmt::formatter<wgevents::LogValue> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const wgevents::LogValue& value, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(wgevents::logfmt_value(value.text), ctx);
  }
};
