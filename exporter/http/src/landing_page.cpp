#include "wgevents/http/landing_page.h"

namespace wgevents {
namespace {

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

std::string landing_page_html(std::string_view telemetry_path, std::string_view version,
                              const HostsSending& hosts) {
  std::string page =
      "<!DOCTYPE html>\n"
      "<html lang=\"en\">\n"
      "<head><meta charset=\"utf-8\"><title>WireGuard Events Exporter</title></head>\n"
      "<body>\n"
      "<h1>WireGuard Events Exporter</h1>\n"
      "<p>Version ";
  append_escaped(page, version);
  page += "</p>\n<p>Hosts sending: <span id=\"hosts\">";
  page += std::to_string(hosts.count);
  page += "</span></p>\n";
  if (!hosts.names.empty()) {
    page += "<ul id=\"host-names\">\n";
    for (const auto& name : hosts.names) {
      page += "<li>";
      append_escaped(page, name);
      page += "</li>\n";
    }
    page += "</ul>\n";
  }
  page += "<ul>\n<li><a href=\"";
  append_escaped(page, telemetry_path);
  page += "\">Metrics</a></li>\n";
  page +=
      "<li><a href=\"/-/healthy\">Health</a></li>\n"
      "<li><a href=\"/-/ready\">Readiness</a></li>\n"
      "</ul>\n"
      "</body>\n"
      "</html>\n";
  return page;
}

}  // namespace wgevents
