// tcp_load: sends the lines of a log file as TCP syslog over many connections at once, as the
// rsyslog of many hosts would to one central collector, cycling through the file until N lines
// are sent; in the clear, or over TLS (RFC 5425) with --tls-ca.
//
//   tcp_load --file fleet.log --target 127.0.0.1:6514 --count 2000000 [--connections 100]
//            [--rate 100000] [--framing octet-counted|lf]
//            [--tls-ca ca.pem [--tls-cert client.pem --tls-key client.key]]
//
// With --tls-ca every connection shakes hands first (TLS 1.2 or later, the server's certificate
// checked against that CA), presenting the client certificate when one is given.
// Lines are dealt to the connections in blocks of 64 (block k on connection k mod C), each line
// framed octet-counted (RFC 6587, as rsyslog's TCP_Framing="octet-counted") or newline-terminated.
// Writes block: TCP pushes back when the receiver falls behind, so nothing is lost and the
// achieved rate is what the receiver sustains. With --rate the blocks are paced to that many
// lines per second on average. All connections are opened before the first line is sent; after
// the last, each is ended (FIN) and the tool waits until the receiver closes it, which the
// exporter does once it has read every line before the end. So `seconds` runs from the first
// write until the receiver took in the last line. The last line of output is machine-readable:
//
//   sent=2000000 bytes=232597266 seconds=9.871 rate=202614
//
// Used by bench/fleet/fleet_bench.sh; method and results in docs/performance.md.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
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

// Lines per write: large enough that the system call cost vanishes, small enough that the
// connections interleave finely.
constexpr std::size_t kBlockLines = 64;
// The largest frame a syslog receiver here accepts (SyslogFrameDecoder::kMaxFrameBytes).
constexpr std::size_t kMaxLineBytes = 65535;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start && end - start <= kMaxLineBytes) lines.emplace_back(text, start, end - start);
    start = end + 1;
  }
  if (lines.empty()) throw std::runtime_error(path + " has no lines");
  return lines;
}

std::string openssl_error(const std::string& what) {
  char text[256];
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  return what + ": " + text;
}

// One sender's connection: a socket, and its TLS session when TLS is on.
struct Connection {
  int fd = -1;
  SSL* tls = nullptr;
};

