#include "pipeline.h"

#include <arpa/inet.h>
#include <unistd.h>


namespace wgevents {

Pipeline::Pipeline(const Parser& parser, WireguardState& state, SelfMetrics& self,
                   std::vector<Cidr> allowed_sources, bool host_label, const Clock& clock)
    : clock_(clock), parser_(parser), state_(state), self_(self), allowed_sources_(std::move(allowed_sources)),
      host_label_(host_label) {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) local_host_ = name;
  if (local_host_.empty()) local_host_ = "localhost";
  local_utc_offset_ = clock_.utc_offset();
  current_year_ = clock_.current_year();
  boot_time_ = clock_.now() - clock_.since_boot();
  self_.set_hosts(hosts_sending());  // fleet mode starts at 0
}

bool Pipeline::allowed(const MessageSource& source) const {
  if (allowed_sources_.empty() || !source.address.known()) return true;  // files and kmsg
  for (const auto& cidr : allowed_sources_) {
    if (cidr.contains(source.address)) return true;
  }
  return false;
}

std::optional<std::string_view> Pipeline::host_of(const ParseResult& result, const MessageSource& source) {
  if (!host_label_) return std::string_view{};
  std::string_view host = result.envelope.hostname;
  if (host.empty() && source.address.known()) {
    const int af = source.address.family == IpAddress::Family::ipv4 ? AF_INET : AF_INET6;
    if (inet_ntop(af, source.address.bytes.data(), source_text_, sizeof source_text_) != nullptr) host = source_text_;
  }
  if (host.empty()) host = local_host_;
  // HOSTNAME is printable US-ASCII of at most 255 bytes (RFC 5424); it becomes a label value.
  if (host.size() > 255) return std::nullopt;
  for (char c : host) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return host;
}

double Pipeline::event_time(Transport transport, const ParseResult& result, double now) const {
  if (transport == Transport::kmsg && result.envelope.framing == Framing::kmsg) {
    // The kernel stamped the record in microseconds since boot (CLOCK_MONOTONIC's base):
    // records read from the ring buffer's past get the time they were logged.
    const double boot = now - clock_.since_boot();
    const double logged = boot + static_cast<double>(result.envelope.kmsg_usec) / 1e6;
    return logged < now ? logged : now;
  }
  if (transport != Transport::file) return now;
  const SyslogTimestamp& ts = result.envelope.timestamp;
  auto t = to_unix_seconds(ts, current_year_, local_utc_offset_);
  if (!t) return now;
  // A yearless December line replayed in January belongs to the year before.
  if (ts.year == 0 && *t > now + 86400) t = to_unix_seconds(ts, current_year_ - 1, local_utc_offset_);
  return t.value_or(now);
}

namespace {
constexpr bool times_handshake(const Event& event) {
  return event.kind == EventKind::handshake_initiation_sent || event.kind == EventKind::handshake_response_received ||
         event.kind == EventKind::keypair_created || event.completes_handshake;
}
}  // namespace

double Pipeline::duration_stamp(Transport transport, const ParseResult& result) const {
  if (result.envelope.framing == Framing::kmsg) {
    return boot_time_ + static_cast<double>(result.envelope.kmsg_usec) / 1e6;
  }
  if (result.envelope.has_printk_time) {
    return boot_time_ + static_cast<double>(result.envelope.printk_usec) / 1e6;
  }
  const SyslogTimestamp& ts = result.envelope.timestamp;
  if (ts.present() && ts.fraction_digits > 0) {
    if (auto t = to_unix_seconds(ts, current_year_, local_utc_offset_)) return *t;
  }
  return transport == Transport::file ? kNoStamp : clock_.now();
}

void Pipeline::on_message(Transport transport, std::string_view message, const MessageSource& source) {
  const double now = clock_.receipt_time();
  self_.message_received(transport, message.size(), now);
  if (!allowed(source)) {
    self_.line(LineResult::rejected);
    return;
  }
  const ParseResult result = parser_.parse(message);
  switch (result.status) {
    case ParseStatus::ignored: self_.line(LineResult::ignored); return;
    case ParseStatus::unknown: self_.line(LineResult::unknown); return;
    case ParseStatus::malformed: self_.line(LineResult::malformed); return;
    case ParseStatus::event: break;
  }
  if (result.event.kind == EventKind::kernel_ratelimit_suppressed) {
    self_.ratelimit_suppressed(result.event.suppressed);
    self_.line(LineResult::event);
    return;
  }
  const auto host = host_of(result, source);
  if (!host) {
    self_.line(LineResult::malformed);
    return;
  }
  const double stamp = times_handshake(result.event) ? duration_stamp(transport, result) : kNoStamp;
  if (state_.apply(result.event, event_time(transport, result, now), *host, stamp) ==
      WireguardState::Outcome::rejected) {
    self_.line(LineResult::rejected);
    return;
  }
  self_.line(LineResult::event);
  self_.set_peers_evicted(state_.peers_evicted());
  if (host_label_) self_.set_hosts(hosts_sending());
}

void Pipeline::on_malformed_frame(Transport transport, std::size_t bytes, const MessageSource& source) {
  self_.message_received(transport, bytes, clock_.receipt_time());
  self_.line(allowed(source) ? LineResult::malformed : LineResult::rejected);
}

void Pipeline::on_receive_drops(Transport transport, std::uint64_t count) {
  self_.receive_drops(transport, count);
}

void Pipeline::on_connection_refused(Transport transport) { self_.connection_refused(transport); }

}  // namespace wgevents
