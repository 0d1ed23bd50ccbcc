// Flags are declared once, in kFlags: the Boost option set and the --help text are both built
// from that table, so a flag cannot be parseable yet undocumented (or the reverse).
#include <charconv>
#include <limits>
#include <utility>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "wgevents/config/config.h"

namespace wgevents {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kProgramName = "wireguard_events_exporter";

enum class FlagGroup : std::uint8_t { web, syslog, kmsg, replay, identity, limits, logging, program };

constexpr std::string_view group_title(FlagGroup group) {
  switch (group) {
    case FlagGroup::web: return "Web";
    case FlagGroup::syslog: return "Syslog inputs";
    case FlagGroup::kmsg: return "Kernel log device";
    case FlagGroup::replay: return "Replay";
    case FlagGroup::identity: return "Peer identity";
    case FlagGroup::limits: return "Limits and labels";
    case FlagGroup::logging: return "Logging";
    case FlagGroup::program: return "Program";
  }
  return "";
}

struct FlagSpec {
  FlagGroup group;
  std::string_view name;          // without the leading "--"
  std::string_view argument;      // placeholder shown in --help; empty for a switch
  bool negatable;                 // a switch that also has a --no-<name> form
  std::string_view default_text;  // empty: no default is shown (--help, --version)
  std::string_view meaning;
};

// In --help order. Defaults must agree with the initialisers of Config.
constexpr FlagSpec kFlags[] = {
    {FlagGroup::web, "web.listen-address", "ADDRESS", false, ":9588",
     "where the metrics are served over HTTP: host:port, [v6]:port, or :port for any host"},
    {FlagGroup::web, "web.telemetry-path", "PATH", false, "/metrics",
     "path of the metrics page; / shows a landing page that links to it"},
    {FlagGroup::web, "web.config.file", "FILE", false, "none",
     "TLS and basic-auth settings for the web server, in the Prometheus exporter-toolkit format"},

    {FlagGroup::syslog, "syslog.udp-listen-address", "ADDRESS", false, "127.0.0.1:9999",
     "UDP syslog input; an empty value turns it off"},
    {FlagGroup::syslog, "syslog.tcp-listen-address", "ADDRESS", false, "off",
     "TCP syslog input; octet-counted or newline-framed, detected per connection"},
    {FlagGroup::syslog, "syslog.tls-listen-address", "ADDRESS", false, "off",
     "TLS syslog input (RFC 5425), octet-counted; needs the certificate and key files"},
    {FlagGroup::syslog, "syslog.tls-cert-file", "FILE", false, "none",
     "server certificate (PEM) of the TLS input"},
    {FlagGroup::syslog, "syslog.tls-key-file", "FILE", false, "none",
     "private key (PEM) of that certificate"},
    {FlagGroup::syslog, "syslog.tls-client-ca-file", "FILE", false, "none",
     "when set, TLS senders must present a certificate signed by this CA"},
    {FlagGroup::syslog, "syslog.allowed-sources", "CIDRS", false, "any sender",
     "comma-separated address blocks that may send; messages from others are counted as rejected"},
    {FlagGroup::syslog, "syslog.tcp-max-connections", "N", false, "64",
     "most TCP senders connected at once; further ones are refused and counted"},
    {FlagGroup::syslog, "syslog.host-label", "", true, "off",
     "fleet mode: label every series with the sending host, from the syslog HOSTNAME field"},

    {FlagGroup::kmsg, "kmsg", "", true, "off",
     "read kernel records from the kernel log device; needs root or CAP_SYSLOG"},
    {FlagGroup::kmsg, "kmsg.path", "FILE", false, "/dev/kmsg", "the kernel log device"},
    {FlagGroup::kmsg, "kmsg.from-start", "", false, "off",
     "with --kmsg: first read what the kernel's ring buffer still holds"},

    {FlagGroup::replay, "replay", "FILE", false, "none",
     "read this file (- for standard input) line by line as if received, then keep serving"},
    {FlagGroup::replay, "once", "", false, "off",
     "with --replay: print the metrics page to standard output after the file and exit"},

    {FlagGroup::identity, "wireguard.peer-table", "", true, "on",
     "read each WireGuard interface's peer table (netlink, UAPI sockets) for keys, names and bytes; off in fleet mode"},
    {FlagGroup::identity, "wireguard.uapi-dir", "DIR", false, "/var/run/wireguard",
     "where userspace implementations (wireguard-go, boringtun) put their UAPI sockets; empty: none"},
    {FlagGroup::identity, "wireguard.config-files", "GLOB", false, "/etc/wireguard/*.conf",
     "wg-quick files whose [Peer] comments name peers (# friendly_name = alice); empty: none"},
    {FlagGroup::identity, "peers.names-file", "FILE", false, "none",
     "PUBLIC_KEY NAME lines; these names win over the config files'; read again on SIGHUP"},

    {FlagGroup::limits, "peers.max", "N", false, "10000",
     "most peers tracked at once; docs/metrics.md says what happens to further ones"},
    {FlagGroup::limits, "interfaces.max", "N", false, "64", "most interfaces tracked at once"},
    {FlagGroup::limits, "hosts.max", "N", false, "256",
     "most hosts tracked in fleet mode; lines from further hosts are rejected"},
    {FlagGroup::limits, "endpoint-label", "", true, "on",
     "export each peer's endpoint address as wireguard_peer_endpoint_info"},

    {FlagGroup::logging, "log.level", "LEVEL", false, "info",
     "least severe messages logged to standard error: debug, info, warn or error"},
    {FlagGroup::logging, "log.format", "FORMAT", false, "logfmt",
     "how each log line is written: logfmt or json"},

    {FlagGroup::program, "help", "", false, "", "print this help and exit"},
    {FlagGroup::program, "version", "", false, "", "print the version and exit"},
};

// Receives stray words: Boost reports them only as a count, and the error should show them.
constexpr const char* kStrayArguments = "stray arguments";

std::string negation_of(std::string_view name) { return fmt::format("no-{}", name); }

const FlagSpec* find_flag(std::string_view name) {
  for (const FlagSpec& flag : kFlags) {
    if (flag.name == name || (flag.negatable && negation_of(flag.name) == name)) return &flag;
  }
  return nullptr;
}

po::options_description boost_options() {
  po::options_description options;
  auto add = options.add_options();
  for (const FlagSpec& flag : kFlags) {
    const std::string name(flag.name);
    if (flag.argument.empty()) {
      add(name.c_str(), "");
      if (flag.negatable) add(negation_of(flag.name).c_str(), "");
    } else {
      add(name.c_str(), po::value<std::string>(), "");
    }
  }
  add(kStrayArguments, po::value<std::vector<std::string>>(), "");
  return options;
}

// Boost's long-option parser refuses "--name=" ("the required argument is missing"), but an
// empty value is how a user turns an input off (--syslog.udp-listen-address=). This runs
// before Boost's own parsers and turns such a token into the option with an empty value;
// Boost still checks the name and whether the option takes a value.
std::vector<po::option> parse_empty_assignment(std::vector<std::string>& args) {
  const std::string& token = args.front();
  if (token.size() < 4 || !token.starts_with("--") || token.find('=') != token.size() - 1) {
    return {};
  }
  po::option option;
  option.string_key = token.substr(2, token.size() - 3);
  option.value.emplace_back();
  option.original_tokens.push_back(token);
  args.erase(args.begin());
  return {option};
}

// The flag part of a Boost error's option name: "--foo=1" -> "--foo".
std::string flag_of(const po::error_with_option_name& error) {
  std::string name = error.get_option_name();
  if (const auto equals = name.find('='); equals != std::string::npos) name.resize(equals);
  return name;
}

std::string describe(const po::error& error) {
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&error)) {
    return fmt::format("{}: unknown flag (see --help)", flag_of(*unknown));
  }
  if (const auto* twice = dynamic_cast<const po::multiple_occurrences*>(&error)) {
    return fmt::format("{}: given more than once", flag_of(*twice));
  }
  if (const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&error)) {
    switch (syntax->kind()) {
      case po::invalid_command_line_syntax::missing_parameter:
        return fmt::format("{}: missing value", flag_of(*syntax));
      case po::invalid_command_line_syntax::extra_parameter:
        return fmt::format("{}: takes no value", flag_of(*syntax));
      default:
        return fmt::format("{}: {}", flag_of(*syntax), syntax->what());
    }
  }
  return error.what();
}

