#include "userspace.h"

#include "wgevents/parser/base64.h"
#include "wgevents/parser/key_abbreviation.h"

#include "address.h"
#include "kernel_prefix.h"
#include "text.h"

namespace wgevents {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026, between the two halves

}  // namespace

std::optional<std::uint64_t> pack_key_abbreviation(std::string_view printed) {
  if (printed.size() != kKeyAbbreviationBytes || printed.substr(4, kEllipsis.size()) != kEllipsis) {
    return std::nullopt;
  }
  std::uint64_t packed = 0;
  for (std::size_t i : {0, 1, 2, 3, 7, 8, 9, 10}) {
    int v = base64_value(printed[i]);
    if (v < 0) return std::nullopt;
    packed = (packed << 6) | static_cast<std::uint64_t>(v);
  }
  return packed;
}

std::size_t write_key_abbreviation(std::uint64_t packed, char* out) {
  std::size_t positions[] = {0, 1, 2, 3, 7, 8, 9, 10};
  for (int i = 7; i >= 0; --i) {
    out[positions[i]] = kBase64Alphabet[packed & 63];
    packed >>= 6;
  }
  for (std::size_t i = 0; i < kEllipsis.size(); ++i) out[4 + i] = kEllipsis[i];
  return kKeyAbbreviationBytes;
}

bool key_has_abbreviation(std::string_view base64_key, std::uint64_t packed) {
  // wireguard-go: base64Key[0:4] + "…" + base64Key[39:43] of the 44-character key.
  if (base64_key.size() != 44) return false;
  char printed[kKeyAbbreviationBytes];
  write_key_abbreviation(packed, printed);
  return base64_key.substr(0, 4) == std::string_view(printed, 4) &&
         base64_key.substr(39, 4) == std::string_view(printed + 7, 4);
}

std::optional<std::size_t> find_key_by_abbreviation(std::span<const std::string_view> keys, std::uint64_t packed) {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!key_has_abbreviation(keys[i], packed)) continue;
    if (found) return std::nullopt;  // ambiguous
    found = i;
  }
  return found;
}

