#include "log/log.h"

#include <algorithm>
#include <charconv>
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

// `"text"` with `"`, `\` and control bytes escaped; logfmt and JSON differ only in how they
// write the other control bytes (`\x01` and `\u0001`).
enum class Quoting { logfmt, json };
void append_escaped(std::string& out, std::string_view text, Quoting quoting) {
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
          out += quoting == Quoting::json ? fmt::format("\\u{:04x}", c) : fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_quoted(std::string& out, std::string_view text) { append_escaped(out, text, Quoting::logfmt); }
void append_json_string(std::string& out, std::string_view text) { append_escaped(out, text, Quoting::json); }

// A bare logfmt value that JSON can carry as it is: a whole number without leading zeros, or a boolean.
bool json_literal(std::string_view value) {
  if (value == "true" || value == "false") return true;
  std::string_view digits = value.starts_with('-') ? value.substr(1) : value;
  if (digits.empty() || digits.size() > 15 || (digits.size() > 1 && digits.front() == '0')) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// One logfmt value starting at fields[i]: a bare token, or a quoted one with the escapes that
// append_quoted writes. Advances i past it; false when the text is not logfmt.
bool read_logfmt_value(std::string_view fields, std::size_t& i, std::string& value, bool& quoted) {
  value.clear();
  quoted = i < fields.size() && fields[i] == '"';
  if (!quoted) {
    const auto end = std::min(fields.find(' ', i), fields.size());
    value = fields.substr(i, end - i);
    i = end;
    return true;
  }
  for (++i; i < fields.size(); ++i) {
    const char c = fields[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c != '\\') {
      value += c;
      continue;
    }
    if (++i == fields.size()) return false;
    switch (fields[i]) {
      case 'n': value += '\n'; break;
      case 'r': value += '\r'; break;
      case 't': value += '\t'; break;
      case 'x': {
        if (i + 2 >= fields.size()) return false;
        unsigned byte = 0;
        const auto [end, ec] = std::from_chars(fields.data() + i + 1, fields.data() + i + 3, byte, 16);
        if (ec != std::errc() || end != fields.data() + i + 3) return false;
        value += static_cast<char>(byte);
        i += 2;
        break;
      }
      default: value += fields[i];
    }
  }
  return false;  // no closing quote
}

}  // namespace

std::string logfmt_fields_to_json(std::string_view fields) {
  std::string out;
  std::string value;
  std::size_t i = 0;
  while (i < fields.size()) {
    const auto equals = fields.find('=', i);
    const std::string_view key = equals == fields.npos ? std::string_view{} : fields.substr(i, equals - i);
    if (key.empty() || key.find_first_of(" \"") != key.npos) break;
    i = equals + 1;
    bool quoted = false;
    if (!read_logfmt_value(fields, i, value, quoted)) break;
    out += ',';
    append_json_string(out, key);
    out += ':';
    if (!quoted && json_literal(value)) {
      out += value;
    } else {
      append_json_string(out, value);
    }
    if (i == fields.size()) return out;
    if (fields[i] != ' ') break;
    ++i;
  }
  // Not logfmt after all: the fields read so far, and the whole text, so that nothing is lost.
  out += ",\"fields\":";
  append_json_string(out, fields);
  return out;
}

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
  const std::string ts = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000);
  std::string line;
  if (format_ == LogFormat::json) {
    line = fmt::format("{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":", ts, log_level_name(level));
    append_json_string(line, message);
    if (!fields.empty()) line += logfmt_fields_to_json(fields);
    line += "}\n";
  } else {
    line = fmt::format("ts={} level={} msg=", ts, log_level_name(level));
    append_quoted(line, message);
    if (!fields.empty()) {
      line += ' ';
      line += fields;
    }
    line += '\n';
  }
  std::fwrite(line.data(), 1, line.size(), out_);
}

}  // namespace wgevents
