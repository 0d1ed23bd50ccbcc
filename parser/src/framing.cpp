#include "framing.h"

#include "text.h"
#include "timestamp.h"

namespace wgevents::detail {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr int kMaxPriority = 191;  // facility 23, severity 7

FramingOutcome malformed(MalformedReason reason) {
  FramingOutcome out;
  out.ok = false;
  out.reason = reason;
  return out;
}

FramingOutcome content_of(std::string_view content) {
  FramingOutcome out;
  out.content = content;
  return out;
}

// Splits the first space-delimited token off `text`. False when there is no space.
bool take_token(std::string_view& text, std::string_view& token) {
  auto space = text.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  token = text.substr(0, space);
  text.remove_prefix(space + 1);
  return true;
}

// A syslog TAG: `kernel:`, `kernel[0]:`, `wg-quick[123]:`.
bool is_tag(std::string_view token) { return token.size() >= 2 && token.back() == ':'; }

// After a BSD-style timestamp: `[HOSTNAME SP] [TAG SP] content`. The HOSTNAME is told from the
// TAG by its missing colon; journalctl and rsyslog always print both.
std::string_view take_host_and_tag(std::string_view rest, Envelope& envelope) {
  std::string_view probe = rest;
  std::string_view first;
  if (!take_token(probe, first)) return rest;
  if (is_tag(first)) return probe;
  std::string_view second;
  std::string_view after_second = probe;
  envelope.hostname = first;
  if (take_token(after_second, second) && is_tag(second)) return after_second;
  return probe;
}

// `facility.level` as OpenWrt's logread prints it (`kern.debug`).
bool is_facility_level(std::string_view token) {
  auto dot = token.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < token.size();
}

// RFC 5424 after `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG].
FramingOutcome strip_rfc5424(std::string_view rest, Envelope& envelope) {
  envelope.framing = Framing::rfc5424;
  std::string_view field;
  if (!take_token(rest, field)) return malformed(MalformedReason::bad_header);
  if (field != "-") {
    if (parse_rfc3339(field, envelope.timestamp) != field.size()) {
      return malformed(MalformedReason::bad_header);
    }
  }
  if (!take_token(rest, field)) return malformed(MalformedReason::bad_header);
  if (field != "-") envelope.hostname = field;
  for (int i = 0; i < 2; ++i) {  // APP-NAME, PROCID
    if (!take_token(rest, field)) return malformed(MalformedReason::bad_header);
  }
  // MSGID, then STRUCTURED-DATA, which may be the last thing in the message.
  if (!take_token(rest, field)) return malformed(MalformedReason::bad_header);
  if (rest.empty()) return malformed(MalformedReason::bad_header);
  if (rest.front() == '-') {
    rest.remove_prefix(1);
  } else if (rest.front() == '[') {
    // One or more SD-ELEMENTs; `]` and `"` may be escaped with `\` inside values.
    std::size_t i = 0;
    while (i < rest.size() && rest[i] == '[') {
      bool in_quotes = false;
      ++i;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '\\' && in_quotes) {
          ++i;
        } else if (c == '"') {
          in_quotes = !in_quotes;
        } else if (c == ']' && !in_quotes) {
          break;
        }
      }
      if (i >= rest.size()) return malformed(MalformedReason::bad_header);
      ++i;  // past ']'
    }
    rest.remove_prefix(i);
  } else {
    return malformed(MalformedReason::bad_header);
  }
  if (rest.empty()) return content_of(rest);
  if (rest.front() != ' ') return malformed(MalformedReason::bad_header);
  rest.remove_prefix(1);
  // rsyslog forwards the kernel's message with the space it had after `kernel:`.
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.substr(0, kUtf8Bom.size()) == kUtf8Bom) rest.remove_prefix(kUtf8Bom.size());
  return content_of(rest);
}

