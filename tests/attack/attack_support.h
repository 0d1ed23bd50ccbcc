// What every attack shares: an exporter under attack is scraped at a steady pace, its memory read
// before and under attack, and SIGTERM timed while the attackers are still at it. The result is
// one line on standard output (and in $WGEVENTS_ATTACK_REPORT, when set, for bench/attack/):
//
//   attack=peer_churn seconds=3 scrapes=12 ok=12 success=100.0% rss_before_kib=9876
//   rss_under_kib=10020 hwm_kib=10400 shutdown_ms=12 exit=0
//
// Targets (docs/reliability.md): at least 95 % of scrapes succeed, VmHWM under 64 MiB (not
// checked under AddressSanitizer), SIGTERM exits 0 within one second.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "hardening_support.h"

namespace wgevents::testing {

// How long each attack lasts: $WGEVENTS_ATTACK_SECONDS, else 3 (CI).
std::chrono::seconds attack_duration();

// Attacker threads that run until the attack ends. Each function is called with the flag that
// turns true when it is time to stop, and must return soon after.
class Attackers {
 public:
  ~Attackers() { stop(); }
  void add(std::function<void(const std::atomic<bool>& stop)> attacker);
  void stop();

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Fewest scrapes an attack is judged on.
inline constexpr int kMinScrapes = 5;

struct AttackResult {
  int scrapes = 0;
  int ok = 0;
  long rss_before_kib = -1;
  long rss_under_kib = -1;
  long hwm_kib = -1;
  ExitStatus shutdown;
  double success() const { return scrapes == 0 ? 0 : 100.0 * ok / scrapes; }
};

// One scrape as the attack's victim would take it; true when it got what it should.
using Scrape = std::function<bool()>;

// Scrapes every `interval` for attack_duration() while `attackers` run (they are started by the
// caller; `ramp_up` lets them take hold first), then reads memory, sends SIGTERM with the
// attackers still going (unless `stop_before_sigterm`: for attackers that send signals, which the
// exporter no longer handles once it is shutting down), stops them, and reports under `name`.
AttackResult run_attack(const std::string& name, ExporterProcess& exporter, Attackers& attackers, const Scrape& scrape,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(200),
                        std::chrono::milliseconds ramp_up = std::chrono::milliseconds(500),
                        bool stop_before_sigterm = false);

// The targets above, as Catch2 checks.
void check_targets(const AttackResult& result);

// A scrape of /metrics that must answer 200 with a whole, valid page within `timeout`.
bool good_scrape(int web_port, const std::string& extra_headers = "",
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A TLS client's files: the CA it checks the server with, and its own certificate and key (empty:
// none).
struct TlsIdentity {
  std::string ca;
  std::string certificate;
  std::string key;
};

// A GET over TLS 1.3 on a fresh connection (OpenSSL, blocking, every step within `timeout`);
// status 0 when the handshake or the exchange failed.
HttpResponse tls_get(int port, const TlsIdentity& identity, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5),
                     const std::string& extra_headers = "");

// Connects over TLS, sends `bytes` and closes (with close_notify); true when every byte went out.
bool tls_send(int port, const TlsIdentity& identity, const std::string& bytes,
              std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Whether the other end has closed this connected socket (TCP state no longer ESTABLISHED), for
// attackers that never read and so never see the end of the stream.
bool closed_by_server(int fd);

// A TCP connection to 127.0.0.1:port with a small receive buffer, or -1.
int connect_loopback(int port, int receive_buffer_bytes = 0, const char* source = nullptr);

// "--name=127.0.0.1:port".
std::string flag(const std::string& name, int port);
// A kernel line's syslog header up to the module's prefix; the event's text follows.
inline const std::string kHeader = "<4>Nov 24 10:00:00 gw1 kernel: wireguard: ";
// The attackers' host; the victims' is 127.0.0.1 (both are loopback addresses).
inline constexpr const char* kAttacker = "127.0.0.2";

// `count` attackers' connections in one thread, each made by `open` (returns a socket or -1) and
// made again as soon as the exporter closes it. `poke` runs on each live connection every
// `every` (e.g. to send one more byte).
void hold_connections(Attackers& attackers, int count, std::function<int()> open,
                      std::function<void(int fd)> poke = {},
                      std::chrono::milliseconds every = std::chrono::milliseconds(100));
// Sends all of `text` at once without blocking; false if the socket took less.
bool send_text(int fd, const std::string& text);

}  // namespace wgevents::testing
