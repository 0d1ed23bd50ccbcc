#include "self_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <string>

#include "catalog.h"
#include "process_metrics.h"

namespace wgevents {
namespace {

// Families take their name and HELP from the catalog; series their label names, as below.
prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& registry,
                                                       const metric::Info& info) {
  return prometheus::BuildCounter().Name(std::string(info.name)).Help(std::string(info.help)).Register(registry);
}

prometheus::Family<prometheus::Gauge>& gauge_family(prometheus::Registry& registry,
                                                   const metric::Info& info) {
  return prometheus::BuildGauge().Name(std::string(info.name)).Help(std::string(info.help)).Register(registry);
}

}  // namespace

SelfMetrics::SelfMetrics(std::string_view version, std::string_view revision)
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto& registry = *registry_;
  gauge_family(registry, metric::kBuildInfo)
      .Add({{std::string(metric::kBuildInfo.labels[0]), std::string(version)},
            {std::string(metric::kBuildInfo.labels[1]), std::string(revision)}})
      .Set(1);

  auto& lines = counter_family(registry, metric::kLines);
  for (const auto& row : kLineResults) {
    lines_[static_cast<std::size_t>(row.result)] = &lines.Add({{std::string(metric::kLines.labels[0]), std::string(row.name)}});
  }
  messages_family_ = &counter_family(registry, metric::kMessagesReceived);
  bytes_family_ = &counter_family(registry, metric::kReceivedBytes);
  drops_family_ = &counter_family(registry, metric::kReceiveDrops);
  refused_family_ = &counter_family(registry, metric::kConnectionsRefused);
  suppressed_ = &counter_family(registry, metric::kRatelimitSuppressed).Add({});
  evicted_ = &counter_family(registry, metric::kPeersEvicted).Add({});
  last_message_family_ = &gauge_family(registry, metric::kLastMessageTimestamp);
  hosts_ = &gauge_family(registry, metric::kHosts).Add({});
  hosts_->Set(1);
}

void SelfMetrics::add_transport(Transport transport) {
  const auto i = static_cast<std::size_t>(transport);
  if (messages_[i] != nullptr) return;
  const std::map<std::string, std::string> labels{
      {std::string(metric::kMessagesReceived.labels[0]), std::string(transport_name(transport))}};
  messages_[i] = &messages_family_->Add(labels);
  bytes_[i] = &bytes_family_->Add(labels);
  drops_[i] = &drops_family_->Add(labels);
  // Only a connection can be refused.
  if (transport == Transport::tcp || transport == Transport::tls) refused_[i] = &refused_family_->Add(labels);
  // What was counted before the series existed.
  messages_[i]->Increment(static_cast<double>(exported_.messages[i]));
  bytes_[i]->Increment(static_cast<double>(exported_.bytes[i]));
  drops_[i]->Increment(static_cast<double>(drops_before_series_[i]));
}

SelfMetrics::~SelfMetrics() = default;

void SelfMetrics::receive_drops(Transport transport, std::uint64_t count) {
  const auto i = static_cast<std::size_t>(transport);
  if (auto* c = drops_[i]) {
    c->Increment(static_cast<double>(count));
  } else {
    drops_before_series_[i] += count;
  }
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
    if (messages_[i] == nullptr) continue;
    messages_[i]->Increment(static_cast<double>(counts_.messages[i] - exported_.messages[i]));
    bytes_[i]->Increment(static_cast<double>(counts_.bytes[i] - exported_.bytes[i]));
  }
  if (counts_.last_message != exported_.last_message) {
    // Absent until the first message: a 0 would read as "1970" on a dashboard.
    if (last_message_ == nullptr) last_message_ = &last_message_family_->Add({});
    last_message_->Set(counts_.last_message);
  }
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
