// The command line of docs/cli.md. The tables are in tests/data/config/ (accepted.tsv,
// rejected.tsv, defaults.tsv) and the list of flags in tests/data/cli_flags.txt.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tsv.h"
#include "wgevents/config/config.h"

namespace wgevents {
namespace {

using testing::read_tsv;

CommandLineOutcome run(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"wireguard_events_exporter"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return parse_command_line(static_cast<int>(argv.size() - 1), argv.data(), "1.2.3");
}

std::string on_off(bool value) { return value ? "on" : "off"; }

std::string address_or_off(const std::optional<ListenAddress>& address) {
  return address ? format_listen_address(*address) : "off";
}

// One Config field as text, named as in the struct, so that the tables can name any field.
std::string field(const Config& config, const std::string& name) {
  if (name == "web_listen_address") return format_listen_address(config.web_listen_address);
  if (name == "web_telemetry_path") return config.web_telemetry_path;
  if (name == "web_config_file") return config.web_config_file;
  if (name == "syslog_udp_listen_address") return address_or_off(config.syslog_udp_listen_address);
  if (name == "syslog_tcp_listen_address") return address_or_off(config.syslog_tcp_listen_address);
  if (name == "syslog_tls_listen_address") return address_or_off(config.syslog_tls_listen_address);
  if (name == "syslog_tls_cert_file") return config.syslog_tls_cert_file;
  if (name == "syslog_tls_key_file") return config.syslog_tls_key_file;
  if (name == "syslog_tls_client_ca_file") return config.syslog_tls_client_ca_file;
  if (name == "syslog_allowed_sources") {
    std::vector<std::string> blocks;
    for (const Cidr& block : config.syslog_allowed_sources) blocks.push_back(format_cidr(block));
    return blocks.empty() ? "any" : fmt::format("{}", fmt::join(blocks, ","));
  }
  if (name == "syslog_tcp_max_connections") return std::to_string(config.syslog_tcp_max_connections);
  if (name == "syslog_host_label") return on_off(config.syslog_host_label);
  if (name == "kmsg") return on_off(config.kmsg);
  if (name == "kmsg_path") return config.kmsg_path;
  if (name == "kmsg_from_start") return on_off(config.kmsg_from_start);
  if (name == "replay") return config.replay;
  if (name == "once") return on_off(config.once);
  if (name == "wireguard_peer_table") return on_off(config.wireguard_peer_table);
  if (name == "wireguard_uapi_dir") return config.wireguard_uapi_dir;
  if (name == "wireguard_config_files") return config.wireguard_config_files;
  if (name == "peers_names_file") return config.peers_names_file;
  if (name == "peers_max") return std::to_string(config.peers_max);
  if (name == "interfaces_max") return std::to_string(config.interfaces_max);
  if (name == "hosts_max") return std::to_string(config.hosts_max);
  if (name == "endpoint_label") return on_off(config.endpoint_label);
  if (name == "log_level") return std::string(log_level_name(config.log_level));
  if (name == "log_format") return std::string(log_format_name(config.log_format));
  throw std::invalid_argument("no Config field named " + name);
}

std::vector<std::string> arguments_of(const testing::TsvRow& row, std::size_t first) {
  return {row.columns.begin() + static_cast<std::ptrdiff_t>(first), row.columns.end()};
}

std::vector<std::string> contract_flags() {
  std::ifstream in(testing::data_path("cli_flags.txt"));
  REQUIRE(in);
  std::vector<std::string> flags;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != '#') flags.push_back(line);
  }
  return flags;
}

// The flags named by the flag lines of the --help text ("  --kmsg, --no-kmsg",
// "  --peers.max=N"), without their placeholders.
std::set<std::string> flags_in(const std::string& help) {
  std::set<std::string> flags;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("  --")) continue;
    std::istringstream words(line);
    for (std::string word; words >> word;) flags.insert(word.substr(0, word.find_first_of("=,")));
  }
  return flags;
}

TEST_CASE("no flags gives the defaults of docs/cli.md") {
  const auto outcome = run({});
  REQUIRE(outcome.action == CommandLineOutcome::Action::run);
  CHECK(outcome.error.empty());
  CHECK(outcome.output.empty());
  const auto rows = read_tsv("config/defaults.tsv");
  CHECK(rows.size() == 27);  // one per Config field
  for (const auto& row : rows) {
    INFO("defaults.tsv line " << row.line_number << ": " << row.columns.at(0));
    CHECK(field(outcome.config, row.columns.at(0)) == row.columns.at(1));
  }
}

TEST_CASE("every accepted command line sets its field") {
  const auto rows = read_tsv("config/accepted.tsv");
  REQUIRE(rows.size() > 40);
  for (const auto& row : rows) {
    const auto args = arguments_of(row, 2);
    INFO("accepted.tsv line " << row.line_number << ": " << fmt::format("{}", fmt::join(args, " ")));
    const auto outcome = run(args);
    CHECK(outcome.error.empty());
    CHECK(outcome.action == CommandLineOutcome::Action::run);
    CHECK(field(outcome.config, row.columns.at(0)) == row.columns.at(1));
  }
}

