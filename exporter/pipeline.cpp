#include "pipeline.h"

#include <ctime>

namespace wgevents {

double unix_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

Pipeline::Pipeline(const Parser& parser, WireguardState& state, SelfMetrics& self,
                   std::vector<Cidr> allowed_sources)
    : parser_(parser), state_(state), self_(self), allowed_sources_(std::move(allowed_sources)) {
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  local_utc_offset_ = local.tm_gmtoff;
  current_year_ = local.tm_year + 1900;
}

bool Pipeline::allowed(const MessageSource& source) const {
  if (allowed_sources_.empty() || !source.address.known()) return true;  // files and kmsg
  for (const auto& cidr : allowed_sources_) {
    if (cidr.contains(source.address)) return true;
  }
  return false;
}

double Pipeline::event_time(Transport transport, const ParseResult& result, double now) const {
  if (transport == Transport::kmsg && result.envelope.framing == Framing::kmsg) {
    // The kernel stamped the record in microseconds since boot (CLOCK_MONOTONIC's base):
    // records read from the ring buffer's past get the time they were logged.
    timespec mono{};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    const double boot = now - (static_cast<double>(mono.tv_sec) + mono.tv_nsec / 1e9);
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

void Pipeline::on_message(Transport transport, std::string_view message, const MessageSource& source) {
  const double now = unix_now();
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
  if (state_.apply(result.event, event_time(transport, result, now)) == WireguardState::Outcome::rejected) {
    self_.line(LineResult::rejected);
    return;
  }
  self_.line(LineResult::event);
  self_.set_peers_evicted(state_.peers_evicted());
}

void Pipeline::on_malformed_frame(Transport transport, std::size_t bytes, const MessageSource& source) {
  self_.message_received(transport, bytes, unix_now());
  self_.line(allowed(source) ? LineResult::malformed : LineResult::rejected);
}

void Pipeline::on_receive_drops(Transport transport, std::uint64_t count) {
  self_.receive_drops(transport, count);
}

void Pipeline::on_connection_refused(Transport transport) { self_.connection_refused(transport); }

}  // namespace wgevents
