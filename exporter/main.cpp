// wireguard_events_exporter: WireGuard kernel events from syslog (or a saved log) to Prometheus.
//
// Wiring only: flags -> inputs -> pipeline -> state -> metrics page -> HTTP, all on one
// io_context thread. Shutdown by cancelling: SIGTERM/SIGINT close every socket and run()
// returns when no work is left.
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/system_error.hpp>

#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "inputs/kmsg_input.h"
#include "inputs/replay_input.h"
#include "inputs/tcp_input.h"
#include "inputs/tls_input.h"
#include "inputs/udp_input.h"
#include "log.h"
#include "metrics/metrics_page.h"
#include "pipeline.h"
#include "wgevents/config/config.h"
#include "wgevents/http/landing_page.h"
#include "wgevents/http/server.h"
#include "wgevents/http/web_config.h"

#ifndef WGEVENTS_VERSION
#define WGEVENTS_VERSION "0.0.0"
#endif
#ifndef WGEVENTS_REVISION
#define WGEVENTS_REVISION "unknown"
#endif

namespace wgevents {
namespace {

namespace asio = boost::asio;

// A configuration problem only the system can tell (an address in use, an unreadable file):
// one line naming the flag, exit status 1.
struct RuntimeError {
  std::string message;
};

// The address to bind for a listen flag. `:port` is every address: IPv6 and IPv4 on one
// dual-stack socket, or IPv4 alone where the host has no IPv6.
template <typename Protocol>
typename Protocol::endpoint resolve(asio::io_context& io, const ListenAddress& address,
                                    std::string_view flag) {
  boost::system::error_code ec;
  if (address.any_host) return {Protocol::v6(), address.port};
  auto ip = asio::ip::make_address(address.host, ec);
  if (!ec) return {ip, address.port};
  typename Protocol::resolver resolver(io);
  auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || results.empty()) {
    throw RuntimeError{fmt::format("{}: cannot resolve {}: {}", flag, address.host,
                                   ec ? ec.message() : "no address")};
  }
  return results.begin()->endpoint();
}

// Makes an input for the flag's address and starts it. `:port` binds IPv6 and IPv4 on one
// dual-stack socket; where the host has no IPv6, the input is made again for IPv4 alone. A
// failure is one line naming the flag.
template <typename Protocol, typename Make>
auto listen_input(asio::io_context& io, const ListenAddress& address, std::string_view flag, Make make) {
  auto input = make(resolve<Protocol>(io, address, flag));
  auto ec = input->start();
  if (ec && address.any_host) {
    input = make(typename Protocol::endpoint(Protocol::v4(), address.port));
    ec = input->start();
  }
  if (ec) {
    throw RuntimeError{fmt::format("{}: cannot listen on {}: {}", flag, format_listen_address(address), ec.message())};
  }
  return input;
}

// `127.0.0.1:9999` or `[::]:9588`, for the log.
template <typename Endpoint>
std::string endpoint_text(const Endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// The flag that names a file of the TLS input, for its error line.
std::string_view tls_file_flag(TlsCredentialsError::File file) {
  switch (file) {
    case TlsCredentialsError::File::certificate: return "--syslog.tls-cert-file";
    case TlsCredentialsError::File::private_key: return "--syslog.tls-key-file";
    case TlsCredentialsError::File::client_ca: return "--syslog.tls-client-ca-file";
  }
  return "--syslog.tls-listen-address";
}

int replay_once(const Config& config, Pipeline& pipeline, const WireguardState& state,
                const SelfMetrics& self, const PageOptions& page_options) {
  ReplayInput replay(config.replay, pipeline);
  if (auto ec = replay.open()) throw RuntimeError{fmt::format("--replay: {}: {}", config.replay, ec.message())};
  replay.replay_all();
  if (auto ec = replay.read_error()) throw RuntimeError{fmt::format("--replay: {}: {}", config.replay, ec.message())};
  std::string page = MetricsPage(state, self, page_options, unix_now()).render_all();
  std::fwrite(page.data(), 1, page.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int serve(const Config& config, const Log& log) {
  asio::io_context io(1);
  Parser parser;
  WireguardState state(StateLimits{config.peers_max, config.interfaces_max, config.hosts_max});
  SelfMetrics self(WGEVENTS_VERSION, WGEVENTS_REVISION);
  Pipeline pipeline(parser, state, self, config.syslog_allowed_sources, config.syslog_host_label);
  const PageOptions page_options{config.endpoint_label, config.syslog_host_label};

  if (!config.replay.empty() && config.once) return replay_once(config, pipeline, state, self, page_options);

  // Checked before anything listens: a bad file stops the exporter with one line.
  std::shared_ptr<const WebConfig> web_config;
  if (!config.web_config_file.empty()) {
    WebConfigLoad loaded = load_web_config(config.web_config_file);
    if (!loaded.config) throw RuntimeError{fmt::format("--web.config.file: {}", loaded.error)};
    web_config = std::move(loaded.config);
  }

  // Inputs first, so that /-/ready is true from the moment HTTP answers.
  std::unique_ptr<UdpInput> udp;
  if (config.syslog_udp_listen_address) {
    udp = listen_input<asio::ip::udp>(io, *config.syslog_udp_listen_address, "--syslog.udp-listen-address",
                                      [&](const asio::ip::udp::endpoint& at) {
                                        return std::make_unique<UdpInput>(io, at, pipeline);
                                      });
    log.info("listening for syslog", "transport=udp address={} receive_buffer_bytes={} drop_reporting={}",
             endpoint_text(udp->local_endpoint()), udp->receive_buffer_bytes(),
             udp->reports_drops());
    if (udp->receive_buffer_bytes() < 2 * UdpInputOptions{}.receive_buffer_bytes) {
      log.warn("receive buffer smaller than asked; bursts may be dropped (receive_drops_total)",
               "granted_bytes={} hint=\"raise net.core.rmem_max or run with CAP_NET_ADMIN\"",
               udp->receive_buffer_bytes());
    }
  }
  std::unique_ptr<TcpInput> tcp;
  if (config.syslog_tcp_listen_address) {
    tcp = listen_input<asio::ip::tcp>(io, *config.syslog_tcp_listen_address, "--syslog.tcp-listen-address",
                                      [&](const asio::ip::tcp::endpoint& at) {
                                        return std::make_unique<TcpInput>(io, at, pipeline,
                                                                          config.syslog_tcp_max_connections);
                                      });
    log.info("listening for syslog", "transport=tcp address={} max_connections={}",
             endpoint_text(tcp->local_endpoint()), config.syslog_tcp_max_connections);
  }
  std::unique_ptr<TlsInput> tls;
  if (config.syslog_tls_listen_address) {
    const TlsInputSettings tls_settings{config.syslog_tls_cert_file, config.syslog_tls_key_file,
                                       config.syslog_tls_client_ca_file};
    // Credentials first: a bad file is reported as such, whatever happens to the address.
    auto make_tls = [&](const asio::ip::tcp::endpoint& at) {
      auto input = std::make_unique<TlsInput>(io, at, pipeline, tls_settings, config.syslog_tcp_max_connections);
      if (auto error = input->load_credentials()) {
        throw RuntimeError{fmt::format("{}: {}", tls_file_flag(error->file), error->message)};
      }
      return input;
    };
    tls = listen_input<asio::ip::tcp>(io, *config.syslog_tls_listen_address, "--syslog.tls-listen-address",
                                      make_tls);
    log.info("listening for syslog", "transport=tls address={} max_connections={} client_certificates={}",
             endpoint_text(tls->local_endpoint()), config.syslog_tcp_max_connections,
             tls->requires_client_certificate() ? "required" : "not_asked");
  }
  std::unique_ptr<KmsgInput> kmsg;
  if (config.kmsg) {
    kmsg = std::make_unique<KmsgInput>(io, config.kmsg_path, pipeline, config.kmsg_from_start);
    if (auto ec = kmsg->start()) {
      const bool denied = ec == boost::system::errc::permission_denied ||
                          ec == boost::system::errc::operation_not_permitted;
      throw RuntimeError{fmt::format("--kmsg: cannot read {}: {}{}", config.kmsg_path, ec.message(),
                                     denied ? " (needs root or CAP_SYSLOG; see also kernel.dmesg_restrict)" : "")};
    }
    log.info("reading kernel log", "transport=kmsg path={} from_start={}", LogValue{config.kmsg_path},
             config.kmsg_from_start);
  }
  std::unique_ptr<ReplayInput> replay;
  if (!config.replay.empty()) {
    replay = std::make_unique<ReplayInput>(config.replay, pipeline);
    if (auto ec = replay->open()) throw RuntimeError{fmt::format("--replay: {}: {}", config.replay, ec.message())};
  }

  HttpRoutes routes;
  routes.telemetry_path = config.web_telemetry_path;
  routes.metrics = [&]() -> std::unique_ptr<ChunkSource> {
    if (udp) udp->poll_drops();
    return std::make_unique<MetricsPage>(state, self, page_options, unix_now());
  };
  routes.ready = [] { return true; };  // every input listens before the server starts
  routes.landing_page = [&] {
    return landing_page_html(config.web_telemetry_path, WGEVENTS_VERSION,
                             HostsSending{pipeline.hosts_sending(), pipeline.host_names()});
  };
  std::unique_ptr<HttpServer> http;
  const auto& web = config.web_listen_address;
  auto web_endpoint = resolve<asio::ip::tcp>(io, web, "--web.listen-address");
  try {
    http = std::make_unique<HttpServer>(io, web_endpoint, routes, HttpServerLimits{}, web_config);
  } catch (const boost::system::system_error& e) {
    if (!web.any_host) {
      throw RuntimeError{fmt::format("--web.listen-address: cannot listen on {}: {}", format_listen_address(web),
                                     e.code().message())};
    }
    try {
      http = std::make_unique<HttpServer>(io, asio::ip::tcp::endpoint(asio::ip::tcp::v4(), web.port), routes,
                                          HttpServerLimits{}, web_config);
    } catch (const boost::system::system_error& e4) {
      throw RuntimeError{fmt::format("--web.listen-address: cannot listen on {}: {}", format_listen_address(web),
                                     e4.code().message())};
    }
  }
  http->start();
  const auto web_local = http->local_endpoint();
  log.info("serving metrics", "address={} path={} {}", endpoint_text(web_local),
           LogValue{config.web_telemetry_path}, web_config ? web_config->summary() : "tls=false basic_auth_users=0");

  if (replay) {
    replay->start(io, [&log, &config](boost::system::error_code ec) {
      if (ec) {
        log.error("replay stopped", "file={} err={}", LogValue{config.replay}, LogValue{ec.message()});
      } else {
        log.info("replay done", "file={}", LogValue{config.replay});
      }
    });
  }

  // SIGHUP: read --web.config.file again; a bad file keeps the settings in force.
  asio::signal_set reload_signals(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec == asio::error::operation_aborted) return;
      if (!web_config) {
        log.info("SIGHUP ignored", "reason=\"no --web.config.file\"");
      } else if (std::string error = http->reload_web_config(); !error.empty()) {
        log.error("web config not reloaded, keeping the previous one", "err={}",
                  LogValue{"--web.config.file: " + error});
      } else {
        log.info("web config reloaded", "{}", http->web_config()->summary());
      }
      await_reload();
    });
  };
  await_reload();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec == asio::error::operation_aborted) return;
    log.info("shutting down", "signal={}", signal);
    reload_signals.cancel();
    if (http) http->stop();
    if (udp) udp->stop();
    if (tcp) tcp->stop();
    if (tls) tls->stop();
    if (kmsg) kmsg->stop();
    if (replay) replay->stop();
  });
  io.run();
  return 0;
}

}  // namespace
}  // namespace wgevents

int main(int argc, char** argv) {
  using namespace wgevents;
  std::signal(SIGPIPE, SIG_IGN);  // a scraper that goes away is an error code, not a death
  CommandLineOutcome outcome = parse_command_line(argc, argv, WGEVENTS_VERSION);
  if (outcome.action == CommandLineOutcome::Action::exit) {
    std::fputs(outcome.output.c_str(), stdout);
    if (!outcome.error.empty()) std::fprintf(stderr, "%s\n", outcome.error.c_str());
    return outcome.exit_code;
  }
  Log log(outcome.config.log_level);
  try {
    return serve(outcome.config, log);
  } catch (const RuntimeError& e) {
    std::fprintf(stderr, "%s\n", e.message.c_str());
    return 1;
  } catch (const std::exception& e) {
    log.error("fatal", "err={}", LogValue{e.what()});
    return 1;
  }
}