namespace detail {
namespace {

using F = EventField;
using K = EventKind;
constexpr auto E = UserspaceScope::event;
constexpr auto I = UserspaceScope::ignored;

// wireguard-go's device package (0.0.20220316 as Debian 12 ships it, and the current release),
// its main program, releases before 2021 (Println wording, `INFO:`), and amneziawg-go's own
// lines. Specific rows before the general ones: the first match wins.
constexpr UserspaceFormat kFormats[] = {
    // Peer events, in the kernel's names where the meaning is the same.
    {K::peer_created, E, "%p - UAPI: Created"},
    {K::peer_destroyed, E, "%p - UAPI: Removing"},
    {K::handshake_initiation_sent, E, "%p - Sending handshake initiation"},
    {K::handshake_response_sent, E, "%p - Sending handshake response", {}, 0, true},
    {K::handshake_initiation_received, E, "%p - Received handshake initiation"},
    {K::handshake_response_received, E, "%p - Received handshake response", {}, 0, true},
    {K::keepalive_received, E, "%p - Receiving keepalive packet"},
    {K::keepalive_sent, E, "%p - Sending keepalive packet"},
    {K::handshake_gave_up, E, "%p - Handshake did not complete after %d attempts, giving up", {F::attempts}, 1},
    {K::handshake_retry, E, "%p - Handshake did not complete after %d seconds, retrying (try %d)", {F::seconds, F::try_number}, 2},
    {K::handshake_stale_retry, E, "%p - Retrying handshake because we stopped hearing back after %d seconds", {F::seconds}, 1},
    {K::keys_zeroed, E, "%p - Removing all keys, since we haven't received a new one in %d seconds", {F::seconds}, 1},
    {K::unallowed_src_ip, E, "IPv4 packet with disallowed source address from %p"},
    {K::unallowed_src_ip, E, "IPv6 packet with disallowed source address from %p"},
    {K::invalid_packet_type, E, "Packet with invalid IP version from %p"},
    // Peer events the kernel does not print.
    {K::handshake_replay, E, "%p - ConsumeMessageInitiation: handshake replay @ %v"},
    {K::handshake_flood, E, "%p - ConsumeMessageInitiation: handshake flood"},
    {K::handshake_send_failed, E, "%p - Failed to send handshake initiation%v"},  // `: err`; ` err` before 2021
    {K::handshake_send_failed, E, "%p - Failed to send handshake response%v"},
    {K::data_send_failed, E, "%p - Failed to send data packet%v"},  // `packet: ` and `packets: `
    {K::handshake_error, E, "%p - Failed to create initiation message: %v"},
    {K::handshake_error, E, "%p - Failed to create response message: %v"},
    {K::handshake_error, E, "%p - Failed to derive keypair: %v"},
    // A peer's goroutines and configuration steps.
    {K::peer_created, I, "%p - Starting"},
    {K::peer_created, I, "%p - Starting..."},  // before 2021
    {K::peer_created, I, "%p - Stopping"},
    {K::peer_created, I, "%p - Stopping..."},
    {K::peer_created, I, "%p - Routine: %v"},
    {K::peer_created, I, "%p - UAPI: %v"},
    {K::peer_created, I, "%p - Awaiting keypair"},
    {K::peer_created, I, "%p - Obtained awaited keypair"},

    // Interface events, in the kernel's names where the meaning is the same.
    {K::cookie_response_received, E, "Receiving cookie response from %e", {F::endpoint}, 1},
    {K::cookie_response_received, E, "Receiving cookie response from  %e", {F::endpoint}, 1},  // Println
    {K::cookie_decrypt_failed, E, "Could not decrypt invalid cookie response"},
    {K::invalid_mac, E, "Received packet with invalid mac1"},
    {K::invalid_handshake_initiation, E, "Received invalid initiation message from %e", {F::endpoint}, 1},
    {K::invalid_handshake_response, E, "Received invalid response message from %e", {F::endpoint}, 1},
    {K::cookie_response_sent, E, "Sending cookie response for denied handshake message for %e", {F::endpoint}, 1},
    {K::invalid_packet, E, "Received message with unknown type"},
    {K::invalid_ip_packet, E, "Received packet with unknown IP version"},
    {K::interface_created, E, "Device started"},
    {K::interface_destroyed, E, "Device closed"},
    {K::interface_destroyed, E, "Interface closed"},  // before 2021
    // Interface events the kernel does not print.
    {K::interface_up, E, "Interface up requested"},
    {K::interface_up, E, "Interface set up"},  // before 2021
    {K::interface_down, E, "Interface down requested"},
    {K::interface_down, E, "Interface set down"},
    {K::all_peers_removed, E, "UAPI: Removing all peers"},
    {K::handshake_decode_failed, E, "Failed to decode cookie reply"},
    {K::handshake_decode_failed, E, "Failed to decode initiation message"},
    {K::handshake_decode_failed, E, "Failed to decode response message"},
    {K::handshake_decode_failed, E, "Invalid packet ended up in the handshake queue"},
    {K::cookie_response_failed, E, "Failed to create cookie reply%v"},
    {K::cookie_response_blocked, E, "Sending cookie response blocked for %e due to disabled cookies", {F::endpoint}, 1},
    {K::tun_error, E, "Failed to create TUN device: %v"},
    {K::tun_error, E, "Failed to read packet from TUN device%v"},
    {K::tun_error, E, "Failed to write packet to TUN device%v"},
    {K::tun_error, E, "Failed to write packets to TUN device: %v"},
    {K::tun_error, E, "Unable to flush packets: %v"},
    {K::tun_error, E, "Failed to load updated MTU of device%v"},
    {K::tun_error, E, "MTU not updated to negative value: %v"},
    {K::tun_error, E, "Trouble determining MTU, assuming default: %v"},
    {K::tun_error, E, "Dropped some packets from multi-segment read: %v"},
    {K::bind_error, E, "Unable to update bind: %v"},
    {K::bind_error, E, "Bind close failed: %v"},
    {K::bind_error, E, "Failed to receive %v packet: %v"},
    {K::uapi_error, E, "IPC error %d: %v", {F::error}, 1},
    {K::uapi_error, E, "invalid UAPI operation: %v"},
    {K::uapi_error, E, "Invalid UAPI operation: %v"},  // before 2021
    {K::uapi_error, E, "Invalid UAPI error: %v"},
    {K::uapi_error, E, "UAPI listen error: %v"},
    {K::uapi_error, E, "Failed to listen on uapi socket: %v"},
    {K::daemon_error, E, "Failed to determine executable: %v"},
    {K::daemon_error, E, "Failed to daemonize: %v"},
    {K::obfuscation_failed, E, "Failed to initialize header cipher"},
    {K::obfuscation_failed, E, "Routing: header obfuscation failed - packet dropped"},
    // The program's life and the interface's configuration steps.
    {K::interface_created, I, "Starting wireguard-go version %v"},
    {K::interface_created, I, "Starting amneziawg-go version %v"},
    {K::interface_created, I, "UAPI listener started"},
    {K::interface_created, I, "Shutting down"},
    {K::interface_created, I, "Device closing"},
    {K::interface_created, I, "UDP bind has been updated"},
    {K::interface_created, I, "Interface state was %v"},
    {K::interface_created, I, "Interface closed, ignored requested state %v"},
    {K::interface_created, I, "MTU updated: %v"},
    {K::interface_created, I, "Routine: %v"},
    {K::interface_created, I, "UAPI: %v"},
};

// Each event of kEvents (event.h) that only userspace implementations print has a format here, and
// no counted format names the kernel's own rate-limit report.
constexpr bool formats_cover_userspace_events() {
  for (const auto& event : kEvents) {
    bool found = false;
    for (const auto& format : kFormats) found = found || (format.kind == event.kind && format.scope == E);
    if (event.printed_by == PrintedBy::userspace_only && !found) return false;
    if (event.printed_by == PrintedBy::kernel_itself && found) return false;
  }
  return true;
}
static_assert(formats_cover_userspace_events(),
              "kFormats: at least one format for each event of kEvents only userspace implementations print");

// What a conversion captured, before its typed parse.
struct Capture {
  char conversion;
  std::string_view text;
};

// The literal text from `format` up to its next conversion.
std::string_view next_literal(std::string_view format) {
  return format.substr(0, std::min(format.find('%'), format.size()));
}

// Matches `text` against `format` by shape; fills up to 4 captures. The typed parsers decide
// afterwards whether a captured value is in range.
bool match_shape(std::string_view format, std::string_view text, Capture* captures, std::size_t& count) {
  count = 0;
  while (!format.empty()) {
    if (format.front() != '%') {
      std::string_view literal = next_literal(format);
      if (text.substr(0, literal.size()) != literal) return false;
      text.remove_prefix(literal.size());
      format.remove_prefix(literal.size());
      continue;
    }
    const char conversion = format[1];
    format.remove_prefix(2);
    std::string_view literal = next_literal(format);
    std::size_t end = 0;
    switch (conversion) {
      case 'p': {
        // `peer(` ... `)`: up to the first `)`, checked by pack_key_abbreviation afterwards.
        if (text.substr(0, 5) != "peer(") return false;
        end = text.find(')');
        if (end == std::string_view::npos) return false;
        ++end;
        break;
      }
      case 'd':
        if (!text.empty() && text.front() == '-') ++end;
        while (end < text.size() && is_digit(text[end])) ++end;
        if (end == 0 || (end == 1 && text.front() == '-')) return false;
        break;
      case 'e':
      case 'v':
        if (literal.empty()) {
          end = text.size();
        } else {
          end = text.find(literal);
          if (end == std::string_view::npos) return false;
        }
        // An endpoint is one word: `from  192.0.2.1:51820` (two spaces) is another row's shape.
        if (conversion == 'e' && (end == 0 || text.substr(0, end).find(' ') != std::string_view::npos)) {
          return false;
        }
        break;
      default:
        return false;
    }
    if (count < 4) captures[count++] = {conversion, text.substr(0, end)};
    text.remove_prefix(end);
  }
  return text.empty();
}

// `10.0.0.1:51820`, `[fd00::1]:51820`, `[fe80::1%eth0]:51820` (a zone by name is dropped: the
// kernel's numeric scope id is not printed here).
bool parse_go_endpoint(std::string_view text, Endpoint& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
    if (auto zone = host.find('%'); zone != std::string_view::npos) host = host.substr(0, zone);
    if (host.find(':') == std::string_view::npos) return false;
  }
  Endpoint endpoint;
  if (!parse_ip_address(host, endpoint.address) || !parse_unsigned(text.substr(colon + 1), endpoint.port)) {
    return false;
  }
  out = endpoint;
  return true;
}

bool assign(const UserspaceFormat& row, const Capture* captures, std::size_t count, Event& event) {
  std::size_t field = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Capture& c = captures[i];
    switch (c.conversion) {
      case 'p': {
        std::string_view printed = c.text.substr(5, c.text.size() - 6);
        auto packed = pack_key_abbreviation(printed);
        if (!packed) return false;
        event.has_peer = true;
        event.peer_naming = PeerNaming::key_abbreviation;
        event.peer = *packed;
        break;
      }
      case 'd': {
        if (field >= row.field_count) return false;
        std::int32_t value;
        if (!parse_signed(c.text, value)) return false;
        switch (row.fields[field++]) {
          case F::attempts: event.attempts = value; break;
          case F::seconds: event.seconds = value; break;
          case F::try_number: event.try_number = value; break;
          case F::error: event.error = value; break;
          default: return false;
        }
        break;
      }
      case 'e':
        if (field >= row.field_count || row.fields[field++] != F::endpoint) return false;
        if (!parse_go_endpoint(c.text, event.endpoint)) return false;
        break;
      default:
        break;  // %v: free text
    }
  }
  return true;
}

