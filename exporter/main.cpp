// wireguard_events_exporter: WireGuard kernel events from syslog (or a saved log) to Prometheus.
//
// Parses the flags and hands them to Exporter (exporter.h), which owns and runs everything else.
#include <csignal>
#include <cstdio>
#include <exception>

#include "exporter.h"
#include "log/log.h"
#include "wgevents/config/config.h"

#ifndef WGEVENTS_VERSION
#define WGEVENTS_VERSION "0.0.0"
#endif
#ifndef WGEVENTS_REVISION
#define WGEVENTS_REVISION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace wgevents;
  std::signal(SIGPIPE, SIG_IGN);  // a scraper that goes away is an error code, not a death
  CommandLineOutcome outcome = parse_command_line(argc, argv, WGEVENTS_VERSION);
  if (outcome.action == CommandLineOutcome::Action::exit) {
    std::fputs(outcome.output.c_str(), stdout);
    if (!outcome.error.empty()) std::fprintf(stderr, "%s\n", outcome.error.c_str());
    return outcome.exit_code;
  }
  Log log(outcome.config.log_level, outcome.config.log_format);
  log.info("starting wireguard_events_exporter", "version={} revision={}", LogValue{WGEVENTS_VERSION},
           LogValue{WGEVENTS_REVISION});
  if (!has_input(outcome.config)) {
    log.warn("no input configured: only the exporter's own metrics are served",
             "hint=\"set --syslog.udp-listen-address, --syslog.tcp-listen-address, --syslog.tls-listen-address, "
             "--kmsg or --replay\"");
  }
  try {
    Exporter exporter(std::move(outcome.config), log, system_clock(), BuildVersion{WGEVENTS_VERSION, WGEVENTS_REVISION});
    return exporter.run();
  } catch (const std::exception& e) {
    // Only a mistake in the program or memory running out gets here (errors.h).
    log.error("fatal", "err={}", LogValue{e.what()});
    return 1;
  }
}
