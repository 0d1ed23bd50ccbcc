#include "event_table.h"

#include <re2/re2.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "address.h"
#include "text.h"

namespace wgevents {
namespace {

using F = EventField;
using K = EventKind;

constexpr EventFormat kFormats[] = {
    // Events that name a peer.
    {K::handshake_initiation_received, "Receiving handshake initiation from peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::handshake_response_received, "Receiving handshake response from peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::keepalive_received, "Receiving keepalive packet from peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::unallowed_src_ip, "Packet has unallowed src IP (%pISc) from peer %llu (%pISpfsc)", {F::address, F::peer, F::endpoint}, 3},
    {K::invalid_packet_type, "Packet is neither ipv4 nor ipv6 from peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::invalid_packet_size, "Packet has incorrect size from peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::handshake_initiation_sent, "Sending handshake initiation to peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::handshake_response_sent, "Sending handshake response to peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::keepalive_sent, "Sending keepalive packet to peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    {K::handshake_gave_up, "Handshake for peer %llu (%pISpfsc) did not complete after %d attempts, giving up", {F::peer, F::endpoint, F::attempts}, 3},
    {K::handshake_retry, "Handshake for peer %llu (%pISpfsc) did not complete after %d seconds, retrying (try %d)", {F::peer, F::endpoint, F::seconds, F::try_number}, 4},
    {K::handshake_stale_retry, "Retrying handshake with peer %llu (%pISpfsc) because we stopped hearing back after %d seconds", {F::peer, F::endpoint, F::seconds}, 3},
    {K::keys_zeroed, "Zeroing out all keys for peer %llu (%pISpfsc), since we haven't received a new one in %d seconds", {F::peer, F::endpoint, F::seconds}, 3},
    {K::peer_created, "Peer %llu created", {F::peer}, 1},
    {K::peer_destroyed, "Peer %llu (%pISpfsc) destroyed", {F::peer, F::endpoint}, 2},
    {K::no_endpoint, "No valid endpoint has been configured or discovered for peer %llu", {F::peer}, 1},
    {K::keypair_created, "Keypair %llu created for peer %llu", {F::keypair_id, F::peer}, 2},
    {K::keypair_destroyed, "Keypair %llu destroyed for peer %llu", {F::keypair_id, F::peer}, 2},
    // Modules before 5.8 / compat v1.0.20200712: the GRO layer dropped a decrypted packet.
    {K::packet_delivery_failed, "Failed to give packet to userspace from peer %llu (%pISpfsc)", {F::peer, F::endpoint}, 2},
    // Events that name no peer.
    {K::cookie_decrypt_failed, "Could not decrypt invalid cookie response", {}, 0},
    {K::cookie_response_received, "Receiving cookie response from %pISpfsc", {F::endpoint}, 1},
    {K::invalid_mac, "Invalid MAC of handshake, dropping packet from %pISpfsc", {F::endpoint}, 1},
    {K::invalid_handshake_initiation, "Invalid handshake initiation from %pISpfsc", {F::endpoint}, 1},
    {K::invalid_handshake_response, "Invalid handshake response from %pISpfsc", {F::endpoint}, 1},
    {K::invalid_nonce, "Packet has invalid nonce %llu (max %llu)", {F::nonce, F::nonce_max}, 2},
    {K::handshake_dropped, "Dropping handshake packet from %pISpfsc", {F::endpoint}, 1},
    {K::cookie_response_sent, "Sending cookie response for denied handshake message for %pISpfsc", {F::endpoint}, 1},
    {K::invalid_ip_packet, "Invalid IP packet", {}, 0},
    {K::no_allowed_ips_match, "No peer has allowed IPs matching %pI4", {F::address}, 1},
    {K::no_allowed_ips_match, "No peer has allowed IPs matching %pI6", {F::address}, 1},
    {K::no_route, "No route to %pISpfsc, error %d", {F::endpoint, F::error}, 2},
    {K::interface_created, "Interface created", {}, 0},
    {K::interface_destroyed, "Interface destroyed", {}, 0},
    {K::namespace_exiting, "Creating namespace exiting", {}, 0},
    // Older modules: the old wording of `Interface destroyed` (compat before v1.0.20200623),
    // routing loops (before v1.0.20200506), packets of unknown type (before v0.0.20200318).
    {K::interface_destroyed, "Interface deleted", {}, 0},
    {K::routing_loop_avoided, "Avoiding routing loop to %pISpfsc", {F::endpoint}, 1},
    {K::invalid_packet, "Invalid packet from %pISpfsc", {F::endpoint}, 1},
};

// Every event the kernel module prints has a format here, and no format names a kind that only
// userspace implementations print (userspace.cpp) or the kernel's rate-limit report
// (match_ratelimit()).
constexpr bool formats_cover_events() {
  for (const auto& event : kEvents) {
    bool found = false;
    for (const auto& format : kFormats) found = found || format.kind == event.kind;
    if (found != (event.printed_by == PrintedBy::kernel_module)) return false;
  }
  return true;
}
static_assert(formats_cover_events(), "kFormats: at least one format for each event of kEvents the kernel module prints");

// The RE2 text of each conversion. Shapes only: the typed parsers (address.h, text.h) decide
// whether a value is in range, so that a broken value is told apart from a different format.
// Each alternative starts with its own byte, which keeps every pattern one-pass: RE2 then
// extracts captures without backtracking and without allocating.
struct Conversion {
  std::string_view spec;
  std::string_view pattern;
};
constexpr Conversion kConversions[] = {
    {"%pISpfsc", R"((\d[\d.]*:\d+|\[[0-9A-Fa-f:.]*\]:\d+/\d+%\d+|\((?:einval|invalid address)\)))"},
    {"%pISc", R"(([0-9A-Fa-f:.]+))"},
    {"%pI4", R"((\d[\d.]*))"},
    {"%pI6", R"(([0-9A-Fa-f:]+))"},
    {"%llu", R"((\d+))"},
    {"%d", R"((-?\d+))"},
};

// The literal text of a format up to its first conversion.
std::string_view literal_prefix(std::string_view format) {
  return format.substr(0, std::min(format.find('%'), format.size()));
}

// Turns the rest of a format (after its literal prefix) into an anchored RE2 pattern: strict
// conversions, or `(.*)` for each, which tells "a known format with a broken argument" from
// "another format".
std::string pattern_of(std::string_view rest, bool strict) {
  std::string out;
  while (!rest.empty()) {
    auto percent = rest.find('%');
    out += RE2::QuoteMeta(rest.substr(0, percent));
    if (percent == std::string_view::npos) break;
    rest.remove_prefix(percent);
    bool found = false;
    for (const auto& c : kConversions) {
      if (rest.substr(0, c.spec.size()) == c.spec) {
        out += strict ? std::string(c.pattern) : std::string("(.*)");
        rest.remove_prefix(c.spec.size());
        found = true;
        break;
      }
    }
    if (!found) throw std::logic_error("event table: unknown conversion in format");
  }
  return out;
}

RE2::Options table_options() {
  RE2::Options options(RE2::Latin1);  // bodies are checked to be UTF-8 before; patterns are ASCII
  options.set_log_errors(false);
  return options;
}

bool assign(EventField field, std::string_view text, Event& event) {
  switch (field) {
    case F::peer:
      event.has_peer = true;
      return detail::parse_unsigned(text, event.peer);
    case F::keypair_id: return detail::parse_unsigned(text, event.keypair_id);
    case F::endpoint: return detail::parse_endpoint(text, event.endpoint);
    case F::address: return detail::parse_ip_address(text, event.address);
    case F::attempts: return detail::parse_signed(text, event.attempts);
    case F::seconds: return detail::parse_signed(text, event.seconds);
    case F::try_number: return detail::parse_signed(text, event.try_number);
    case F::error: return detail::parse_signed(text, event.error);
    case F::nonce: return detail::parse_unsigned(text, event.nonce);
    case F::nonce_max: return detail::parse_unsigned(text, event.nonce_max);
  }
  return false;
}

}  // namespace

std::span<const EventFormat> kernel_event_formats() { return kFormats; }

struct EventTable::Row {
  const EventFormat* format;
  std::string_view prefix;
  std::unique_ptr<RE2> strict;  // null for a format without conversions
  std::unique_ptr<RE2> loose;
};

EventTable::EventTable() {
  rows_.reserve(std::size(kFormats));
  for (const auto& f : kFormats) {
    Row row{&f, literal_prefix(f.format), nullptr, nullptr};
    std::string_view rest = f.format.substr(row.prefix.size());
    if (!rest.empty()) {
      row.strict = std::make_unique<RE2>(pattern_of(rest, true), table_options());
      row.loose = std::make_unique<RE2>(pattern_of(rest, false), table_options());
      if (!row.strict->ok() || !row.loose->ok() ||
          row.strict->NumberOfCapturingGroups() != static_cast<int>(f.field_count)) {
        throw std::logic_error("event table: bad pattern for " + std::string(f.format));
      }
    }
    rows_.push_back(std::move(row));
  }
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    auto first = static_cast<unsigned char>(rows_[i].prefix.front());
    rows_by_first_byte_[first].push_back(static_cast<std::uint8_t>(i));
  }
  ratelimit_ = std::make_unique<RE2>(R"((\d+) callbacks suppressed)", table_options());
}

EventTable::~EventTable() = default;

EventTable::Match EventTable::match(std::string_view body, Event& event) const {
  if (body.empty()) return Match::unknown;
  const auto& candidates = rows_by_first_byte_[static_cast<unsigned char>(body.front())];
  bool known_prefix = false;
  for (std::uint8_t index : candidates) {
    const Row& row = rows_[index];
    if (body.substr(0, row.prefix.size()) != row.prefix) continue;
    std::string_view rest = body.substr(row.prefix.size());
    if (!row.strict) {
      if (!rest.empty()) continue;  // literal formats match whole
      event.kind = row.format->kind;
      return Match::event;
    }
    known_prefix = true;
    re2::StringPiece captures[5];
    const int n = static_cast<int>(row.format->field_count);
    if (!row.strict->Match(re2::StringPiece(rest.data(), rest.size()), 0, rest.size(),
                           RE2::ANCHOR_BOTH, captures, n + 1)) {
      continue;
    }
    event.kind = row.format->kind;
    for (int i = 0; i < n; ++i) {
      std::string_view text(captures[i + 1].data(), captures[i + 1].size());
      if (!assign(row.format->fields[i], text, event)) return Match::malformed;
    }
    return Match::event;
  }
  if (!known_prefix) return Match::unknown;
  // A known prefix whose strict pattern failed: the same format with a broken argument, or
  // some other message that happens to start the same way.
  for (std::uint8_t index : candidates) {
    const Row& row = rows_[index];
    if (!row.loose || body.substr(0, row.prefix.size()) != row.prefix) continue;
    std::string_view rest = body.substr(row.prefix.size());
    if (RE2::FullMatch(re2::StringPiece(rest.data(), rest.size()), *row.loose)) {
      return Match::malformed;
    }
  }
  return Match::unknown;
}

EventTable::Match EventTable::match_ratelimit(std::string_view body, Event& event) const {
  re2::StringPiece captures[2];
  if (!ratelimit_->Match(re2::StringPiece(body.data(), body.size()), 0, body.size(),
                         RE2::ANCHOR_BOTH, captures, 2)) {
    return Match::unknown;
  }
  event.kind = EventKind::kernel_ratelimit_suppressed;
  std::string_view count(captures[1].data(), captures[1].size());
  return detail::parse_unsigned(count, event.suppressed) ? Match::event : Match::malformed;
}

}  // namespace wgevents