// `PRI,SEQ,USEC,FLAGS;message` (Documentation/ABI/testing/dev-kmsg).
FramingOutcome strip_kmsg(std::string_view text, Envelope& envelope) {
  envelope.framing = Framing::kmsg;
  auto semicolon = text.find(';');
  if (semicolon == std::string_view::npos) return malformed(MalformedReason::bad_header);
  std::string_view header = text.substr(0, semicolon);
  std::string_view fields[4];
  for (int i = 0; i < 3; ++i) {
    auto comma = header.find(',');
    if (comma == std::string_view::npos) return malformed(MalformedReason::bad_header);
    fields[i] = header.substr(0, comma);
    header.remove_prefix(comma + 1);
  }
  fields[3] = header;  // flags, and possibly further fields of newer kernels
  std::uint32_t priority;
  if (!parse_unsigned(fields[0], priority) || !parse_unsigned(fields[1], envelope.kmsg_sequence) ||
      !parse_unsigned(fields[2], envelope.kmsg_usec)) {
    return malformed(MalformedReason::bad_header);
  }
  envelope.priority = static_cast<std::int16_t>(priority > 0x7fff ? 0x7fff : priority);
  return content_of(text.substr(semicolon + 1));
}

bool starts_with_priority(std::string_view text) {
  return text.size() > 1 && text[0] == '<' && is_digit(text[1]);
}

// `<PRI>` then RFC 5424, RFC 3164 with a BSD or RFC 3339 timestamp, or bare content.
FramingOutcome strip_syslog(std::string_view text, Envelope& envelope) {
  auto close = text.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) {
    return malformed(MalformedReason::bad_priority);
  }
  unsigned priority;
  if (!parse_unsigned(text.substr(1, close - 1), priority) || priority > kMaxPriority) {
    return malformed(MalformedReason::bad_priority);
  }
  envelope.priority = static_cast<std::int16_t>(priority);
  std::string_view rest = text.substr(close + 1);
  if (rest.size() >= 2 && rest[0] == '1' && rest[1] == ' ') return strip_rfc5424(rest.substr(2), envelope);

  envelope.framing = Framing::rfc3164;
  if (std::size_t n = parse_rfc3164_time(rest, envelope.timestamp); n != 0) {
    if (rest.size() == n) return content_of({});
    if (rest[n] != ' ') return malformed(MalformedReason::bad_header);
    return content_of(take_host_and_tag(rest.substr(n + 1), envelope));
  }
  if (std::size_t n = parse_rfc3339(rest, envelope.timestamp); n != 0 && n < rest.size() && rest[n] == ' ') {
    return content_of(take_host_and_tag(rest.substr(n + 1), envelope));
  }
  envelope.timestamp = SyslogTimestamp{};
  return content_of(rest);
}

// Saved-log lines: an optional svlogd stamp, then a file or journal header, or nothing.
FramingOutcome strip_plain(std::string_view text, Envelope& envelope) {
  envelope.framing = Framing::plain;
  if (text.empty()) return content_of(text);
  if (is_digit(text.front())) {
    SyslogTimestamp ts;
    if (std::size_t n = parse_svlogd_time(text, ts); n != 0 && n < text.size() && text[n] == ' ') {
      envelope.timestamp = ts;
      std::string_view rest = text.substr(n + 1);
      if (starts_with_priority(rest)) return strip_syslog(rest, envelope);
      return strip_plain(rest, envelope);
    }
    if (std::size_t n = parse_rfc3339(text, ts); n != 0 && n < text.size() && text[n] == ' ') {
      envelope.timestamp = ts;
      return content_of(take_host_and_tag(text.substr(n + 1), envelope));
    }
    return content_of(text);
  }
  SyslogTimestamp ts;
  if (std::size_t n = parse_rfc3164_time(text, ts); n != 0 && n < text.size() && text[n] == ' ') {
    envelope.timestamp = ts;
    return content_of(take_host_and_tag(text.substr(n + 1), envelope));
  }
  if (std::size_t n = parse_ctime(text, ts); n != 0 && n < text.size() && text[n] == ' ') {
    // OpenWrt logread: `Wed May 21 13:01:57 2025 kern.debug kernel: `
    envelope.timestamp = ts;
    std::string_view rest = text.substr(n + 1);
    std::string_view probe = rest;
    std::string_view token;
    if (take_token(probe, token) && is_facility_level(token)) rest = probe;
    probe = rest;
    if (take_token(probe, token) && is_tag(token)) rest = probe;
    return content_of(rest);
  }
  return content_of(text);
}

bool looks_like_kmsg(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  return i > 0 && i < text.size() && text[i] == ',';
}

}  // namespace

FramingOutcome strip_framing(std::string_view message, Envelope& envelope) {
  if (looks_like_kmsg(message)) return strip_kmsg(message, envelope);
  if (starts_with_priority(message)) return strip_syslog(message, envelope);
  return strip_plain(message, envelope);
}

}  // namespace wgevents::detail
