#include "hardening_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace wgevents::testing {
namespace {

using Clock = std::chrono::steady_clock;

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kLeast[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool metric_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}
bool label_name_char(char c, bool first) { return c != ':' && metric_name_char(c, first); }

// One sample line: name, labels (unescaped values) and value text. Returns a problem or "".
struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string value;
};

std::string parse_sample(std::string_view line, Sample& out) {
  std::size_t i = 0;
  while (i < line.size() && metric_name_char(line[i], i == 0)) ++i;
  if (i == 0) return "bad metric name";
  out.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    std::set<std::string> seen;
    while (i < line.size() && line[i] != '}') {
      std::size_t start = i;
      while (i < line.size() && label_name_char(line[i], i == start)) ++i;
      if (i == start) return "bad label name";
      std::string name(line.substr(start, i - start));
      if (!seen.insert(name).second) return "label " + name + " twice";
      if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return "label without =\"";
      i += 2;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= line.size()) return "escape at end of line";
          char e = line[i++];
          if (e == '\\') value += '\\';
          else if (e == '"') value += '"';
          else if (e == 'n') value += '\n';
          else return std::string("unknown escape \\") + e;
        } else {
          value += c;
        }
      }
      if (!closed) return "unterminated label value";
      if (!valid_utf8(value)) return "label value not UTF-8";
      out.labels.emplace_back(std::move(name), std::move(value));
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return "no space before the value";
  ++i;
  std::string_view rest = line.substr(i);
  std::size_t space = rest.find(' ');
  out.value = std::string(rest.substr(0, space));
  static const std::regex number(R"([-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|Inf|NaN))");
  if (!std::regex_match(out.value, number)) return "bad value " + out.value;
  if (space != std::string_view::npos) {
    static const std::regex timestamp(R"(-?\d+)");
    if (!std::regex_match(std::string(rest.substr(space + 1)), timestamp)) return "bad timestamp";
  }
  return "";
}

}  // namespace

std::size_t scale(const char* name, std::size_t ci_default) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return ci_default;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  return (*end == '\0' && value > 0) ? static_cast<std::size_t>(value) : ci_default;
}

HttpResponse timed_get(int port, const std::string& path, std::chrono::milliseconds timeout,
                       const std::string& extra_headers) {
  HttpResponse response;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  set_timeouts(fd, timeout);
  sockaddr_in addr = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return response;
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return response;
  }
  const auto deadline = Clock::now() + timeout;
  std::string raw;
  char buffer[65536];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) {
    raw.append(buffer, static_cast<std::size_t>(n));
    if (Clock::now() > deadline) break;
  }
  const bool complete = n == 0;
  ::close(fd);
  auto end = raw.find("\r\n\r\n");
  if (!complete || raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return response;
  response.status = std::atoi(raw.c_str() + 9);
  response.headers = raw.substr(0, end);
  response.body = raw.substr(end + 4);
  // A chunked body would need decoding; HTTP/1.0 requests get a plain one.
  return response;
}

Samples timed_scrape(int web_port, std::string* page) {
  HttpResponse r = timed_get(web_port, "/metrics");
  if (page != nullptr) *page = r.status == 200 ? r.body : std::string();
  return r.status == 200 ? parse_samples(r.body) : Samples{};
}

Samples wait_until(int web_port, const std::string& metric, const std::string& filter, double value,
                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Samples s = timed_scrape(web_port);
  while (sum_of(s, metric, filter) < value && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s = timed_scrape(web_port);
  }
  return s;
}

Samples wait_settled(int web_port, const std::string& metric, const std::string& filter,
                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Samples s = timed_scrape(web_port);
  double last = sum_of(s, metric, filter);
  int same = 0;
  while (same < 3 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    s = timed_scrape(web_port);
    double now = sum_of(s, metric, filter);
    same = (now == last && !s.empty()) ? same + 1 : 0;
    last = now;
  }
  return s;
}

pid_t exporter_pid(int web_port) {
  const std::string wanted = "--web.listen-address=127.0.0.1:" + std::to_string(web_port);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  pid_t found = -1;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    std::size_t start = 0;
    for (std::size_t i = 0; i < cmdline.size(); ++i) {
      if (cmdline[i] == '\0') {
        args.push_back(cmdline.substr(start, i - start));
        start = i + 1;
      }
    }
    if (args.empty() || args[0].find("wireguard_events_exporter") == std::string::npos) continue;
    for (const auto& a : args) {
      if (a == wanted) found = static_cast<pid_t>(pid);
    }
    if (found > 0) break;
  }
  closedir(proc);
  return found;
}