std::string stray_argument_error(const std::string& word) {
  if (word.starts_with("--")) {
    // Only words after a bare "--" get here: Boost takes everything else as a flag.
    return fmt::format("unexpected argument '{}' after '--': this program takes only --flags",
                       word);
  }
  if (word.size() > 1 && word.front() == '-') {
    return fmt::format("{}: unknown flag (flags start with two dashes, as in --help)",
                       word.substr(0, word.find('=')));
  }
  return fmt::format("unexpected argument '{}': this program takes only --flags", word);
}

// A cap: a whole number from 1 up.
std::optional<std::uint32_t> parse_cap(std::string_view text, std::uint32_t ceiling, std::string& problem) {
  std::uint64_t value = 0;
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.starts_with('-') && text.size() > 1 &&
      text.find_first_not_of("0123456789", 1) == text.npos) {
    problem = fmt::format("must be at least 1, got {}", text);
  } else if (!digits) {
    problem = fmt::format("'{}' is not a whole number", text);
  } else if (ec != std::errc() || value > ceiling) {
    problem = fmt::format("{} is too large (at most {})", text, ceiling);
  } else if (value == 0) {
    problem = "must be at least 1, got 0";
  } else {
    return static_cast<std::uint32_t>(value);
  }
  return std::nullopt;
}

