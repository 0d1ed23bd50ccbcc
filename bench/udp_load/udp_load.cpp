// udp_load: sends the lines of a log file as UDP syslog datagrams, one line per datagram (as
// rsyslog forwards with `kern.* @host:port`), cycling through the file until N are sent.
//
//   udp_load --file corpus.log --target 127.0.0.1:9999 --count 1000000 [--rate 50000] [--batch 64]
//            [--newline]
//
// rsyslog's forwarding templates send no line feed at the end of a datagram; --newline adds one,
// for receivers that only take a line once it ends (mtail's udp:// input).
//
// Flat out (no --rate) it sends as fast as one thread and sendmmsg(2) can: on loopback the
// kernel delivers each datagram to the receiver's socket buffer during the call, so nothing
// slows the sender down and whatever the receiver cannot keep up with is dropped at its socket
// (the receiver's SO_RXQ_OVFL count). With --rate it paces batches to that many datagrams per
// second on average. The last line of output is machine-readable:
//
//   sent=1000000 bytes=116298633 seconds=0.912 rate=1096491
//
// Used by bench/udp_flood.sh; method and results in docs/performance.md.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "connect_target.h"

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

namespace {

// The largest UDP payload over IPv4; a longer line is cut there (a corpus has none).
constexpr std::size_t kMaxDatagramBytes = 65507;

// The file's lines, without their newlines, as views into one buffer. Empty lines are kept out:
// an empty datagram is not a syslog message.
struct LineSet {
  std::string text;
  std::vector<std::string_view> lines;
};

LineSet read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  LineSet set;
  set.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::size_t start = 0;
  while (start < set.text.size()) {
    std::size_t end = set.text.find('\n', start);
    if (end == std::string::npos) end = set.text.size();
    std::size_t length = std::min(end - start, kMaxDatagramBytes);
    if (length > 0) set.lines.emplace_back(set.text.data() + start, length);
    start = end + 1;
  }
  if (set.lines.empty()) throw std::runtime_error(path + " has no lines");
  return set;
}

struct LoadResult {
  std::uint64_t sent = 0;
  std::uint64_t bytes = 0;
  std::uint64_t send_errors = 0;  // datagrams the sending kernel refused (ECONNREFUSED, ENOBUFS)
  double seconds = 0;
};

// Sends `count` datagrams in batches of `batch`; `rate` 0 means as fast as possible.
LoadResult send_load(int fd, const LineSet& set, std::uint64_t count, std::size_t batch, double rate,
                     bool newline) {
  static char line_feed[] = "\n";
  std::vector<iovec> iov(2 * batch);  // per datagram: the line, then the optional line feed
  std::vector<mmsghdr> headers(batch);
  LoadResult result;
  std::uint64_t attempted = 0;  // sent or refused
  std::size_t next_line = 0;
  const auto start = Clock::now();
  while (attempted < count) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, count - attempted));
    if (rate > 0) {
      // Pace by schedule, not by sleeping a fixed gap: a late batch is followed by early ones.
      const std::chrono::duration<double> offset(static_cast<double>(attempted) / rate);
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(offset));
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view line = set.lines[next_line];
      next_line = next_line + 1 == set.lines.size() ? 0 : next_line + 1;
      iov[2 * i].iov_base = const_cast<char*>(line.data());
      iov[2 * i].iov_len = line.size();
      iov[2 * i + 1].iov_base = line_feed;
      iov[2 * i + 1].iov_len = 1;
      headers[i] = mmsghdr{};
      headers[i].msg_hdr.msg_iov = &iov[2 * i];
      headers[i].msg_hdr.msg_iovlen = newline ? 2 : 1;
    }
    std::size_t done = 0;
    while (done < n) {
      int rc = sendmmsg(fd, headers.data() + done, static_cast<unsigned>(n - done), 0);
      if (rc < 0) {
        if (errno == EINTR) continue;
        // A refused or unbufferable datagram: count it and move on, so the total stays N.
        if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) {
          ++result.send_errors;
          ++done;
          continue;
        }
        throw std::runtime_error(std::string("sendmmsg: ") + std::strerror(errno));
      }
      for (int i = 0; i < rc; ++i) result.bytes += headers[done + static_cast<std::size_t>(i)].msg_len;
      result.sent += static_cast<std::uint64_t>(rc);
      done += static_cast<std::size_t>(rc);
    }
    attempted += n;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description flags("udp_load: send a log file's lines as UDP syslog datagrams");
  flags.add_options()
      ("help", "print this help")
      ("file", po::value<std::string>()->required(), "log file; one datagram per line, cycled")
      ("target", po::value<std::string>()->default_value("127.0.0.1:9999"), "host:port or [v6]:port")
      ("count", po::value<std::uint64_t>()->default_value(1000000), "datagrams to send")
      ("rate", po::value<double>()->default_value(0), "datagrams per second; 0 sends flat out")
      ("batch", po::value<std::size_t>()->default_value(64), "datagrams per sendmmsg(2) call (1 to 1024)")
      ("newline", "end every datagram with a line feed");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, flags), vm);
    if (vm.count("help") != 0) {
      std::cout << flags << '\n';
      return 0;
    }
    po::notify(vm);
    const auto batch = vm["batch"].as<std::size_t>();
    const auto rate = vm["rate"].as<double>();
    if (batch < 1 || batch > 1024) throw std::invalid_argument("--batch must be 1 to 1024 (UIO_MAXIOV)");
    if (rate < 0) throw std::invalid_argument("--rate must not be negative");

    const LineSet set = read_lines(vm["file"].as<std::string>());
    const int fd = wgevents::bench::connect_target(vm["target"].as<std::string>(), SOCK_DGRAM);
    const LoadResult r = send_load(fd, set, vm["count"].as<std::uint64_t>(), batch, rate,
                                     vm.count("newline") != 0);
    close(fd);

    const double achieved = r.seconds > 0 ? static_cast<double>(r.sent) / r.seconds : 0;
    if (r.send_errors > 0) std::fprintf(stderr, "udp_load: %llu datagrams refused by the sending kernel\n",
                                        static_cast<unsigned long long>(r.send_errors));
    std::printf("sent=%llu bytes=%llu seconds=%.3f rate=%.0f\n", static_cast<unsigned long long>(r.sent),
                static_cast<unsigned long long>(r.bytes), r.seconds, achieved);
    return r.send_errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "udp_load: %s\n", e.what());
    return 2;
  }
}
