// The exporter's settings, and the command line that sets them (docs/cli.md).
//
//   auto outcome = wgevents::parse_command_line(argc, argv, WGEVENTS_VERSION);
//   if (outcome.action == wgevents::CommandLineOutcome::Action::exit) {
//     std::fputs(outcome.output.c_str(), stdout);
//     if (!outcome.error.empty()) std::fprintf(stderr, "%s\n", outcome.error.c_str());
//     return outcome.exit_code;
//   }
//   run(outcome.config);
//
// parse_command_line() checks everything that can be checked without touching the system:
// flag names, value syntax, ranges, and flags that need another flag. What only the system can
// tell (an address in use, an unreadable --replay file or certificate) is left to the caller.
// It does not print, exit or throw; it is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wgevents/config/addresses.h"

namespace wgevents {

enum class LogLevel : std::uint8_t { debug, info, warn, error };

// "debug", "info", "warn", "error": the --log.level values.
std::string_view log_level_name(LogLevel level);
std::optional<LogLevel> log_level_from_name(std::string_view name);

// The most each cap accepts: values beyond are refused with the flag named, not tried.
inline constexpr std::uint32_t kMaxPeersCeiling = 10'000'000;   // --peers.max
inline constexpr std::uint32_t kMaxInterfacesCeiling = 65535;   // --interfaces.max
inline constexpr std::uint32_t kMaxHostsCeiling = 65535;        // --hosts.max

// How a log record is written: logfmt (`ts=... level=info msg="..."`) or one JSON object.
enum class LogFormat : std::uint8_t { logfmt, json };

// "logfmt", "json": the --log.format values.
std::string_view log_format_name(LogFormat format);
std::optional<LogFormat> log_format_from_name(std::string_view name);

// One field per flag; the initialisers are the defaults of docs/cli.md.
struct Config {
  // Web.
  ListenAddress web_listen_address{"", 9588, true};  // --web.listen-address
  std::string web_telemetry_path = "/metrics";       // --web.telemetry-path, starts with '/'
  std::string web_config_file;                       // --web.config.file, empty: plain HTTP

  // Syslog inputs. An empty optional means the input is off.
  std::optional<ListenAddress> syslog_udp_listen_address =
      ListenAddress{"127.0.0.1", 9999, false};                  // --syslog.udp-listen-address
  std::optional<ListenAddress> syslog_tcp_listen_address;       // --syslog.tcp-listen-address
  std::optional<ListenAddress> syslog_tls_listen_address;       // --syslog.tls-listen-address
  std::string syslog_tls_cert_file;       // --syslog.tls-cert-file, set when TLS is on
  std::string syslog_tls_key_file;        // --syslog.tls-key-file, set when TLS is on
  std::string syslog_tls_client_ca_file;  // --syslog.tls-client-ca-file, empty: no client certs
  std::vector<Cidr> syslog_allowed_sources;          // --syslog.allowed-sources, empty: any
  std::uint32_t syslog_tcp_max_connections = 64;     // --syslog.tcp-max-connections, >= 1
  bool syslog_host_label = false;                    // --[no-]syslog.host-label

  // Kernel log device.
  bool kmsg = false;                    // --[no-]kmsg
  std::string kmsg_path = "/dev/kmsg";  // --kmsg.path, never empty
  bool kmsg_from_start = false;         // --kmsg.from-start, only with kmsg

  // Replay.
  std::string replay;  // --replay, empty: none; "-" is standard input
  bool once = false;   // --once, only with a replay file

  // Peer identity (docs/metrics.md, "Peer identity").
  bool wireguard_peer_table = true;                          // --[no-]wireguard.peer-table
  std::string wireguard_uapi_dir = "/var/run/wireguard";     // --wireguard.uapi-dir, empty: none
  std::string wireguard_config_files = "/etc/wireguard/*.conf";  // --wireguard.config-files, a glob
  std::string peers_names_file;                              // --peers.names-file, empty: none

  // Limits and labels. Every cap is at least 1 and at most its ceiling below.
  std::uint32_t peers_max = 10000;     // --peers.max
  std::uint32_t interfaces_max = 64;   // --interfaces.max
  std::uint32_t hosts_max = 256;       // --hosts.max
  bool endpoint_label = true;          // --[no-]endpoint-label

  // Logging.
  LogLevel log_level = LogLevel::info;     // --log.level
  LogFormat log_format = LogFormat::logfmt;  // --log.format
};

// Whether anything feeds the exporter lines: a syslog listener, the kernel log device or a
// replay. Without one it serves only its own metrics; the caller warns (it is not an error: a
// configuration may be under construction, and the health endpoints still answer).
bool has_input(const Config& config);

struct CommandLineOutcome {
  enum class Action { run, exit };
  Action action = Action::run;
  // With Action::exit: 0 after --help or --version, 2 for a usage error.
  int exit_code = 0;
  // Text for standard output (--help, --version), newline-terminated; empty otherwise.
  std::string output;
  // A usage error, one line without a trailing newline, naming the flag first:
  // "--syslog.udp-listen-address: port 70000 out of range (0-65535)". Empty otherwise.
  std::string error;
  // The settings; meaningful only with Action::run.
  Config config;
};

// Parses argv (argv[0] is the program name and is ignored). Flags are long only:
// `--name=value` or `--name value`, switches as `--flag` / `--no-flag`, each at most once.
// --help wins over --version, and both win over bad values (but not over unknown flags).
// `version` is printed by --version as "wireguard_events_exporter <version>".
CommandLineOutcome parse_command_line(int argc, const char* const argv[], std::string_view version);

// The --help text: every flag, grouped, with its default and meaning.
std::string command_line_help();

}  // namespace wgevents
