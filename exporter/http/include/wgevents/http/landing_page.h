// The HTML page served at "/": names the exporter, says how many hosts are sending, and links to
// the metrics and health endpoints, so someone pointing a browser at the port finds the way.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace wgevents {

// Who the exporter counts lines for, as of the request.
struct HostsSending {
  std::size_t count = 1;                 // the wireguard_events_exporter_hosts gauge
  std::span<const std::string> names{};  // fleet mode: their names; empty for a single host
};

// Every text given (path, version, host names) is HTML-escaped: host names come from the senders.
std::string landing_page_html(std::string_view telemetry_path, std::string_view version,
                              const HostsSending& hosts);

}  // namespace wgevents
