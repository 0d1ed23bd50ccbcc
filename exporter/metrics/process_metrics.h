// The standard process_* metrics every official Prometheus client library exports, read from
// /proc/self at the time of the scrape (Linux only, like the exporter).
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

namespace wgevents {

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds. A value that cannot be read
// is left out rather than reported as 0.
std::vector<prometheus::MetricFamily> collect_process_metrics();

}  // namespace wgevents