std::optional<std::string> telemetry_path_problem(std::string_view path) {
  if (!path.starts_with('/')) return fmt::format("'{}' must start with '/'", path);
  if (path == "/") return std::string("must not be '/', which serves the landing page");
  if (path.starts_with("/-/")) {
    return fmt::format("'{}': paths under /-/ are the health endpoints'", path);
  }
  if (path.find_first_of(" \t\r\n?#") != path.npos) {
    return fmt::format("'{}' must be a plain path, without spaces, '?' or '#'", path);
  }
  return std::nullopt;
}

// The checks that need the whole command line: values in kFlags order, then combinations.
// Returns the first problem as the error line, or nullopt with `config` filled in.
std::optional<std::string> build_config(const po::variables_map& given, Config& config) {
  auto value = [&](std::string_view name) -> const std::string* {
    const auto found = given.find(std::string(name));
    return found == given.end() ? nullptr : &found->second.as<std::string>();
  };
  auto has = [&](std::string_view name) { return given.count(std::string(name)) != 0; };
  auto fail = [](std::string_view name, std::string_view problem) {
    return fmt::format("--{}: {}", name, problem);
  };
  std::string problem;

  // "--web.listen-address --kmsg" hands "--kmsg" to the first flag as its value. No value of
  // ours starts with a flag's name, so this is a forgotten value, not a strange one.
  for (const FlagSpec& flag : kFlags) {
    if (flag.argument.empty()) continue;
    if (const std::string* text = value(flag.name); text != nullptr && text->starts_with("--")) {
      const std::string_view next = std::string_view(*text).substr(2, text->find('=') - 2);
      if (find_flag(next) != nullptr) return fail(flag.name, "missing value");
    }
  }
  for (const FlagSpec& flag : kFlags) {
    if (flag.negatable && has(flag.name) && has(negation_of(flag.name))) {
      return fail(negation_of(flag.name), fmt::format("conflicts with --{}", flag.name));
    }
  }

  auto listen_address = [&](std::string_view name,
                            std::optional<ListenAddress>& field) -> std::optional<std::string> {
    const std::string* text = value(name);
    if (text == nullptr) return std::nullopt;
    if (text->empty()) {
      field.reset();
      return std::nullopt;
    }
    field = parse_listen_address(*text, problem);
    if (!field) return fail(name, problem);
    return std::nullopt;
  };
  auto cap = [&](std::string_view name, std::uint32_t& field,
                 std::uint32_t ceiling = std::numeric_limits<std::uint32_t>::max()) -> std::optional<std::string> {
    const std::string* text = value(name);
    if (text == nullptr) return std::nullopt;
    const auto parsed = parse_cap(*text, ceiling, problem);
    if (!parsed) return fail(name, problem);
    field = *parsed;
    return std::nullopt;
  };
  auto text_flag = [&](std::string_view name, std::string& field) {
    if (const std::string* text = value(name)) field = *text;
  };
  auto switch_flag = [&](const FlagSpec& flag, bool& field) {
    if (has(flag.name)) field = true;
    if (flag.negatable && has(negation_of(flag.name))) field = false;
  };

  // Web.
  if (const std::string* text = value("web.listen-address")) {
    if (text->empty()) return fail("web.listen-address", "must not be empty");
    const auto address = parse_listen_address(*text, problem);
    if (!address) return fail("web.listen-address", problem);
    config.web_listen_address = *address;
  }
  if (const std::string* text = value("web.telemetry-path")) {
    if (auto path_problem = telemetry_path_problem(*text)) {
      return fail("web.telemetry-path", *path_problem);
    }
    config.web_telemetry_path = *text;
  }
  text_flag("web.config.file", config.web_config_file);

  // Syslog.
  if (auto error = listen_address("syslog.udp-listen-address", config.syslog_udp_listen_address)) {
    return error;
  }
  if (auto error = listen_address("syslog.tcp-listen-address", config.syslog_tcp_listen_address)) {
    return error;
  }
  if (auto error = listen_address("syslog.tls-listen-address", config.syslog_tls_listen_address)) {
    return error;
  }
  text_flag("syslog.tls-cert-file", config.syslog_tls_cert_file);
  text_flag("syslog.tls-key-file", config.syslog_tls_key_file);
  text_flag("syslog.tls-client-ca-file", config.syslog_tls_client_ca_file);
  if (const std::string* text = value("syslog.allowed-sources")) {
    auto blocks = parse_cidr_list(*text, problem);
    if (!blocks) return fail("syslog.allowed-sources", problem);
    config.syslog_allowed_sources = std::move(*blocks);
  }
  if (auto error = cap("syslog.tcp-max-connections", config.syslog_tcp_max_connections)) {
    return error;
  }

  // Kernel log device.
  if (const std::string* text = value("kmsg.path")) {
    if (text->empty()) return fail("kmsg.path", "must not be empty");
    config.kmsg_path = *text;
  }

  // Replay.
  text_flag("replay", config.replay);

  // Peer identity.
  text_flag("wireguard.uapi-dir", config.wireguard_uapi_dir);
  text_flag("wireguard.config-files", config.wireguard_config_files);
  text_flag("peers.names-file", config.peers_names_file);

  // Limits.
  // Ceilings far above any real use: peers cost memory as they arrive (about 400 bytes each),
  // and interfaces and hosts are numbered in 16 bits.
  if (auto error = cap("peers.max", config.peers_max, kMaxPeersCeiling)) return error;
  if (auto error = cap("interfaces.max", config.interfaces_max, kMaxInterfacesCeiling)) return error;
  if (auto error = cap("hosts.max", config.hosts_max, kMaxHostsCeiling)) return error;

  // Logging.
  if (const std::string* text = value("log.level")) {
    const auto level = log_level_from_name(*text);
    if (!level) {
      return fail("log.level",
                  fmt::format("unknown level '{}' (expected debug, info, warn or error)", *text));
    }
    config.log_level = *level;
  }
  if (const std::string* text = value("log.format")) {
    const auto format = log_format_from_name(*text);
    if (!format) {
      return fail("log.format", fmt::format("unknown format '{}' (expected logfmt or json)", *text));
    }
    config.log_format = *format;
  }

  for (const FlagSpec& flag : kFlags) {
    if (flag.name == "syslog.host-label") switch_flag(flag, config.syslog_host_label);
    if (flag.name == "kmsg") switch_flag(flag, config.kmsg);
    if (flag.name == "kmsg.from-start") switch_flag(flag, config.kmsg_from_start);
    if (flag.name == "once") switch_flag(flag, config.once);
    if (flag.name == "endpoint-label") switch_flag(flag, config.endpoint_label);
    if (flag.name == "wireguard.peer-table") switch_flag(flag, config.wireguard_peer_table);
  }

  // Flags that mean nothing, or less than they promise, without another one.
  if (config.syslog_tls_listen_address) {
    if (config.syslog_tls_cert_file.empty()) {
      return fail("syslog.tls-listen-address", "needs --syslog.tls-cert-file");
    }
    if (config.syslog_tls_key_file.empty()) {
      return fail("syslog.tls-listen-address", "needs --syslog.tls-key-file");
    }
  } else if (!config.syslog_tls_client_ca_file.empty()) {
    // Refused rather than ignored: the user expects senders to be authenticated.
    return fail("syslog.tls-client-ca-file", "needs --syslog.tls-listen-address");
  }
  if (config.kmsg_from_start && !config.kmsg) return fail("kmsg.from-start", "needs --kmsg");
  if (config.once && config.replay.empty()) return fail("once", "needs --replay");
  return std::nullopt;
}

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::optional<LogLevel> log_level_from_name(std::string_view name) {
  for (LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (log_level_name(level) == name) return level;
  }
  return std::nullopt;
}

