#include "exporter.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <functional>

#include "inputs/kmsg_input.h"
#include "inputs/replay_input.h"
#include "inputs/tcp_input.h"
#include "inputs/tls_input.h"
#include "inputs/udp_input.h"
#include "wgevents/http/landing_page.h"

namespace wgevents {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kWebFlag = "--web.listen-address";
constexpr std::string_view kUdpFlag = "--syslog.udp-listen-address";
constexpr std::string_view kTcpFlag = "--syslog.tcp-listen-address";
constexpr std::string_view kTlsFlag = "--syslog.tls-listen-address";

// `127.0.0.1:9999` or `[::]:9588`, for the log.
template <typename Endpoint>
std::string endpoint_text(const Endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// The address to bind for a listen flag. `:port` is every address: IPv6 and IPv4 on one
// dual-stack socket (or IPv4 alone, see listen()).
template <typename Protocol>
std::optional<typename Protocol::endpoint> resolve(asio::io_context& io, const ListenAddress& address,
                                                   std::string_view flag, std::optional<StartupError>& error) {
  boost::system::error_code ec;
  if (address.any_host) return typename Protocol::endpoint{Protocol::v6(), address.port};
  auto ip = asio::ip::make_address(address.host, ec);
  if (!ec) return typename Protocol::endpoint{ip, address.port};
  typename Protocol::resolver resolver(io);
  auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || results.empty()) {
    error = StartupError{fmt::format("{}: cannot resolve {}: {}", flag, address.host,
                                     ec ? ec.message() : "no address")};
    return std::nullopt;
  }
  return results.begin()->endpoint();
}

// Makes a part (an input or the HTTP server) for the flag's address with `make(endpoint)` and
// starts it. `:port` binds IPv6 and IPv4 on one dual-stack socket; where the host has no IPv6,
// the part is made again for IPv4 alone. `make` may return null after setting `error` (a file
// the part needs is bad). On failure, `error` is one line naming the flag.
template <typename Protocol, typename Part, typename Make>
std::unique_ptr<Part> listen(asio::io_context& io, std::string_view flag, const ListenAddress& address,
                             Make make, std::optional<StartupError>& error) {
  const auto endpoint = resolve<Protocol>(io, address, flag, error);
  if (!endpoint) return nullptr;
  std::unique_ptr<Part> part = make(*endpoint);
  if (!part) return nullptr;
  auto ec = part->start();
  if (ec && address.any_host) {
    part = make(typename Protocol::endpoint(Protocol::v4(), address.port));
    if (!part) return nullptr;
    ec = part->start();
  }
  if (ec) {
    error = StartupError{fmt::format("{}: cannot listen on {}: {}", flag, format_listen_address(address), ec.message())};
    return nullptr;
  }
  return part;
}

// The flag that names a file of the TLS input, for its error line.
std::string_view tls_file_flag(TlsCredentialsError::File file) {
  switch (file) {
    case TlsCredentialsError::File::certificate: return "--syslog.tls-cert-file";
    case TlsCredentialsError::File::private_key: return "--syslog.tls-key-file";
    case TlsCredentialsError::File::client_ca: return "--syslog.tls-client-ca-file";
  }
  return kTlsFlag;
}

}  // namespace

Exporter::Exporter(Config config, const Log& log, const Clock& clock, BuildVersion build)
    : config_(std::move(config)),
      log_(log),
      clock_(clock),
      build_(std::move(build)),
      state_(StateLimits{config_.peers_max, config_.interfaces_max, config_.hosts_max}),
      self_(build_.version, build_.revision),
      pipeline_(parser_, state_, self_, config_.syslog_allowed_sources, config_.syslog_host_label, clock_) {}

Exporter::~Exporter() {
  stop();
  // Once the signal sets go, asio puts back the default actions, and a SIGHUP (a config
  // management run, a log rotation) arriving while the process exits would end it with status
  // 129. A reload is meaningless from here on: ignore it. SIGHUP is blocked meanwhile, so one
  // arriving between the two steps stays pending and is then discarded.
  sigset_t hangup;
  sigemptyset(&hangup);
  sigaddset(&hangup, SIGHUP);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &hangup, &previous);
  reload_signals_.reset();
  std::signal(SIGHUP, SIG_IGN);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

