// The daemon: one owner for everything that runs, built from the command line's Config.
//
//   inputs (UDP, TCP, TLS, kmsg, replay) --MessageSink--> Pipeline --> Parser, WireguardState,
//   SelfMetrics --> MetricsPage (per scrape) --> HttpServer
//
// Exporter owns all of them, the io_context they run on and the signal handlers; main() only
// parses flags and calls run(). Adding a part (docs/architecture.md) is a member here and a
// step in start(): every input is an Input (inputs/input.h), started in order, with the IPv4
// fallback for `:port`, and stopped by one loop; its transport's series appear with it
// (SelfMetrics::add_transport).
//
// Usage, as main() does:
//   Exporter exporter(config, log);
//   return exporter.run();              // until SIGTERM/SIGINT; --replay --once prints and returns
// In a test, with a clock of its own and no signals:
//   Exporter exporter(config, log, fake_clock);
//   REQUIRE_FALSE(exporter.start());    // every configured input, then HTTP
//   ... exporter.io().run_for(...), exporter.scrape() ...
//   exporter.stop();                     // io().run() returns once the cancelled handlers ran
//
// Errors follow errors.h: start() returns one StartupError naming the flag.
//
// Threading: everything runs on the one thread that runs io(); call start(), stop(), reload()
// and scrape() there, or while io() is not running. Not copyable: handlers hold pointers to the
// parts (asio's `server` example is the model).
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"
#include "errors.h"
#include "identity/peer_identity.h"
#include "inputs/input.h"
#include "log/log.h"
#include "metrics/metrics_page.h"
#include "metrics/self_metrics.h"
#include "pipeline.h"
#include "state/wireguard_state.h"
#include "wgevents/config/config.h"
#include "wgevents/http/server.h"
#include "wgevents/http/web_config.h"
#include "wgevents/parser/parse.h"

namespace wgevents {

class UdpInput;
class KmsgInput;

// What build_info reports.
struct BuildVersion {
  std::string version = "0.0.0";
  std::string revision = "unknown";
};

class Exporter {
 public:
  // Builds the parser, state, metrics and pipeline; opens nothing. `log` and `clock` must outlive
  // the exporter.
  Exporter(Config config, const Log& log, const Clock& clock = system_clock(), BuildVersion build = {});
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // The whole life of the daemon: with --replay --once, replays the file and prints the page to
  // standard output; otherwise start(), then serve until SIGTERM or SIGINT (SIGHUP reloads).
  // Returns the exit status; a StartupError is logged as one error record naming the flag (1).
  int run();

  // Checks the files the configuration names, starts every configured input, then the HTTP
  // server (so that /-/ready is true from its first answer). On failure nothing is left listening.
  std::optional<StartupError> start();
  // Stops the HTTP server and every input by cancelling: io().run() returns once their handlers
  // have seen operation_aborted. Idempotent.
  void stop();
  // SIGHUP: reads --web.config.file again; a bad file keeps the settings in force (logged).
  void reload();

  // --replay --once: reads the whole --replay file now, on the calling thread.
  std::optional<StartupError> replay_all();
  // The metrics page as a scrape now would return it.
  std::string scrape();

  boost::asio::io_context& io() { return io_; }
  // The port bound for a listen flag ("--web.listen-address", "--syslog.udp-listen-address", ...)
  // after start(); 0 when that part is off or not started.
  std::uint16_t listening_port(std::string_view flag) const;
  const SelfMetrics& self_metrics() const { return self_; }

 private:
  // One started input and the flag that configured it.
  struct RunningInput {
    std::string_view flag;
    std::unique_ptr<Input> input;
    std::uint16_t port = 0;  // bound port; 0 for kmsg and files
  };

  std::optional<StartupError> start_inputs();
  std::optional<StartupError> start_http();
  // The peer tables (docs/metrics.md, "Peer identity"), unless off or in fleet mode.
  void start_identity();
  PeerNames load_names() const;
  // A fresh page for one scrape: everything read at scrape time is read here.
  std::unique_ptr<MetricsPage> make_page();
  void await_signals();
  void await_reload();

  Config config_;
  const Log& log_;
  const Clock& clock_;
  BuildVersion build_;
  boost::asio::io_context io_{1};  // the one thread everything runs on
  Parser parser_;                  // the kernel's message table, compiled once
  WireguardState state_;           // peers and interfaces: what the lines said
  SelfMetrics self_;               // the exporter's reports on itself
  Pipeline pipeline_;              // every message: sender check, parse, state, self metrics
  std::shared_ptr<const WebConfig> web_config_;  // --web.config.file; null: plain HTTP
  std::vector<RunningInput> inputs_;             // in the order they started
  UdpInput* udp_ = nullptr;                      // in inputs_: polled for drops at each scrape
  KmsgInput* kmsg_ = nullptr;                    // in inputs_: /-/ready asks whether it still reads
  std::unique_ptr<HttpServer> http_;             // /metrics, /, /-/healthy, /-/ready
  std::unique_ptr<PeerIdentity> identity_;       // peer tables read at each scrape; null: not read
  std::optional<boost::asio::signal_set> stop_signals_;    // SIGTERM, SIGINT: stop()
  std::optional<boost::asio::signal_set> reload_signals_;  // SIGHUP: reload()
  bool stopping_ = false;  // stop() was called: a SIGHUP already queued neither reloads nor re-arms
};

}  // namespace wgevents