std::string_view log_format_name(LogFormat format) {
  return format == LogFormat::json ? "json" : "logfmt";
}

std::optional<LogFormat> log_format_from_name(std::string_view name) {
  for (LogFormat format : {LogFormat::logfmt, LogFormat::json}) {
    if (log_format_name(format) == name) return format;
  }
  return std::nullopt;
}

bool has_input(const Config& config) {
  return config.syslog_udp_listen_address || config.syslog_tcp_listen_address ||
         config.syslog_tls_listen_address || config.kmsg || !config.replay.empty();
}

std::string command_line_help() {
  std::string help = fmt::format(
      "usage: {} [flags]\n"
      "\n"
      "Counts the per-peer events the WireGuard kernel module logs and serves them as\n"
      "Prometheus metrics. Flags take their value as --name=value or --name value.\n",
      kProgramName);
  std::optional<FlagGroup> group;
  for (const FlagSpec& flag : kFlags) {
    if (flag.group != group) {
      group = flag.group;
      help += fmt::format("\n{}:\n", group_title(flag.group));
    }
    if (flag.argument.empty()) {
      help += fmt::format("  --{}", flag.name);
      if (flag.negatable) help += fmt::format(", --no-{}", flag.name);
    } else {
      help += fmt::format("  --{}={}", flag.name, flag.argument);
    }
    help += fmt::format("\n      {}", flag.meaning);
    if (!flag.default_text.empty()) help += fmt::format(" (default: {})", flag.default_text);
    help += '\n';
  }
  help += "\nExit status: 0 on success, 1 on a runtime error, 2 on a usage error.\n";
  return help;
}

