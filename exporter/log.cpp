#include "log.h"

#include <ctime>

namespace wgevents {
namespace {

bool plain_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return false;
  }
  return true;
}

void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::string logfmt_value(std::string_view text) {
  if (plain_token(text)) return std::string(text);
  std::string out;
  append_quoted(out, text);
  return out;
}

void Log::write(LogLevel level, std::string_view message, std::string_view fields) const {
  if (!enabled(level)) return;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  std::string line = fmt::format("ts={:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z level={} msg=", utc.tm_year + 1900,
                                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                                 now.tv_nsec / 1000000, log_level_name(level));
  append_quoted(line, message);
  if (!fields.empty()) {
    line += ' ';
    line += fields;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
}

}  // namespace wgevents