MemoryUsage memory_of(pid_t pid) {
  MemoryUsage usage;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") in >> usage.rss_kib;
    else if (key == "VmHWM:") in >> usage.hwm_kib;
    in.ignore(1 << 20, '\n');
  }
  return usage;
}

bool under_address_sanitizer() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

std::string exposition_problem(const std::string& page) {
  if (page.empty()) return "empty page";
  if (page.back() != '\n') return "page does not end with a line feed";
  std::set<std::string> series;
  std::istringstream in(page);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = "line " + std::to_string(number) + ": ";
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        std::string_view rest = std::string_view(line).substr(7);
        std::size_t i = 0;
        while (i < rest.size() && metric_name_char(rest[i], i == 0)) ++i;
        if (i == 0 || i >= rest.size() || rest[i] != ' ') return where + "bad HELP/TYPE line";
        if (!valid_utf8(rest)) return where + "HELP not UTF-8";
      }
      continue;
    }
    Sample sample;
    std::string problem = parse_sample(line, sample);
    if (!problem.empty()) return where + problem;
    const std::string key = line.substr(0, line.size() - sample.value.size() - 1);
    if (!series.insert(key).second) return where + "series twice: " + key;
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> label_values(const std::string& page) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample sample;
    if (parse_sample(line, sample).empty()) {
      for (auto& l : sample.labels) out.push_back(std::move(l));
    }
  }
  return out;
}

std::size_t udp_queued_bytes(int port) {
  char wanted[32];
  std::snprintf(wanted, sizeof wanted, "0100007F:%04X", port);
  std::ifstream in("/proc/net/udp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (local != wanted) continue;
    auto colon = queues.find(':');
    if (colon == std::string::npos) return 0;
    return static_cast<std::size_t>(std::stoull(queues.substr(colon + 1), nullptr, 16));
  }
  return 0;
}

long logged_receive_buffer_bytes(const std::string& exporter_stderr) {
  static const std::regex granted(R"(transport=udp .*receive_buffer_bytes=(\d+))");
  std::smatch m;
  if (std::regex_search(exporter_stderr, m, granted)) return std::stol(m[1]);
  return 0;
}

PacedUdpSender::PacedUdpSender(int port, std::size_t max_queued_bytes)
    : fd_(socket(AF_INET, SOCK_DGRAM, 0)), port_(port), max_queued_bytes_(max_queued_bytes) {
  sockaddr_in addr = loopback(port);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot open a UDP socket");
  }
  int big = 4 * 1024 * 1024;
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
}

PacedUdpSender::~PacedUdpSender() {
  if (fd_ >= 0) ::close(fd_);
}

void PacedUdpSender::wait_for_room() {
  // The receiver drains its queue unless it hangs: a minute without room is a failure.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (udp_queued_bytes(port_) > max_queued_bytes_) {
    if (Clock::now() > deadline) throw std::runtime_error("the receiver stopped reading its UDP socket");
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

void PacedUdpSender::send(const std::vector<std::string>& datagrams) {
  constexpr std::size_t kBatch = 64;
  std::vector<mmsghdr> headers(kBatch);
  std::vector<iovec> iovs(kBatch);
  std::size_t next = 0;
  while (next < datagrams.size()) {
    wait_for_room();
    const std::size_t count = std::min(kBatch, datagrams.size() - next);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string& d = datagrams[next + i];
      iovs[i].iov_base = const_cast<char*>(d.data());
      iovs[i].iov_len = d.size();
      headers[i] = mmsghdr{};
      headers[i].msg_hdr.msg_iov = &iovs[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd_, headers.data(), static_cast<unsigned>(count), 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) continue;
      ++failed_;  // this one datagram cannot be sent (EMSGSIZE): skip it
      ++next;
      continue;
    }
    sent_ += static_cast<std::size_t>(r);
    next += static_cast<std::size_t>(r);
  }
}

RawConnection::RawConnection(int port, int receive_buffer_bytes, const char* source)
    : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr = loopback(port);
  set_timeouts(fd_, std::chrono::seconds(10));
  if (receive_buffer_bytes > 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  if (source != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      close();
      return;
    }
  }
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
}

RawConnection::~RawConnection() { close(); }

bool RawConnection::send_all(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

std::size_t RawConnection::send_some(const std::string& bytes) {
  if (fd_ < 0) return 0;
  ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) return false;
    if (r < 0) continue;
    char buffer[4096];
    ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return true;  // reset
  }
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace wgevents::testing
