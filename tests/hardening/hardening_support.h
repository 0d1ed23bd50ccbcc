// What the hardening tests share: their sizes, a scrape with a deadline, the exporter's memory,
// a strict check of the exposition format, and a UDP sender that does not outrun the receiver.
//
// Every test here runs at a reduced size in CI and at full size from bench/hostile.sh, which
// sets the environment variables that scale() reads. Everything is on 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "exporter_process.h"

namespace wgevents::testing {

// The size a test runs at: the environment variable `name` when it is set to a positive whole
// number, else `ci_default`.
std::size_t scale(const char* name, std::size_t ci_default);

// A GET that gives up after `timeout` (status 0), so that a hung exporter fails a test instead
// of hanging it.
HttpResponse timed_get(int port, const std::string& path,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       const std::string& extra_headers = "");
// The page at /metrics with the deadline above; empty when it did not answer 200.
Samples timed_scrape(int web_port, std::string* page = nullptr);
// Scrapes until the sum of `metric` over series containing `filter` reaches `value` or the
// timeout passes; returns the last scrape.
Samples wait_until(int web_port, const std::string& metric, const std::string& filter, double value,
                   std::chrono::milliseconds timeout);
// Scrapes until `metric` summed over series containing `filter` holds still for 600 ms (or the
// timeout passes); returns the last scrape.
Samples wait_settled(int web_port, const std::string& metric, const std::string& filter,
                     std::chrono::milliseconds timeout);

// The exporter started with `--web.listen-address=127.0.0.1:<web_port>` (found in /proc), or -1.
pid_t exporter_pid(int web_port);

struct MemoryUsage {
  long rss_kib = -1;  // VmRSS: resident now
  long hwm_kib = -1;  // VmHWM: the most ever resident
};
MemoryUsage memory_of(pid_t pid);

// Whether this test binary (and so the exporter built with it) runs under AddressSanitizer,
// whose quarantine and shadow memory make resident sizes meaningless to bound.
bool under_address_sanitizer();

// The first way `page` breaks the Prometheus text format, or "" when it is valid: every line a
// `# HELP`/`# TYPE` comment or `name{label="value",...} number`, names and label names well
// formed, label values UTF-8 with only \\, \" and \n escapes, no label twice in a series, no
// series twice on the page.
std::string exposition_problem(const std::string& page);

// Every (label name, unescaped label value) on the page, in order.
std::vector<std::pair<std::string, std::string>> label_values(const std::string& page);

// Bytes queued in the receive buffer of the UDP socket bound to 127.0.0.1:port, from
// /proc/net/udp; 0 when there is no such socket.
std::size_t udp_queued_bytes(int port);

// The receive_buffer_bytes the exporter logged for its UDP input, or 0.
long logged_receive_buffer_bytes(const std::string& exporter_stderr);

// Sends datagrams to 127.0.0.1:port in sendmmsg(2) batches, waiting whenever more than
// `max_queued_bytes` wait in the receiver's buffer: a sender paced by the receiver, so that
// a slow (sanitizer) build is not flooded into drops. Counts what the kernel took.
class PacedUdpSender {
 public:
  PacedUdpSender(int port, std::size_t max_queued_bytes);
  ~PacedUdpSender();
  PacedUdpSender(const PacedUdpSender&) = delete;
  PacedUdpSender& operator=(const PacedUdpSender&) = delete;

  void send(const std::vector<std::string>& datagrams);
  std::size_t sent() const { return sent_; }
  std::size_t failed() const { return failed_; }  // refused by the local kernel (none expected)

 private:
  void wait_for_room();

  int fd_ = -1;
  int port_ = 0;
  std::size_t max_queued_bytes_ = 0;
  std::size_t sent_ = 0;
  std::size_t failed_ = 0;
};

// A client TCP connection to 127.0.0.1:port for abuse: connect, send raw bytes, and see whether
// the other side closed it.
class RawConnection {
 public:
  // `receive_buffer_bytes` > 0 sets SO_RCVBUF before connecting: a small window stalls the
  // sender sooner when this side never reads. `source`: the local address to connect from
  // (any of 127.0.0.0/8 works on Linux loopback), e.g. to be a sender outside an allowed range.
  explicit RawConnection(int port, int receive_buffer_bytes = 0, const char* source = nullptr);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends every byte (blocking); false when the connection broke.
  bool send_all(const std::string& bytes);
  // Sends without blocking as much as the socket takes; returns the bytes taken.
  std::size_t send_some(const std::string& bytes);
  // Whether the other side closed (EOF or reset) within `timeout`. Data that arrives meanwhile
  // is read and dropped.
  bool closed_by_peer(std::chrono::milliseconds timeout);
  void close();

 private:
  int fd_ = -1;
};

}  // namespace wgevents::testing