void write_all(const Connection& connection, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    if (connection.tls != nullptr) {
      int n = SSL_write(connection.tls, bytes.data() + done, static_cast<int>(bytes.size() - done));
      if (n <= 0) throw std::runtime_error(openssl_error("SSL_write"));
      done += static_cast<std::size_t>(n);
      continue;
    }
    ssize_t n = ::write(connection.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("write: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

// A client context trusting `ca` for the server, presenting `cert` and `key` when given.
SSL_CTX* tls_client_context(const std::string& ca, const std::string& cert, const std::string& key) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) throw std::runtime_error(openssl_error("SSL_CTX_new"));
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context, ca.c_str(), nullptr) != 1) {
    throw std::runtime_error(openssl_error("--tls-ca " + ca));
  }
  if (!cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(context, cert.c_str()) != 1) {
      throw std::runtime_error(openssl_error("--tls-cert " + cert));
    }
    if (SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error(openssl_error("--tls-key " + key));
    }
  }
  return context;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description flags("tcp_load: send a log file's lines as TCP syslog over many connections");
  flags.add_options()
      ("help", "print this help")
      ("file", po::value<std::string>()->required(), "log file; one message per line, cycled")
      ("target", po::value<std::string>()->default_value("127.0.0.1:6514"), "host:port or [v6]:port")
      ("count", po::value<std::uint64_t>()->default_value(1000000), "lines to send")
      ("connections", po::value<std::size_t>()->default_value(100), "connections, opened together (1 to 10000)")
      ("rate", po::value<double>()->default_value(0), "lines per second; 0 sends as fast as the receiver takes them")
      ("framing", po::value<std::string>()->default_value("octet-counted"), "octet-counted or lf")
      ("tls-ca", po::value<std::string>()->default_value(""), "speak TLS, trusting this CA (PEM) for the server")
      ("tls-cert", po::value<std::string>()->default_value(""), "client certificate (PEM) to present over TLS")
      ("tls-key", po::value<std::string>()->default_value(""), "its private key (PEM)");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, flags), vm);
    if (vm.count("help") != 0) {
      std::cout << flags << '\n';
      return 0;
    }
    po::notify(vm);
    const auto count = vm["count"].as<std::uint64_t>();
    const auto connections = vm["connections"].as<std::size_t>();
    const auto rate = vm["rate"].as<double>();
    const std::string framing = vm["framing"].as<std::string>();
    if (connections < 1 || connections > 10000) throw std::invalid_argument("--connections must be 1 to 10000");
    if (rate < 0) throw std::invalid_argument("--rate must not be negative");
    if (framing != "octet-counted" && framing != "lf") throw std::invalid_argument("--framing must be octet-counted or lf");
    const bool octet_counted = framing == "octet-counted";

    const std::vector<std::string> lines = read_lines(vm["file"].as<std::string>());
    const std::string tls_ca = vm["tls-ca"].as<std::string>();
    const std::string tls_cert = vm["tls-cert"].as<std::string>();
    const std::string tls_key = vm["tls-key"].as<std::string>();
    if (tls_cert.empty() != tls_key.empty()) throw std::invalid_argument("--tls-cert and --tls-key go together");
    if (!tls_cert.empty() && tls_ca.empty()) throw std::invalid_argument("--tls-cert needs --tls-ca");
    SSL_CTX* tls_context = tls_ca.empty() ? nullptr : tls_client_context(tls_ca, tls_cert, tls_key);

    std::vector<Connection> fds;
    const auto handshake_start = Clock::now();
    for (std::size_t c = 0; c < connections; ++c) {
      Connection connection;
      connection.fd = wgevents::bench::connect_target(vm["target"].as<std::string>(), SOCK_STREAM);
      if (tls_context != nullptr) {
        connection.tls = SSL_new(tls_context);
        SSL_set_fd(connection.tls, connection.fd);
        SSL_set_tlsext_host_name(connection.tls, "localhost");
        SSL_set1_host(connection.tls, "localhost");
        if (SSL_connect(connection.tls) != 1) throw std::runtime_error(openssl_error("TLS handshake"));
      }
      fds.push_back(connection);
    }
    const double connect_seconds = std::chrono::duration<double>(Clock::now() - handshake_start).count();

    std::uint64_t sent = 0;
    std::uint64_t bytes = 0;
    std::size_t next_line = 0;
    std::size_t next_connection = 0;
    std::string block;
    const auto start = Clock::now();
    while (sent < count) {
      if (rate > 0) {
        // Pace by schedule, not by sleeping a fixed gap: a late block is followed by early ones.
        const std::chrono::duration<double> offset(static_cast<double>(sent) / rate);
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(offset));
      }
      block.clear();
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBlockLines, count - sent));
      for (std::size_t i = 0; i < n; ++i) {
        const std::string& line = lines[next_line];
        next_line = next_line + 1 == lines.size() ? 0 : next_line + 1;
        if (octet_counted) {
          block += std::to_string(line.size());
          block += ' ';
          block += line;
        } else {
          block += line;
          block += '\n';
        }
      }
      write_all(fds[next_connection], block);
      next_connection = next_connection + 1 == fds.size() ? 0 : next_connection + 1;
      sent += n;
      bytes += block.size();
    }
    // End of stream on every connection, then wait for the receiver to close each: it does so
    // once it has read everything before the end, so from then on every line was taken in.
    // Reading until then also keeps the receive queue empty (a TLS server sends session
    // tickets), so the close is a FIN: closing with unread bytes would send a reset, and a reset
    // makes the receiver's kernel discard what it had not read yet.
    for (const Connection& connection : fds) {
      if (connection.tls != nullptr) SSL_shutdown(connection.tls);  // close_notify
      shutdown(connection.fd, SHUT_WR);
    }
    std::size_t not_closed = 0;
    for (const Connection& connection : fds) {
      // Bounded: a receiver that never closes costs at most a minute per connection.
      const timeval limit{60, 0};
      setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      char scratch[4096];
      for (;;) {
        ssize_t n = ::read(connection.fd, scratch, sizeof scratch);
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++not_closed;
        break;
      }
      if (connection.tls != nullptr) SSL_free(connection.tls);
      close(connection.fd);
    }
    if (not_closed > 0) std::fprintf(stderr, "tcp_load: %zu connections not closed by the receiver\n", not_closed);
    if (tls_context != nullptr) SSL_CTX_free(tls_context);
    std::fprintf(stderr, "tcp_load: %zu connections%s opened in %.3f s\n", connections,
                 tls_context != nullptr ? " (TLS)" : "", connect_seconds);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("sent=%llu bytes=%llu seconds=%.3f rate=%.0f\n", static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(bytes), seconds, seconds > 0 ? static_cast<double>(sent) / seconds : 0);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcp_load: %s\n", e.what());
    return 2;
  }
}