TEST_CASE("every rejected command line exits 2 with one line naming the flag") {
  const auto rows = read_tsv("config/rejected.tsv");
  REQUIRE(rows.size() > 40);
  for (const auto& row : rows) {
    const auto args = arguments_of(row, 2);
    INFO("rejected.tsv line " << row.line_number << ": " << fmt::format("{}", fmt::join(args, " ")));
    const auto outcome = run(args);
    CHECK(outcome.action == CommandLineOutcome::Action::exit);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.output.empty());
    CHECK(outcome.error.find('\n') == std::string::npos);
    const std::string& flag = row.columns.at(0);
    if (flag != "-") CHECK_THAT(outcome.error, Catch::StartsWith(flag + ":"));
    CHECK_THAT(outcome.error, Catch::Contains(row.columns.at(1)));
  }
}

TEST_CASE("the tables use every flag of the contract") {
  std::set<std::string> used;
  for (const char* file : {"config/accepted.tsv", "config/rejected.tsv"}) {
    for (const auto& row : read_tsv(file)) {
      for (const auto& arg : arguments_of(row, 2)) used.insert(arg.substr(0, arg.find('=')));
    }
  }
  for (const auto& flag : contract_flags()) {
    if (flag == "--help" || flag == "--version") continue;  // their own test cases below
    INFO(flag);
    CHECK(used.count(flag) == 1);
  }
}

TEST_CASE("the help text lists exactly the flags of the contract, each with its meaning") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"--kmsg", "--help"}, {"--help", "--peers.max=0"},
        {"--version", "--help"}}) {
    INFO(fmt::format("{}", fmt::join(args, " ")));
    const auto outcome = run(args);
    CHECK(outcome.action == CommandLineOutcome::Action::exit);
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.error.empty());
    CHECK(outcome.output == command_line_help());
  }
  const std::string help = command_line_help();
  const auto contract = contract_flags();
  REQUIRE(contract.size() == 33);
  CHECK(flags_in(help) == std::set<std::string>(contract.begin(), contract.end()));
  for (const char* group : {"\nWeb:\n", "\nSyslog inputs:\n", "\nKernel log device:\n",
                            "\nReplay:\n", "\nLimits and labels:\n", "\nLogging:\n"}) {
    CHECK_THAT(help, Catch::Contains(group));
  }
  // Defaults are shown, one flag per sample.
  for (const char* shown : {"(default: :9588)", "(default: /metrics)", "(default: 127.0.0.1:9999)",
                            "(default: 64)", "(default: 10000)", "(default: 256)",
                            "(default: /dev/kmsg)", "(default: info)", "(default: on)"}) {
    CHECK_THAT(help, Catch::Contains(shown));
  }
  // Every flag line is followed by an indented line of meaning.
  std::istringstream lines(help);
  std::string line;
  std::string previous;
  int flag_lines = 0;
  while (std::getline(lines, line)) {
    if (previous.starts_with("  --")) {
      ++flag_lines;
      INFO(previous);
      CHECK(line.starts_with("      "));
      CHECK(line.size() > 10);
    }
    previous = line;
  }
  CHECK(flag_lines == 29);  // 33 flags, four of them listed with their --no- form
}

TEST_CASE("every flag of the contract is known to the parser") {
  for (const auto& flag : contract_flags()) {
    INFO(flag);
    const auto outcome = run({flag});
    CHECK_THAT(outcome.error, !Catch::Contains("unknown flag"));
  }
}

TEST_CASE("the version flag prints the program name and version") {
  const auto outcome = run({"--version"});
  CHECK(outcome.action == CommandLineOutcome::Action::exit);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output == "wireguard_events_exporter 1.2.3\n");
  CHECK(outcome.error.empty());
  // Like --help, it wins over a bad value but not over an unknown flag.
  CHECK(run({"--log.level=loud", "--version"}).exit_code == 0);
  CHECK(run({"--version", "--nope"}).exit_code == 2);
}

TEST_CASE("log level names round-trip") {
  for (LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    CHECK(log_level_from_name(log_level_name(level)) == level);
  }
  CHECK_FALSE(log_level_from_name("warning"));
}

TEST_CASE("log format names round-trip") {
  for (LogFormat format : {LogFormat::logfmt, LogFormat::json}) {
    CHECK(log_format_from_name(log_format_name(format)) == format);
  }
  CHECK_FALSE(log_format_from_name("text"));
}

TEST_CASE("an input is configured unless every one is off") {
  CHECK(has_input(run({}).config));
  CHECK_FALSE(has_input(run({"--syslog.udp-listen-address="}).config));
  CHECK(has_input(run({"--syslog.udp-listen-address=", "--kmsg"}).config));
  CHECK(has_input(run({"--syslog.udp-listen-address=", "--replay=x.log"}).config));
  CHECK(has_input(run({"--syslog.udp-listen-address=", "--syslog.tcp-listen-address=:601"}).config));
  CHECK(has_input(run({"--syslog.udp-listen-address=", "--syslog.tls-listen-address=:6514",
                       "--syslog.tls-cert-file=c", "--syslog.tls-key-file=k"}).config));
}

}  // namespace
}  // namespace wgevents
