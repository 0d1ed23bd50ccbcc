// The HTML page served at "/": names the exporter and links to the metrics and health endpoints,
// so someone pointing a browser at the port finds the way.
#pragma once

#include <string>
#include <string_view>

namespace wgevents {

// `telemetry_path` and `version` are HTML-escaped.
std::string landing_page_html(std::string_view telemetry_path, std::string_view version);

}  // namespace wgevents
