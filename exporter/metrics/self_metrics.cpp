#include "self_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <string>

#include "catalog.h"
#include "process_metrics.h"

namespace wgevents {
namespace {

constexpr std::array<LineResult, kLineResultCount> kLineResults{
    LineResult::event, LineResult::ignored, LineResult::unknown, LineResult::malformed,
    LineResult::rejected};
constexpr std::array<Transport, kTransportCount> kTransports{
    Transport::udp, Transport::tcp, Transport::unix_socket, Transport::kmsg, Transport::file};

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& registry,
                                                       const metric::Info& info) {
  return prometheus::BuildCounter().Name(std::string(info.name)).Help(std::string(info.help)).Register(registry);
}

prometheus::Family<prometheus::Gauge>& gauge_family(prometheus::Registry& registry,
                                                   const metric::Info& info) {
  return prometheus::BuildGauge().Name(std::string(info.name)).Help(std::string(info.help)).Register(registry);
}

}  // namespace

std::string_view line_result_name(LineResult result) {
  switch (result) {
    case LineResult::event: return "event";
    case LineResult::ignored: return "ignored";
    case LineResult::unknown: return "unknown";
    case LineResult::malformed: return "malformed";
    case LineResult::rejected: return "rejected";
  }
  return "?";
}

SelfMetrics::SelfMetrics(std::string_view version, std::string_view revision)
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto& registry = *registry_;
  gauge_family(registry, metric::kBuildInfo)
      .Add({{"version", std::string(version)}, {"revision", std::string(revision)}})
      .Set(1);

  auto& lines = counter_family(registry, metric::kLines);
  for (auto r : kLineResults) {
    lines_[static_cast<std::size_t>(r)] = &lines.Add({{"result", std::string(line_result_name(r))}});
  }
  auto& messages = counter_family(registry, metric::kMessagesReceived);
  auto& bytes = counter_family(registry, metric::kReceivedBytes);
  auto& drops = counter_family(registry, metric::kReceiveDrops);
  auto& refused = counter_family(registry, metric::kConnectionsRefused);
  for (auto t : kTransports) {
    const std::string name(transport_name(t));
    const auto i = static_cast<std::size_t>(t);
    messages_[i] = &messages.Add({{"transport", name}});
    bytes_[i] = &bytes.Add({{"transport", name}});
    drops_[i] = &drops.Add({{"transport", name}});
    if (t == Transport::tcp) refused_[i] = &refused.Add({{"transport", name}});
  }
  suppressed_ = &counter_family(registry, metric::kRatelimitSuppressed).Add({});
  evicted_ = &counter_family(registry, metric::kPeersEvicted).Add({});
  last_message_ = &gauge_family(registry, metric::kLastMessageTimestamp).Add({});
  hosts_ = &gauge_family(registry, metric::kHosts).Add({});
  hosts_->Set(1);
}

SelfMetrics::~SelfMetrics() = default;

void SelfMetrics::receive_drops(Transport transport, std::uint64_t count) {
  drops_[static_cast<std::size_t>(transport)]->Increment(static_cast<double>(count));
}

void SelfMetrics::connection_refused(Transport transport) {
  if (auto* c = refused_[static_cast<std::size_t>(transport)]) c->Increment();
}

void SelfMetrics::ratelimit_suppressed(std::uint64_t count) {
  suppressed_->Increment(static_cast<double>(count));
}

void SelfMetrics::set_peers_evicted(std::uint64_t total) {
  if (total > evicted_total_) evicted_->Increment(static_cast<double>(total - evicted_total_));
  evicted_total_ = total;
}

void SelfMetrics::set_hosts(std::size_t hosts) { hosts_->Set(static_cast<double>(hosts)); }

void SelfMetrics::sync() const {
  for (std::size_t i = 0; i < kLineResultCount; ++i) {
    lines_[i]->Increment(static_cast<double>(counts_.lines[i] - exported_.lines[i]));
  }
  for (std::size_t i = 0; i < kTransportCount; ++i) {
    messages_[i]->Increment(static_cast<double>(counts_.messages[i] - exported_.messages[i]));
    bytes_[i]->Increment(static_cast<double>(counts_.bytes[i] - exported_.bytes[i]));
  }
  if (counts_.last_message != exported_.last_message) last_message_->Set(counts_.last_message);
  exported_ = counts_;
}

std::string SelfMetrics::render() const {
  sync();
  auto families = registry_->Collect();
  auto process = collect_process_metrics();
  families.insert(families.end(), process.begin(), process.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace wgevents