int Exporter::run() {
  std::optional<StartupError> error;
  if (!config_.replay.empty() && config_.once) {
    error = replay_all();
    if (!error) {
      const std::string page = scrape();
      std::fwrite(page.data(), 1, page.size(), stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    }
  } else {
    error = start();
  }
  if (error) {
    log_.error("cannot start", "err={}", LogValue{error->message});
    return 1;
  }
  await_signals();
  io_.run();
  return 0;
}

std::optional<StartupError> Exporter::start() {
  // Checked before anything listens: a bad file stops the exporter with one line.
  if (!config_.web_config_file.empty()) {
    WebConfigLoad loaded = load_web_config(config_.web_config_file);
    if (!loaded.config) return StartupError{fmt::format("--web.config.file: {}", loaded.error)};
    web_config_ = std::move(loaded.config);
  }
  // Inputs first, so that /-/ready is true from the moment HTTP answers.
  auto error = start_inputs();
  if (!error) error = start_http();
  if (error) {
    stop();
  } else {
    start_identity();
  }
  return error;
}

std::optional<StartupError> Exporter::start_inputs() {
  std::optional<StartupError> error;
  if (config_.syslog_udp_listen_address) {
    auto udp = listen<asio::ip::udp, UdpInput>(io_, kUdpFlag, *config_.syslog_udp_listen_address,
                                               [&](const asio::ip::udp::endpoint& at) {
                                                 return std::make_unique<UdpInput>(io_, at, pipeline_);
                                               }, error);
    if (!udp) return error;
    log_.info("listening for syslog", "transport=udp address={} receive_buffer_bytes={} drop_reporting={}",
              endpoint_text(udp->local_endpoint()), udp->receive_buffer_bytes(), udp->reports_drops());
    if (udp->receive_buffer_bytes() < 2 * UdpInputOptions{}.receive_buffer_bytes) {
      log_.warn("receive buffer smaller than asked; bursts may be dropped (receive_drops_total)",
                "granted_bytes={} hint=\"raise net.core.rmem_max or run with CAP_NET_ADMIN\"",
                udp->receive_buffer_bytes());
    }
    self_.add_transport(Transport::udp);
    udp_ = udp.get();
    const auto port = udp->local_endpoint().port();
    inputs_.push_back({kUdpFlag, std::move(udp), port});
  }
  if (config_.syslog_tcp_listen_address) {
    auto tcp = listen<asio::ip::tcp, TcpInput>(io_, kTcpFlag, *config_.syslog_tcp_listen_address,
                                               [&](const asio::ip::tcp::endpoint& at) {
                                                 return std::make_unique<TcpInput>(
                                                     io_, at, pipeline_, config_.syslog_tcp_max_connections);
                                               }, error);
    if (!tcp) return error;
    log_.info("listening for syslog", "transport=tcp address={} max_connections={}",
              endpoint_text(tcp->local_endpoint()), config_.syslog_tcp_max_connections);
    self_.add_transport(Transport::tcp);
    const auto port = tcp->local_endpoint().port();
    inputs_.push_back({kTcpFlag, std::move(tcp), port});
  }
  if (config_.syslog_tls_listen_address) {
    const TlsInputSettings settings{config_.syslog_tls_cert_file, config_.syslog_tls_key_file,
                                    config_.syslog_tls_client_ca_file};
    // Credentials first: a bad file is reported as such, whatever happens to the address.
    auto make = [&](const asio::ip::tcp::endpoint& at) -> std::unique_ptr<TlsInput> {
      auto input = std::make_unique<TlsInput>(io_, at, pipeline_, settings, config_.syslog_tcp_max_connections);
      if (auto bad = input->load_credentials()) {
        error = StartupError{fmt::format("{}: {}", tls_file_flag(bad->file), bad->message)};
        return nullptr;
      }
      return input;
    };
    auto tls = listen<asio::ip::tcp, TlsInput>(io_, kTlsFlag, *config_.syslog_tls_listen_address, make, error);
    if (!tls) return error;
    log_.info("listening for syslog", "transport=tls address={} max_connections={} client_certificates={}",
              endpoint_text(tls->local_endpoint()), config_.syslog_tcp_max_connections,
              tls->requires_client_certificate() ? "required" : "not_asked");
    self_.add_transport(Transport::tls);
    const auto port = tls->local_endpoint().port();
    inputs_.push_back({kTlsFlag, std::move(tls), port});
  }
  if (config_.kmsg) {
    // A read error ends the input: said once in the log, and /-/ready answers 503 from then on.
    auto on_failure = [this](const boost::system::error_code& ec) {
      log_.error("kernel log input stopped", "path={} err={}", LogValue{config_.kmsg_path}, LogValue{ec.message()});
    };
    auto kmsg = std::make_unique<KmsgInput>(io_, config_.kmsg_path, pipeline_, config_.kmsg_from_start, on_failure);
    kmsg_ = kmsg.get();
    if (auto ec = kmsg->start()) {
      const bool denied = ec == boost::system::errc::permission_denied ||
                          ec == boost::system::errc::operation_not_permitted;
      return StartupError{fmt::format("--kmsg: cannot read {}: {}{}", config_.kmsg_path, ec.message(),
                                      denied ? " (needs root or CAP_SYSLOG; see also kernel.dmesg_restrict)" : "")};
    }
    log_.info("reading kernel log", "transport=kmsg path={} from_start={}", LogValue{config_.kmsg_path},
              config_.kmsg_from_start);
    self_.add_transport(Transport::kmsg);
    inputs_.push_back({"--kmsg", std::move(kmsg)});
  }
  if (!config_.replay.empty()) {
    auto replay = std::make_unique<ReplayInput>(io_, config_.replay, pipeline_, [this](boost::system::error_code ec) {
      if (ec) {
        log_.error("replay stopped", "file={} err={}", LogValue{config_.replay}, LogValue{ec.message()});
      } else {
        log_.info("replay done", "file={}", LogValue{config_.replay});
      }
    });
    if (auto ec = replay->start()) return StartupError{fmt::format("--replay: {}: {}", config_.replay, ec.message())};
    self_.add_transport(Transport::file);
    inputs_.push_back({"--replay", std::move(replay)});
  }
  return std::nullopt;
}

std::optional<StartupError> Exporter::start_http() {
  HttpRoutes routes;
  routes.telemetry_path = config_.web_telemetry_path;
  routes.metrics = [this]() -> std::unique_ptr<ChunkSource> { return make_page(); };
  // Every input listens before the server starts; the kernel log can fail later.
  routes.ready = [this] { return kmsg_ == nullptr || kmsg_->reading(); };
  routes.landing_page = [this] {
    return landing_page_html(config_.web_telemetry_path, build_.version,
                             HostsSending{pipeline_.hosts_sending(), pipeline_.host_names()});
  };
  std::optional<StartupError> error;
  http_ = listen<asio::ip::tcp, HttpServer>(io_, kWebFlag, config_.web_listen_address,
                                            [&](const asio::ip::tcp::endpoint& at) {
                                              return std::make_unique<HttpServer>(io_, at, routes, HttpServerLimits{},
                                                                                  web_config_);
                                            }, error);
  if (!http_) return error;
  log_.info("serving metrics", "address={} path={} {}", endpoint_text(http_->local_endpoint()),
            LogValue{config_.web_telemetry_path},
            web_config_ ? web_config_->summary() : "tls=false basic_auth_users=0");
  return std::nullopt;
}

PeerNames Exporter::load_names() const {
  std::vector<NamesWarning> warnings;
  PeerNames names = load_peer_names(config_.wireguard_config_files, config_.peers_names_file, warnings);
  // One warning per unusable line or file, naming it (never its text: a wg-quick file holds a
  // private key).
  for (const auto& w : warnings) {
    const std::string_view flag = w.file == config_.peers_names_file ? "--peers.names-file" : "--wireguard.config-files";
    if (w.line == 0) {
      log_.warn("peer names file skipped", "flag={} file={} err={}", flag, LogValue{w.file}, LogValue{w.reason});
    } else {
      log_.warn("peer names line skipped", "flag={} file={} line={} err={}", flag, LogValue{w.file}, w.line,
                LogValue{w.reason});
    }
  }
  return names;
}

void Exporter::start_identity() {
  // Fleet mode reads no table: the lines are from other machines.
  if (!config_.wireguard_peer_table || config_.syslog_host_label) return;
  PeerIdentitySettings settings;
  settings.kernel = has_net_admin();
  if (!settings.kernel) {
    log_.warn("no CAP_NET_ADMIN: the kernel's WireGuard peer tables are not read; line metrics go on",
              "hint=\"grant CAP_NET_ADMIN (docs/deploy.md) or run with --no-wireguard.peer-table\"");
  }
  const bool kernel = settings.kernel;
  settings.uapi_dir = config_.wireguard_uapi_dir;
  settings.limits.max_peers = config_.peers_max;
  settings.max_interfaces = config_.interfaces_max;
  identity_ = std::make_unique<PeerIdentity>(std::move(settings), log_);
  PeerNames names = load_names();
  log_.info("reading peer tables", "kernel={} uapi_dir={} names={}", kernel, LogValue{config_.wireguard_uapi_dir},
            names.size());
  identity_->set_names(std::move(names));
}

void Exporter::stop() {
  stopping_ = true;
  if (stop_signals_) stop_signals_->cancel();
  if (reload_signals_) reload_signals_->cancel();
  if (http_) http_->stop();
  for (auto& running : inputs_) running.input->stop();
}

void Exporter::reload() {
  if (identity_) {
    PeerNames names = load_names();
    log_.info("peer names reloaded", "names={}", names.size());
    identity_->set_names(std::move(names));
  }
  if (!web_config_ || !http_) {
    if (!identity_) log_.info("SIGHUP ignored", "reason=\"no --web.config.file\"");
  } else if (std::string error = http_->reload_web_config(); !error.empty()) {
    log_.error("web config not reloaded, keeping the previous one", "err={}",
               LogValue{"--web.config.file: " + error});
  } else {
    log_.info("web config reloaded", "{}", http_->web_config()->summary());
  }
}

std::optional<StartupError> Exporter::replay_all() {
  self_.add_transport(Transport::file);
  ReplayInput replay(config_.replay, pipeline_);
  if (auto ec = replay.open()) return StartupError{fmt::format("--replay: {}: {}", config_.replay, ec.message())};
  replay.replay_all();
  if (auto ec = replay.read_error()) return StartupError{fmt::format("--replay: {}: {}", config_.replay, ec.message())};
  return std::nullopt;
}

std::unique_ptr<MetricsPage> Exporter::make_page() {
  if (udp_ != nullptr) udp_->poll_drops();
  return std::make_unique<MetricsPage>(state_, self_, PageOptions{config_.endpoint_label, config_.syslog_host_label},
                                       clock_.now(), identity_ ? identity_->read(state_) : nullptr);
}

std::string Exporter::scrape() { return make_page()->render_all(); }

std::uint16_t Exporter::listening_port(std::string_view flag) const {
  if (flag == kWebFlag) return http_ ? http_->local_endpoint().port() : 0;
  for (const auto& running : inputs_) {
    if (running.flag == flag) return running.port;
  }
  return 0;
}

void Exporter::await_signals() {
  stop_signals_.emplace(io_, SIGINT, SIGTERM);
  stop_signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec == asio::error::operation_aborted) return;
    log_.info("shutting down", "signal={}", signal);
    stop();
  });
  reload_signals_.emplace(io_, SIGHUP);
  await_reload();
}

void Exporter::await_reload() {
  reload_signals_->async_wait([this](const boost::system::error_code& ec, int) {
    // A SIGHUP whose handler was already queued when stop() cancelled the wait still arrives
    // here with success; re-arming then would keep the io_context running for ever.
    if (ec == asio::error::operation_aborted || stopping_) return;
    reload();
    await_reload();
  });
}

}  // namespace wgevents
