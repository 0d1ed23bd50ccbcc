// The exporter's log: one line per record on standard error, logfmt
// (`ts=2026-11-24T10:00:00.123Z level=info msg="listening" address=:9588`) or, with
// --log.format=json, one JSON object (`{"ts":"...","level":"info","msg":"listening","address":":9588"}`).
// Fields are always written as logfmt text by the caller; the JSON form is made from it.
// A Log is immutable after construction; write() may be called from any thread (one fwrite per line).
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

// The logfmt fields `fields` (as the callers write them: `key=bare key="quoted \"x\""`) as JSON
// members `,"key":"bare","key":"quoted \"x\""`, each with its leading comma. Whole numbers and
// true/false stay unquoted. Text that is not logfmt is kept whole as a `fields` string member.
std::string logfmt_fields_to_json(std::string_view fields);

class Log {
 public:
  explicit Log(LogLevel level, LogFormat format = LogFormat::logfmt, std::FILE* out = stderr)
      : level_(level), format_(format), out_(out) {}
  Log(LogLevel level, std::FILE* out) : Log(level, LogFormat::logfmt, out) {}

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
  LogFormat format_;
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