CommandLineOutcome parse_command_line(int argc, const char* const argv[], std::string_view version) {
  CommandLineOutcome outcome;
  auto usage_error = [&](std::string error) {
    outcome.action = CommandLineOutcome::Action::exit;
    outcome.exit_code = 2;
    outcome.error = std::move(error);
    return outcome;
  };

  po::variables_map given;
  try {
    const po::options_description options = boost_options();
    po::positional_options_description stray;
    stray.add(kStrayArguments, -1);
    // Long options only, no abbreviations: a flag is spelt out in full, so adding a flag
    // later never changes what an existing command line means.
    const int style = po::command_line_style::allow_long |
                      po::command_line_style::long_allow_adjacent |
                      po::command_line_style::long_allow_next;
    const po::parsed_options parsed = po::command_line_parser(argc, argv)
                                          .options(options)
                                          .positional(stray)
                                          .style(style)
                                          .extra_style_parser(parse_empty_assignment)
                                          .run();
    po::store(parsed, given);
  } catch (const po::error& error) {
    return usage_error(describe(error));
  }

  if (given.count(kStrayArguments) != 0) {
    return usage_error(
        stray_argument_error(given[kStrayArguments].as<std::vector<std::string>>().front()));
  }
  if (given.count("help") != 0 || given.count("version") != 0) {
    outcome.action = CommandLineOutcome::Action::exit;
    outcome.output = given.count("help") != 0
                         ? command_line_help()
                         : fmt::format("{} {}\n", kProgramName, version);
    return outcome;
  }
  if (auto error = build_config(given, outcome.config)) return usage_error(std::move(*error));
  return outcome;
}

}  // namespace wgevents
