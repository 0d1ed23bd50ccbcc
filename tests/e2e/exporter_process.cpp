#include "exporter_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <random>
#include <thread>

extern char** environ;

namespace wgevents::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_path(const char* what) {
  std::string templ = std::string("/tmp/wgevents-test-") + what + "-XXXXXX";
  int fd = mkstemp(templ.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  return templ;
}

// posix_spawn with stdout/stderr sent to files and stdin from a file (or /dev/null).
pid_t spawn(const std::vector<std::string>& args, const std::string& in, const std::string& out,
            const std::string& err) {
  std::vector<char*> argv;
  std::string binary = exporter_binary();
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.empty() ? "/dev/null" : in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
  return pid;
}

ExitStatus wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  ExitStatus status;
  while (true) {
    int raw = 0;
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (r == pid) {
      status.code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -WTERMSIG(raw);
      break;
    }
    if (std::chrono::steady_clock::now() - start > timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, &raw, 0);
      status.code = -SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  status.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return status;
}

// Whether something listens on 127.0.0.1:port.
bool listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return connected;
}

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::string exporter_binary() { return std::string(WGEVENTS_BINARY_DIR) + "/wireguard_events_exporter"; }

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A port free on 127.0.0.1 for both TCP and UDP, chosen at random below the kernel's ephemeral
// range (from 32768): a port handed out for port 0 is what every outgoing connection of the
// parallel tests gets too, and one could take it before the exporter binds it.
int free_port() {
  thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> ports(10000, 31999);
  for (;;) {
    const int port = ports(random);
    bool free = true;
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
      const int fd = socket(AF_INET, type, 0);
      sockaddr_in addr = loopback(port);
      free = free && fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      if (fd >= 0) close(fd);
    }
    if (free) return port;
  }
}

HttpResponse http_get(int port, const std::string& path, const std::string& extra_headers) {
  HttpResponse response;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return response;
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return response;
  }
  std::string raw;
  char buffer[65536];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) raw.append(buffer, static_cast<std::size_t>(n));
  close(fd);
  auto end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return response;
  response.status = std::atoi(raw.c_str() + 9);
  response.headers = raw.substr(0, end);
  response.body = raw.substr(end + 4);
  return response;
}

Samples parse_samples(const std::string& page) {
  Samples samples;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return samples;
}

double sum_of(const Samples& samples, const std::string& metric, const std::string& label_filter) {
  double sum = 0;
  for (const auto& [series, value] : samples) {
    bool same_metric = series.rfind(metric, 0) == 0 &&
                       (series.size() == metric.size() || series[metric.size()] == '{');
    if (same_metric && series.find(label_filter) != std::string::npos) sum += value;
  }
  return sum;
}

void send_udp(int port, const std::vector<std::string>& messages) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = loopback(port);
  for (const auto& m : messages) {
    sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  close(fd);
}

void send_tcp(int port, const std::vector<std::string>& messages, bool octet_counting) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("cannot connect to the TCP input");
  }
  std::string stream;
  for (const auto& m : messages) {
    stream += octet_counting ? std::to_string(m.size()) + " " + m : m + "\n";
  }
  std::size_t sent = 0;
  while (sent < stream.size()) {
    ssize_t n = send(fd, stream.data() + sent, stream.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  close(fd);
}

RunResult run_exporter(const std::vector<std::string>& args, const std::string& stdin_file) {
  std::string out = temp_path("out"), err = temp_path("err");
  pid_t pid = spawn(args, stdin_file, out, err);
  ExitStatus status = wait_exit(pid, std::chrono::seconds(60));
  RunResult result{status.code, read_file(out), read_file(err)};
  unlink(out.c_str());
  unlink(err.c_str());
  return result;
}

ExporterProcess::ExporterProcess(std::vector<std::string> args, WaitFor wait_for) {
  // The host's own WireGuard tables (and other tests' wireguard-go sockets in the shared
  // /var/run/wireguard) stay out of tests that do not ask for them.
  bool identity = false;
  for (const auto& arg : args) {
    if (arg.find("--wireguard.") == 0 || arg.find("--no-wireguard.") == 0 || arg.find("--peers.names-file") == 0) {
      identity = true;
    }
  }
  if (!identity) args.push_back("--no-wireguard.peer-table");
  if (!has_flag(args, "--web.listen-address")) {
    web_port_ = free_port();
    args.push_back("--web.listen-address=127.0.0.1:" + std::to_string(web_port_));
  }
  stderr_path_ = temp_path("stderr");
  pid_ = spawn(args, "", "/dev/null", stderr_path_);
  // A web configuration may make the port speak TLS only, which a plain GET cannot tell.
  const bool web_config = has_flag(args, "--web.config.file");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    // 401: basic auth is on. The web port opens after every input, so any answer means ready
    // (with a web configuration, so does a port that accepts).
    const int status = web_config ? (listening(web_port_) ? 200 : 0) : http_get(web_port_, "/-/ready").status;
    if (status == 200 || status == 401 || (wait_for == WaitFor::web_port && status > 0)) {
      started_ = true;
      return;
    }
    int raw;
    if (waitpid(pid_, &raw, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ExporterProcess::~ExporterProcess() {
  if (pid_ > 0) terminate();
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

std::string ExporterProcess::scrape_text() const { return http_get(web_port_, "/metrics").body; }

Samples ExporterProcess::scrape() const { return parse_samples(scrape_text()); }

Samples ExporterProcess::wait_for(const std::string& metric, const std::string& filter, double value,
                                  std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Samples samples = scrape();
  while (sum_of(samples, metric, filter) < value && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    samples = scrape();
  }
  return samples;
}

void ExporterProcess::send_signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

ExitStatus ExporterProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return {};
  kill(pid_, SIGTERM);
  ExitStatus status = wait_exit(pid_, timeout);
  pid_ = -1;
  return status;
}

std::string ExporterProcess::stderr_text() const { return read_file(stderr_path_); }

std::vector<std::string> start_errors(const std::string& log) {
  std::vector<std::string> errors;
  std::istringstream lines(log);
  const std::string prefix = "level=error msg=\"cannot start\" err=\"";
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find(prefix);
    if (at == std::string::npos) continue;
    std::string value;
    for (auto i = at + prefix.size(); i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      value += line[i];
    }
    errors.push_back(value);
  }
  return errors;
}

}  // namespace wgevents::testing