// Go's log.Ldate|log.Ltime: `2026/12/01 12:59:28` (19 bytes), with `.123456` under
// log.Lmicroseconds. Returns the bytes consumed, 0 if none.
std::size_t parse_go_time(std::string_view text, SyslogTimestamp& out) {
  int year, month, day, hour, minute, second;
  if (text.size() < 19 || text[4] != '/' || text[7] != '/' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':' || !parse_fixed_digits(text, 4, year) || !parse_fixed_digits(text.substr(5), 2, month) ||
      !parse_fixed_digits(text.substr(8), 2, day) || !parse_fixed_digits(text.substr(11), 2, hour) ||
      !parse_fixed_digits(text.substr(14), 2, minute) || !parse_fixed_digits(text.substr(17), 2, second) ||
      month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return 0;
  }
  std::size_t n = 19;
  std::uint32_t nanosecond = 0;
  if (n < text.size() && text[n] == '.') {
    std::size_t digits = 0;
    std::uint32_t scale = 100000000;
    for (++n; n < text.size() && is_digit(text[n]) && digits < 9; ++n, ++digits, scale /= 10) {
      nanosecond += static_cast<std::uint32_t>(text[n] - '0') * scale;
    }
    if (digits == 0) return 0;
  }
  out = SyslogTimestamp{};
  out.year = static_cast<std::int16_t>(year);
  out.month = static_cast<std::uint8_t>(month);
  out.day = static_cast<std::uint8_t>(day);
  out.hour = static_cast<std::uint8_t>(hour);
  out.minute = static_cast<std::uint8_t>(minute);
  out.second = static_cast<std::uint8_t>(second);
  out.nanosecond = nanosecond;
  return n;
}

