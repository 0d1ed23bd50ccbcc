// Runs the real wireguard_events_exporter binary for a test: on free loopback ports, with
// its standard error kept in a file, stopped (SIGTERM, then SIGKILL) when the object dies.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wgevents::testing {

// A port that was free a moment ago on 127.0.0.1 (TCP and UDP both).
int free_port();
// 127.0.0.1:port, for bind(), connect() and sendto().
sockaddr_in loopback(int port);

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
};
// A plain HTTP/1.0 GET against 127.0.0.1; status 0 when nothing answered. `extra_headers`: whole
// header lines, each ending in CR LF.
HttpResponse http_get(int port, const std::string& path, const std::string& extra_headers = "");

// Metric samples of a text exposition page, keyed by the series as written:
// `wireguard_peers{interface="wg0"}` -> 3.
using Samples = std::map<std::string, double>;
Samples parse_samples(const std::string& page);
// The sum of every sample of `metric` whose series contains `label_filter` (may be empty).
double sum_of(const Samples& samples, const std::string& metric, const std::string& label_filter = "");

void send_udp(int port, const std::vector<std::string>& messages);
// One TCP connection sending every message, octet-counted (`LEN SP MSG`) or newline-framed.
void send_tcp(int port, const std::vector<std::string>& messages, bool octet_counting);

struct ExitStatus {
  int code = -1;  // exit status, or -signal when killed
  std::chrono::milliseconds took{0};
};

// Runs the exporter to completion (for --help, bad flags, --replay --once).
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};
RunResult run_exporter(const std::vector<std::string>& args, const std::string& stdin_file = "");

// A runtime error (exit status 1) is logged as a record `level=error msg="cannot start"
// err="..."`: the err values of such records in `log`, unquoted, in order.
std::vector<std::string> start_errors(const std::string& log);

class ExporterProcess {
 public:
  // What the constructor waits for: /-/ready answering 200 (or 401 with basic auth), or any
  // answer at all, for an input that ends by design (a file of kmsg records) and so leaves it
  // at 503. The web port opens after every input has started, so either means started.
  enum class WaitFor { ready, web_port };

  // Starts the binary with `args` plus --web.listen-address on a free port, unless args set
  // it. Waits as `wait_for` says (or until the process dies: then started() is false).
  explicit ExporterProcess(std::vector<std::string> args, WaitFor wait_for = WaitFor::ready);
  ~ExporterProcess();
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  bool started() const { return started_; }
  int web_port() const { return web_port_; }
  pid_t pid() const { return pid_; }
  std::string scrape_text() const;
  Samples scrape() const;
  // Scrapes until `metric` (summed over series matching the filter) reaches `value`, or the
  // timeout passes; returns the last scrape.
  Samples wait_for(const std::string& metric, const std::string& filter, double value,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Sends `signal` (SIGHUP to reload) to the running exporter.
  void send_signal(int signal) const;
  // SIGTERM, then waits up to `timeout` for the exit.
  ExitStatus terminate(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int web_port_ = 0;
  bool started_ = false;
  std::string stderr_path_;
};

// Path of the built exporter.
std::string exporter_binary();

}  // namespace wgevents::testing
