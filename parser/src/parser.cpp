#include "wgevents/parser/parse.h"

#include <array>
#include <cstring>

#include "event_table.h"
#include "framing.h"
#include "kernel_prefix.h"
#include "userspace.h"

namespace wgevents {
namespace {

ParseResult malformed(ParseResult result, MalformedReason reason) {
  result.status = ParseStatus::malformed;
  result.reason = reason;
  return result;
}

// A message ends at its first newline: what follows is a kmsg continuation (` KEY=value`) or
// the terminator rsyslog puts after an RFC 5424 message. False when a NUL stands before it.
bool first_line(std::string_view& message) {
  auto newline = message.find('\n');
  if (newline != std::string_view::npos) message = message.substr(0, newline);
  if (std::memchr(message.data(), '\0', message.size()) != nullptr) return false;
  if (!message.empty() && message.back() == '\r') message.remove_suffix(1);
  return true;
}

// A line of wireguard-go or amneziawg-go (userspace.h), or some other program's. Fills
// `result` in place: most lines that reach here are ignored, and a copy would cost more than
// the check.
void parse_userspace(std::string_view content, ParseResult& result) {
  if (!detail::may_be_userspace(content)) {
    result.status = ParseStatus::ignored;
    return;
  }
  detail::UserspaceLine line = detail::split_userspace_line(content);
  switch (line.kind) {
    case detail::UserspaceLine::Kind::not_userspace:
      result.status = ParseStatus::ignored;
      return;
    case detail::UserspaceLine::Kind::malformed:
      result.status = ParseStatus::malformed;
      result.reason = line.reason;
      return;
    case detail::UserspaceLine::Kind::userspace:
      break;
  }
  // A saved stdout log has no other time than Go's own.
  if (!result.envelope.timestamp.present()) result.envelope.timestamp = line.time;
  result.event.module = "wireguard-go";
  result.event.interface = line.interface;
  switch (detail::match_userspace_body(line.body, result.event)) {
    case detail::UserspaceMatch::event:
      result.status = ParseStatus::event;
      return;
    case detail::UserspaceMatch::ignored:
      result.status = ParseStatus::ignored;
      break;
    case detail::UserspaceMatch::unknown:
      result.status = ParseStatus::unknown;
      break;
    case detail::UserspaceMatch::malformed:
      result.status = ParseStatus::malformed;
      result.reason = MalformedReason::bad_field;
      break;
  }
  result.event = Event{};
}

}  // namespace


std::string_view status_name(ParseStatus status) {
  switch (status) {
    case ParseStatus::event: return "event";
    case ParseStatus::ignored: return "ignored";
    case ParseStatus::unknown: return "unknown";
    case ParseStatus::malformed: return "malformed";
  }
  return "?";
}

std::string_view malformed_reason_name(MalformedReason reason) {
  switch (reason) {
    case MalformedReason::none: return "none";
    case MalformedReason::nul_byte: return "nul_byte";
    case MalformedReason::invalid_utf8: return "invalid_utf8";
    case MalformedReason::too_long: return "too_long";
    case MalformedReason::bad_priority: return "bad_priority";
    case MalformedReason::bad_header: return "bad_header";
    case MalformedReason::bad_interface: return "bad_interface";
    case MalformedReason::bad_field: return "bad_field";
  }
  return "?";
}

std::string_view framing_name(Framing framing) {
  switch (framing) {
    case Framing::plain: return "plain";
    case Framing::rfc3164: return "rfc3164";
    case Framing::rfc5424: return "rfc5424";
    case Framing::kmsg: return "kmsg";
  }
  return "?";
}

Parser::Parser() : table_(std::make_unique<EventTable>()) {}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

ParseResult Parser::parse(std::string_view message) const {
  ParseResult result;
  if (message.size() > kMaxMessageBytes) return malformed(result, MalformedReason::too_long);
  if (!first_line(message)) return malformed(result, MalformedReason::nul_byte);

  detail::FramingOutcome framed = detail::strip_framing(message, result.envelope);
  if (!framed.ok) return malformed(result, framed.reason);

  detail::KernelLine line = detail::split_kernel_line(framed.content);
  result.envelope.has_printk_time = line.has_printk_time;
  result.envelope.printk_usec = line.printk_usec;
  EventTable::Match match = EventTable::Match::unknown;
  switch (line.kind) {
    case detail::KernelLine::Kind::not_wireguard:
      parse_userspace(framed.content, result);
      return result;
    case detail::KernelLine::Kind::module_banner:
      result.status = ParseStatus::ignored;
      return result;
    case detail::KernelLine::Kind::wireguard_unknown:
      result.status = ParseStatus::unknown;
      return result;
    case detail::KernelLine::Kind::malformed:
      return malformed(result, line.reason);
    case detail::KernelLine::Kind::ratelimit:
      match = table_->match_ratelimit(line.body, result.event);
      break;
    case detail::KernelLine::Kind::wireguard:
      result.event.module = line.module;
      result.event.interface = line.interface;
      match = table_->match(line.body, result.event);
      break;
  }
  switch (match) {
    case EventTable::Match::event:
      result.status = ParseStatus::event;
      return result;
    case EventTable::Match::unknown:
      // An unrecognised `net_ratelimit:` line is some other kernel message.
      result.status = line.kind == detail::KernelLine::Kind::ratelimit ? ParseStatus::ignored
                                                                        : ParseStatus::unknown;
      result.event = Event{};
      return result;
    case EventTable::Match::malformed:
      result.event = Event{};
      return malformed(result, MalformedReason::bad_field);
  }
  return result;
}

}  // namespace wgevents