// A Docker json-file record, `{"log":"<line>\n","stream":"stdout","time":"..."}`: the line,
// without its newline. JSON escapes inside are left as they are: no format of the table holds a
// character JSON escapes, except in free text.
std::string_view unwrap_docker_json(std::string_view content) {
  constexpr std::string_view kOpen = "{\"log\":\"";
  if (content.substr(0, kOpen.size()) != kOpen) return content;
  std::string_view rest = content.substr(kOpen.size());
  std::size_t i = 0;
  for (; i < rest.size(); ++i) {
    if (rest[i] == '\\') {
      ++i;
    } else if (rest[i] == '"') {
      break;
    }
  }
  if (i >= rest.size()) return content;
  std::string_view line = rest.substr(0, i);
  for (std::string_view end : {"\\n", "\\r"}) {
    if (line.size() >= 2 && line.substr(line.size() - 2) == end) line.remove_suffix(2);
  }
  return line;
}

// `DEBUG: `, `ERROR: ` (7 bytes) or `INFO: ` (6) at the start of `text`; 0 for anything else.
// The fixed shape is checked first: most lines that get here are some other program's.
std::size_t level_length(std::string_view text) {
  if (text.size() > 7 && text[5] == ':' && text[6] == ' ' &&
      (text.substr(0, 5) == "DEBUG" || text.substr(0, 5) == "ERROR")) {
    return 7;
  }
  if (text.size() > 6 && text[4] == ':' && text.substr(0, 6) == "INFO: ") return 6;
  return 0;
}

}  // namespace

