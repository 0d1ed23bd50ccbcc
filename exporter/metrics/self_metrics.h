// The exporter's reports on itself (lines_total{result}, messages and bytes per transport,
// drops, rate-limit losses, ...), kept in a prometheus-cpp Registry, plus the standard
// process_* metrics read from /proc at scrape time.
//
// The counts the hot path touches (every message) are plain integers here; a scrape moves what
// they gained since the last scrape into the registry's counters, so counting a message is an
// add with no atomics and no label hashing.
// Not thread-safe beyond what prometheus-cpp's atomics give: used on the io_context thread.
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "inputs/message.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace wgevents {

// What became of a message: the `result` label of lines_total. kLineResults is the one list;
// the enum names its rows, in the same order.
enum class LineResult : std::uint8_t { event, ignored, unknown, malformed, rejected };

struct LineResultInfo {
  LineResult result;
  std::string_view name;  // the label value
};
inline constexpr LineResultInfo kLineResults[] = {
    {LineResult::event, "event"},          // a WireGuard event (events.md)
    {LineResult::ignored, "ignored"},      // not a WireGuard line, or the module's banner
    {LineResult::unknown, "unknown"},      // `wireguard: ` in no format we know
    {LineResult::malformed, "malformed"},  // broken framing or a field out of range
    {LineResult::rejected, "rejected"},    // sender not allowed, or over a cap
};
inline constexpr std::size_t kLineResultCount = std::size(kLineResults);

constexpr bool line_result_rows_in_order() {
  for (std::size_t i = 0; i < kLineResultCount; ++i) {
    if (static_cast<std::size_t>(kLineResults[i].result) != i) return false;
  }
  return true;
}
static_assert(line_result_rows_in_order(), "kLineResults: one row per LineResult, in enum order");

constexpr std::string_view line_result_name(LineResult result) {
  return kLineResults[static_cast<std::size_t>(result)].name;
}

class SelfMetrics {
 public:
  SelfMetrics(std::string_view version, std::string_view revision);

  // Makes the per-transport series of an input that is configured (metrics.md: a transport's
  // series exist only while its input is configured). Idempotent. Counts for a transport not
  // added are kept but not shown.
  void add_transport(Transport transport);
  ~SelfMetrics();
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;

  void message_received(Transport transport, std::size_t bytes, double now) {
    const auto i = static_cast<std::size_t>(transport);
    counts_.messages[i]++;
    counts_.bytes[i] += bytes;
    counts_.last_message = now;
  }
  void line(LineResult result) { counts_.lines[static_cast<std::size_t>(result)]++; }
  void receive_drops(Transport transport, std::uint64_t count);
  void connection_refused(Transport transport);
  void ratelimit_suppressed(std::uint64_t count);
  // The state's running total; the counter follows it.
  void set_peers_evicted(std::uint64_t total);
  void set_hosts(std::size_t hosts);

  std::uint64_t lines(LineResult result) const { return counts_.lines[static_cast<std::size_t>(result)]; }
  std::uint64_t messages(Transport transport) const {
    return counts_.messages[static_cast<std::size_t>(transport)];
  }

  // The text exposition of every self and process metric.
  std::string render() const;

 private:
  struct Counts {
    std::array<std::uint64_t, kLineResultCount> lines{};
    std::array<std::uint64_t, kTransportCount> messages{};
    std::array<std::uint64_t, kTransportCount> bytes{};
    double last_message = 0;
  };
  // Moves what counts_ gained since the last call into the registry's metrics.
  void sync() const;

  Counts counts_;            // the hot path's counts
  mutable Counts exported_;  // what the registry holds of them
  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, kLineResultCount> lines_{};
  std::array<prometheus::Counter*, kTransportCount> messages_{};
  std::array<prometheus::Counter*, kTransportCount> bytes_{};
  std::array<prometheus::Counter*, kTransportCount> drops_{};
  // Drops reported before the transport's series existed (an input reading what was already
  // there while it starts, as the kmsg input does with --kmsg.from-start); add_transport adds them.
  std::array<std::uint64_t, kTransportCount> drops_before_series_{};
  std::array<prometheus::Counter*, kTransportCount> refused_{};
  prometheus::Counter* suppressed_ = nullptr;
  prometheus::Counter* evicted_ = nullptr;
  prometheus::Family<prometheus::Counter>* messages_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* bytes_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* drops_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* refused_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* last_message_family_ = nullptr;
  mutable prometheus::Gauge* last_message_ = nullptr;  // made by sync() at the first message: absent until then
  prometheus::Gauge* hosts_ = nullptr;
  std::uint64_t evicted_total_ = 0;
};

}  // namespace wgevents