UserspaceLine split_userspace_line(std::string_view content) {
  UserspaceLine line;
  std::string_view text = content;
  if (!text.empty() && text.front() == '{') text = unwrap_docker_json(text);
  std::size_t level = level_length(text);
  if (level == 0) {
    // rsyslog forwards a message it received as RFC 5424 with the tag `wireguard-go[123]` and
    // no colon, which the framing leaves in front: that token before the level is skipped. The
    // program's name is checked first, so that other programs' lines pay one byte compare.
    constexpr std::string_view kPrograms[] = {"wireguard-go[", "amneziawg-go["};
    if (text.empty() || (text.front() != 'w' && text.front() != 'a')) return line;
    bool tagged = false;
    for (std::string_view program : kPrograms) tagged = tagged || text.substr(0, program.size()) == program;
    auto end = text.find("] ");
    if (!tagged || end == std::string_view::npos) return line;
    text.remove_prefix(end + 2);
    level = level_length(text);
    if (level == 0) return line;
  }
  text.remove_prefix(level);
  if (text.empty() || text.front() != '(') return line;
  auto close = text.find(") ");
  if (close == std::string_view::npos) return line;
  std::string_view ifname = text.substr(1, close - 1);
  text.remove_prefix(close + 2);
  SyslogTimestamp time;
  std::size_t n = parse_go_time(text, time);
  if (n == 0 || n >= text.size() || text[n] != ' ') return line;
  text.remove_prefix(n + 1);

  bool valid_name = !ifname.empty() && ifname.size() <= kMaxInterfaceName;
  for (char c : ifname) {
    const auto b = static_cast<unsigned char>(c);
    valid_name = valid_name && b > ' ' && b != '/' && b != 0x7f && b < 0x80;
  }
  if (!valid_name) {
    line.kind = UserspaceLine::Kind::malformed;
    line.reason = MalformedReason::bad_interface;
    return line;
  }
  if (!is_valid_utf8(text)) {
    line.kind = UserspaceLine::Kind::malformed;
    line.reason = MalformedReason::invalid_utf8;
    return line;
  }
  line.kind = UserspaceLine::Kind::userspace;
  line.interface = ifname;
  line.time = time;
  line.body = text;
  return line;
}

std::span<const UserspaceFormat> userspace_event_formats() { return kFormats; }

UserspaceMatch match_userspace_body(std::string_view body, Event& event) {
  Capture captures[4];
  std::size_t count = 0;
  for (const UserspaceFormat& row : kFormats) {
    // The first byte rules out nearly every row before any work.
    const char first = row.format.front() == '%' ? 'p' : row.format.front();  // %p: `peer(`
    if (body.empty() || first != body.front()) continue;
    if (!match_shape(row.format, body, captures, count)) continue;
    if (row.scope == UserspaceScope::ignored) return UserspaceMatch::ignored;
    if (!assign(row, captures, count, event)) return UserspaceMatch::malformed;
    event.kind = row.kind;
    event.completes_handshake = row.completes_handshake;
    return UserspaceMatch::event;
  }
  return UserspaceMatch::unknown;
}

}  // namespace detail
}  // namespace wgevents
