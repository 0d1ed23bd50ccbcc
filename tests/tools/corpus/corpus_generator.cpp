#include "corpus_generator.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <random>
#include <stdexcept>

#include "kernel_printf.h"

namespace wgevents::corpus {
namespace {

// ---------------------------------------------------------------------------------------------
// The `event` label values (docs/events.md), in the order of the kernel's tables.

enum class PeerEvent : std::uint8_t {
  handshake_initiation_received,
  handshake_response_received,
  keepalive_received,
  unallowed_src_ip,
  invalid_packet_type,
  invalid_packet_size,
  handshake_initiation_sent,
  handshake_response_sent,
  keepalive_sent,
  handshake_gave_up,
  handshake_retry,
  handshake_stale_retry,
  keys_zeroed,
  peer_created,
  peer_destroyed,
  no_endpoint,
  keypair_created,
  keypair_destroyed,
  packet_delivery_failed,
};
constexpr std::size_t kPeerEventCount = 19;
constexpr std::array<std::string_view, kPeerEventCount> kPeerEventNames = {
    "handshake_initiation_received", "handshake_response_received", "keepalive_received",
    "unallowed_src_ip", "invalid_packet_type", "invalid_packet_size",
    "handshake_initiation_sent", "handshake_response_sent", "keepalive_sent",
    "handshake_gave_up", "handshake_retry", "handshake_stale_retry", "keys_zeroed",
    "peer_created", "peer_destroyed", "no_endpoint", "keypair_created", "keypair_destroyed",
    "packet_delivery_failed",
};

enum class InterfaceEvent : std::uint8_t {
  cookie_decrypt_failed,
  cookie_response_received,
  invalid_mac,
  invalid_handshake_initiation,
  invalid_handshake_response,
  invalid_nonce,
  handshake_dropped,
  cookie_response_sent,
  invalid_ip_packet,
  no_allowed_ips_match,
  no_route,
  interface_created,
  interface_destroyed,
  namespace_exiting,
  routing_loop_avoided,
  invalid_packet,
};
constexpr std::size_t kInterfaceEventCount = 16;
constexpr std::array<std::string_view, kInterfaceEventCount> kInterfaceEventNames = {
    "cookie_decrypt_failed", "cookie_response_received", "invalid_mac",
    "invalid_handshake_initiation", "invalid_handshake_response", "invalid_nonce",
    "handshake_dropped", "cookie_response_sent", "invalid_ip_packet", "no_allowed_ips_match",
    "no_route", "interface_created", "interface_destroyed", "namespace_exiting",
    "routing_loop_avoided", "invalid_packet",
};

// Where dynamic debug says a line comes from (`f`, `s`, `l` flags). Line numbers are
// plausible, not those of one particular kernel: no consumer may depend on them.
struct DebugSite {
  std::string_view function;
  std::string_view file;
  std::uint16_t line;
};

constexpr std::array<DebugSite, kPeerEventCount> kPeerEventSites = {{
    {"wg_receive_handshake_packet", "receive.c", 148},
    {"wg_receive_handshake_packet", "receive.c", 171},
    {"wg_packet_consume_data_done", "receive.c", 367},
    {"wg_packet_consume_data_done", "receive.c", 425},
    {"wg_packet_consume_data_done", "receive.c", 431},
    {"wg_packet_consume_data_done", "receive.c", 436},
    {"wg_packet_send_handshake_initiation", "send.c", 38},
    {"wg_packet_send_handshake_response", "send.c", 92},
    {"wg_packet_send_keepalive", "send.c", 226},
    {"wg_expired_retransmit_handshake", "timers.c", 51},
    {"wg_expired_retransmit_handshake", "timers.c", 71},
    {"wg_expired_new_handshake", "timers.c", 124},
    {"wg_queued_expired_zero_key_material", "timers.c", 148},
    {"wg_peer_create", "peer.c", 74},
    {"kref_release", "peer.c", 189},
    {"wg_xmit", "device.c", 164},
    {"wg_noise_handshake_begin_session", "noise.c", 841},
    {"keypair_free_kref", "noise.c", 102},
    {"wg_packet_consume_data_done", "receive.c", 418},
}};

constexpr std::array<DebugSite, kInterfaceEventCount> kInterfaceEventSites = {{
    {"wg_cookie_message_consume", "cookie.c", 208},
    {"wg_receive_handshake_packet", "receive.c", 197},
    {"wg_receive_handshake_packet", "receive.c", 124},
    {"wg_receive_handshake_packet", "receive.c", 140},
    {"wg_receive_handshake_packet", "receive.c", 163},
    {"wg_packet_rx_poll", "receive.c", 497},
    {"wg_packet_receive", "receive.c", 548},
    {"wg_packet_send_handshake_cookie", "send.c", 112},
    {"wg_xmit", "device.c", 147},
    {"wg_xmit", "device.c", 153},
    {"send4", "socket.c", 73},
    {"wg_newlink", "device.c", 378},
    {"wg_destruct", "device.c", 262},
    {"wg_netns_pre_exit", "device.c", 430},
    {"send4", "socket.c", 66},
    {"wg_packet_receive", "receive.c", 569},
}};

constexpr DebugSite kSend6Site = {"send6", "socket.c", 151};

// Packets the module received: their dynamic-debug thread id may be `<intr> ` (softirq).
constexpr bool is_receive_path(PeerEvent event) {
  return event <= PeerEvent::invalid_packet_size || event == PeerEvent::packet_delivery_failed;
}

// ---------------------------------------------------------------------------------------------
// Randomness: std::mt19937_64 is specified bit for bit; the distributions here are our own so
// that a seed gives the same corpus with every standard library.

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, n), n > 0. The modulo bias is below n / 2^64: invisible at these sizes.
  std::uint64_t below(std::uint64_t n) { return engine_() % n; }
  // Uniform in [low, high].
  std::uint64_t between(std::uint64_t low, std::uint64_t high) {
    return low + below(high - low + 1);
  }
  // True with probability per_mille / 1000.
  bool chance(std::uint32_t per_mille) { return below(1000) < per_mille; }

 private:
  std::mt19937_64 engine_;
};

// Picks an index in proportion to integer weights.
class WeightedChoice {
 public:
  WeightedChoice() = default;
  explicit WeightedChoice(const std::vector<std::uint64_t>& weights) {
    std::uint64_t sum = 0;
    for (auto w : weights) cumulative_.push_back(sum += w);
  }
  template <typename W>
  WeightedChoice(std::initializer_list<W> weights)
      : WeightedChoice(std::vector<std::uint64_t>(weights.begin(), weights.end())) {}

  std::uint64_t total() const { return cumulative_.empty() ? 0 : cumulative_.back(); }
  std::size_t pick(Random& random) const {
    auto r = random.below(total());
    return static_cast<std::size_t>(
        std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin());
  }

 private:
  std::vector<std::uint64_t> cumulative_;
};

// ---------------------------------------------------------------------------------------------
// Line kinds: what a line is, and how often it comes (lines per million by default).

enum class Shape : std::uint8_t {
  peer_event,
  interface_event,
  kernel_ratelimit,
  other_kernel,
  other_program,
  banner,
  copyright,
  future_format,
  malformed_peer_id_21_digits,
  malformed_peer_id_over_64_bits,
  malformed_interface_16_bytes,
  malformed_ipv4,
  malformed_port,
};

// Variants of one event's wording or arguments.
enum Variant : std::uint8_t {
  kDefault = 0,
  kIpv4 = 1,            // no_allowed_ips_match with %pI4
  kIpv6 = 2,            // no_allowed_ips_match with %pI6
  kOldWording = 3,      // `Interface deleted`
};

struct LineKind {
  std::string_view name;
  Shape shape;
  std::uint8_t event;  // PeerEvent or InterfaceEvent, by shape
  std::uint8_t variant;
  std::uint32_t weight;
  bool lifecycle_only;
};

constexpr LineKind peer_kind(std::string_view name, PeerEvent e, std::uint32_t weight,
                             bool lifecycle_only = false) {
  return {name, Shape::peer_event, static_cast<std::uint8_t>(e), kDefault, weight, lifecycle_only};
}
constexpr LineKind interface_kind(std::string_view name, InterfaceEvent e, std::uint32_t weight,
                                  std::uint8_t variant = kDefault, bool lifecycle_only = false) {
  return {name, Shape::interface_event, static_cast<std::uint8_t>(e), variant, weight,
          lifecycle_only};
}
constexpr LineKind other_kind(std::string_view name, Shape shape, std::uint32_t weight) {
  return {name, shape, 0, kDefault, weight, false};
}

// Keepalives and handshakes dominate real logs (every peer keeps one session alive with a
// handshake every two minutes and keepalives in between); the rest is a sprinkle so that a
// million-line corpus has every format many times.
constexpr LineKind kLineKinds[] = {
    peer_kind("keepalive_sent", PeerEvent::keepalive_sent, 215000),
    peer_kind("keepalive_received", PeerEvent::keepalive_received, 215000),
    peer_kind("handshake_initiation_sent", PeerEvent::handshake_initiation_sent, 90000),
    peer_kind("handshake_initiation_received", PeerEvent::handshake_initiation_received, 90000),
    peer_kind("handshake_response_sent", PeerEvent::handshake_response_sent, 70000),
    peer_kind("handshake_response_received", PeerEvent::handshake_response_received, 70000),
    peer_kind("keypair_created", PeerEvent::keypair_created, 75000),
    peer_kind("keypair_destroyed", PeerEvent::keypair_destroyed, 70000),
    peer_kind("handshake_retry", PeerEvent::handshake_retry, 15000),
    peer_kind("handshake_gave_up", PeerEvent::handshake_gave_up, 2000),
    peer_kind("handshake_stale_retry", PeerEvent::handshake_stale_retry, 4000),
    peer_kind("keys_zeroed", PeerEvent::keys_zeroed, 4000),
    peer_kind("peer_created", PeerEvent::peer_created, 500),
    peer_kind("no_endpoint", PeerEvent::no_endpoint, 2000),
    peer_kind("unallowed_src_ip", PeerEvent::unallowed_src_ip, 1500),
    peer_kind("invalid_packet_type", PeerEvent::invalid_packet_type, 500),
    peer_kind("invalid_packet_size", PeerEvent::invalid_packet_size, 500),
    peer_kind("packet_delivery_failed", PeerEvent::packet_delivery_failed, 1000),
    peer_kind("peer_destroyed", PeerEvent::peer_destroyed, 1000, true),

    interface_kind("cookie_decrypt_failed", InterfaceEvent::cookie_decrypt_failed, 300),
    interface_kind("cookie_response_received", InterfaceEvent::cookie_response_received, 500),
    interface_kind("invalid_mac", InterfaceEvent::invalid_mac, 1000),
    interface_kind("invalid_handshake_initiation", InterfaceEvent::invalid_handshake_initiation, 500),
    interface_kind("invalid_handshake_response", InterfaceEvent::invalid_handshake_response, 300),
    interface_kind("invalid_nonce", InterfaceEvent::invalid_nonce, 1000),
    interface_kind("handshake_dropped", InterfaceEvent::handshake_dropped, 1000),
    interface_kind("cookie_response_sent", InterfaceEvent::cookie_response_sent, 500),
    interface_kind("invalid_ip_packet", InterfaceEvent::invalid_ip_packet, 500),
    interface_kind("no_allowed_ips_match_ipv4", InterfaceEvent::no_allowed_ips_match, 1000, kIpv4),
    interface_kind("no_allowed_ips_match_ipv6", InterfaceEvent::no_allowed_ips_match, 1000, kIpv6),
    interface_kind("no_route", InterfaceEvent::no_route, 2000),
    interface_kind("interface_created", InterfaceEvent::interface_created, 100),
    interface_kind("namespace_exiting", InterfaceEvent::namespace_exiting, 50),
    interface_kind("routing_loop_avoided", InterfaceEvent::routing_loop_avoided, 300),
    interface_kind("invalid_packet", InterfaceEvent::invalid_packet, 300),
    interface_kind("interface_destroyed", InterfaceEvent::interface_destroyed, 30, kDefault, true),
    interface_kind("interface_deleted", InterfaceEvent::interface_destroyed, 20, kOldWording, true),

    other_kind("kernel_ratelimit", Shape::kernel_ratelimit, 5000),
    other_kind("other_kernel", Shape::other_kernel, 30000),
    other_kind("other_program", Shape::other_program, 20000),
    other_kind("banner", Shape::banner, 100),
    other_kind("copyright", Shape::copyright, 100),
    other_kind("future_format", Shape::future_format, 300),
    other_kind("malformed_peer_id_21_digits", Shape::malformed_peer_id_21_digits, 100),
    other_kind("malformed_peer_id_over_64_bits", Shape::malformed_peer_id_over_64_bits, 100),
    other_kind("malformed_interface_16_bytes", Shape::malformed_interface_16_bytes, 100),
    other_kind("malformed_ipv4", Shape::malformed_ipv4, 100),
    other_kind("malformed_port", Shape::malformed_port, 100),
};

// ---------------------------------------------------------------------------------------------
// Lines that are not WireGuard's (result `ignored`).

struct OtherKernelLine {
  std::uint8_t severity;
  std::string_view text;
};
// Some of these look a little like WireGuard on purpose: an interface name first, `wg` in a
// module name, a bracketed tag where a timestamp could be.
constexpr OtherKernelLine kOtherKernelLines[] = {
    {6, "IPv6: ADDRCONF(NETDEV_CHANGE): wg0: link becomes ready"},
    {6, "e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None"},
    {6, "nf_conntrack: default automatic helper assignment has been turned off for security reasons and CT-based firewall rule not found. Use the iptables CT target to attach helpers instead."},
    {4, "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=40000 DPT=51820 LEN=40"},
    {6, "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters."},
    {5, "audit: type=1400 audit(1793786400.123:42): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/chronyd\" name=\"/etc/ssl/openssl.cnf\" pid=812 comm=\"chronyd\""},
    {4, "wg0: Caught tx_queue_len zero misconfig"},
    {5, "Lockdown: wg: debugfs access is restricted; see man kernel_lockdown.7"},
    {6, "wireguard0: renamed from wg9"},
    {5, "random: crng init done"},
    {6, "usb 1-1: new high-speed USB device number 2 using xhci_hcd"},
    {3, "BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:4107]"},
};

struct OtherProgramLine {
  std::string_view app;
  std::uint8_t facility;
  std::uint8_t severity;
  std::string_view text;
};
constexpr OtherProgramLine kOtherProgramLines[] = {
    {"sshd", 10, 6, "Accepted publickey for root from 198.51.100.23 port 52144 ssh2: ED25519 SHA256:Zt3uHkqC8vEwH3f7tq8kYb2vVZ3X0c3Jr8mJ4r4l2aQ"},
    {"systemd", 3, 6, "Started Session 42 of User root."},
    {"wg-quick", 3, 6, "[#] ip link add wg0 type wireguard"},
    {"wg-quick", 3, 6, "[#] wg setconf wg0 /dev/fd/63"},
    {"CRON", 9, 6, "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"},
    {"dhclient", 3, 6, "DHCPREQUEST for 192.0.2.10 on eth0 to 192.0.2.1 port 67"},
    {"systemd-networkd", 3, 6, "wg0: Link UP"},
    {"kernel-logger", 1, 5, "wireguard loaded"},
};

constexpr std::string_view kBanners[] = {
    "WireGuard 1.0.0 loaded. See www.wireguard.com for information.",
    "WireGuard 1.0.20210606 loaded. See www.wireguard.com for information.",
    "WireGuard 0.0.20191219 loaded. See www.wireguard.com for information.",
};
constexpr std::string_view kCopyright =
    "Copyright (C) 2015-2019 Jason A. Donenfeld <Jason@zx2c4.com>. All Rights Reserved.";

// Interface names over the kernel's 15-byte limit (IFNAMSIZ 16 with the NUL).
constexpr std::string_view kSixteenByteNames[] = {
    "wg-0123456789abc", "wireguard-tunnel", "wg0server-backup", "wg-site-to-site0",
};

// The first interface names; further ones are wg2, wg3, ... `wg-site-to-site` is 15 bytes,
// the longest name the kernel allows.
constexpr std::string_view kInterfaceNames[] = {
    "wg0", "wg1", "wg-firezone", "example_2", "awg0", "wg0server", "wg", "wg-site-to-site",
};

// `error %d` of no_route and the `error` label the exporter gives it (metrics.md): the symbolic
// name of the negated code, or `other` for a code the kernel's route lookups never return.
struct RouteError {
  std::int32_t code;
  std::string_view label;
  std::uint32_t weight;
};
constexpr RouteError kRouteErrors[] = {
    {-101, "ENETUNREACH", 40}, {-113, "EHOSTUNREACH", 25}, {-22, "EINVAL", 10},
    {-1, "EPERM", 15},         {-13, "EACCES", 8},         {-1000, "other", 2},
};
constexpr std::size_t kRouteErrorCount = std::size(kRouteErrors);

constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::string_view kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kSeverityNames[] = {"emerg", "alert", "crit",   "err",
                                               "warn",  "notice", "info", "debug"};
constexpr std::string_view kFacilityNames[] = {"kern", "user", "mail", "daemon", "auth", "syslog",
                                               "lpr", "news", "uucp", "cron", "authpriv"};

// The corpus starts at 2026-11-04T10:00:00Z (a single-digit day, so RFC 3164 pads it), with
// the machine up for 1234.567890 s.
constexpr std::int64_t kStartUnixSeconds = 1793786400;
constexpr std::uint64_t kStartUptimeMicros = 1234567890;

struct CivilTime {
  int year, month, day, hour, minute, second, weekday;  // month 1..12, weekday 0 = Sunday
};

// Howard Hinnant's civil_from_days, for days since 1970-01-01.
CivilTime civil_from_unix(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rest = seconds % 86400;
  CivilTime t{};
  t.hour = static_cast<int>(rest / 3600);
  t.minute = static_cast<int>(rest / 60 % 60);
  t.second = static_cast<int>(rest % 60);
  t.weekday = static_cast<int>((days + 4) % 7);  // 1970-01-01 was a Thursday
  std::int64_t z = days + 719468;
  std::int64_t era = z / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = static_cast<int>(yoe + era * 400 + (t.month <= 2 ? 1 : 0));
  return t;
}

void append2(std::string& out, int value) { append_padded(out, static_cast<std::uint64_t>(value), 2, '0'); }

// `Nov  4 10:00:00` (RFC 3164, space-padded day) or `Nov 04 10:00:00` (journalctl).
void append_bsd_time(std::string& out, const CivilTime& t, char day_fill) {
  out += kMonths[t.month - 1];
  out.push_back(' ');
  append_padded(out, static_cast<std::uint64_t>(t.day), 2, day_fill);
  out.push_back(' ');
  append2(out, t.hour);
  out.push_back(':');
  append2(out, t.minute);
  out.push_back(':');
  append2(out, t.second);
}

// `Wed Nov  4 10:00:00 2026` (ctime, as dmesg -T and logread print it).
void append_ctime(std::string& out, const CivilTime& t) {
  out += kWeekdays[t.weekday];
  out.push_back(' ');
  append_bsd_time(out, t, ' ');
  out.push_back(' ');
  append_decimal(out, static_cast<std::uint64_t>(t.year));
}

void append_iso_date(std::string& out, const CivilTime& t) {
  append_decimal(out, static_cast<std::uint64_t>(t.year));
  out.push_back('-');
  append2(out, t.month);
  out.push_back('-');
  append2(out, t.day);
}

// Peer ids near the top of the 64-bit range: the parser must keep every digit.
constexpr std::uint64_t kLargePeerIds[] = {
    std::numeric_limits<std::uint64_t>::max(), 9223372036854775808ULL, 12345678901234567890ULL,
};

}  // namespace

const std::vector<LineKindInfo>& line_kinds() {
  static const std::vector<LineKindInfo> kinds = [] {
    std::vector<LineKindInfo> v;
    for (const auto& k : kLineKinds) v.push_back({k.name, k.weight, k.lifecycle_only});
    return v;
  }();
  return kinds;
}

// ---------------------------------------------------------------------------------------------

struct CorpusGenerator::State {
  struct Interface {
    std::string name;
    bool amnezia;        // an AmneziaWG interface: its lines say `amneziawg: `
    std::uint32_t host;  // index into hosts
  };
  struct Peer {
    std::uint64_t id;
    std::uint32_t interface;
    SocketAddress endpoint;
  };
  // How the framing layer should present the message of the current line.
  struct Source {
    bool kernel = true;            // printed by the kernel (tag `kernel`), else by `app`
    std::string_view app;
    std::uint32_t pid = 0;
    std::uint8_t facility = 0;
    std::uint8_t severity = 7;
    std::uint32_t host = 0;
    const DebugSite* site = nullptr;  // a pr_debug line: dynamic debug may decorate it
    bool receive_path = false;
    bool amnezia = false;
  };
  enum class Result : std::uint8_t { event, ignored, malformed, unknown };
  enum class Pending : std::uint8_t { none, peer_created, interface_created };

  explicit State(const CorpusOptions& o) : options(o), random(o.seed) {}

  CorpusOptions options;
  Random random;

  std::vector<LineKind> kinds;  // enabled kinds, weights applied
  WeightedChoice kind_choice;
  std::vector<std::uint32_t> tour;  // each enabled kind once, in seeded order
  std::size_t tour_next = 0;
  // The current line belongs to the tour: it also cycles through the envelopes and shows the
  // rarer spellings (AmneziaWG, `(einval)`, `(invalid address)`, decorations) on purpose.
  bool in_tour = false;

  std::vector<std::string> hosts;
  std::vector<Interface> interfaces;
  std::vector<Peer> peers;                 // every peer ever, by slot
  std::vector<std::uint32_t> live_peers;   // slots that may still log; the first tenth is busy
  std::uint64_t next_peer_id = 1;
  std::uint64_t next_keypair_id = 1;

  Pending pending = Pending::none;
  std::uint32_t pending_slot = 0;

  std::int64_t unix_micros = kStartUnixSeconds * 1000000;
  std::uint64_t uptime_micros = kStartUptimeMicros;
  std::uint64_t kmsg_sequence = 1200;

  // Expected counts.
  std::array<std::uint64_t, 4> results{};
  std::vector<std::array<std::uint64_t, kPeerEventCount>> peer_counts;  // by slot
  std::vector<std::array<std::uint64_t, kInterfaceEventCount>> interface_counts;
  std::vector<std::array<std::array<std::uint64_t, kRouteErrorCount>, 2>> no_route_counts;
  std::uint64_t ratelimit_suppressed = 0;

  WeightedChoice route_error_choice;
  std::string message;  // the current line from the module prefix on
  std::string scratch;

  void setup();
  void append_line(std::string& out);

  // Building blocks.
  std::uint32_t add_peer(std::uint64_t id, std::uint32_t interface);
  std::uint32_t pick_peer();
  SocketAddress random_endpoint(bool allow_mapped);
  SocketAddress random_ipv4_endpoint();
  SocketAddress random_ipv6_endpoint(bool allow_mapped);
  UnspecSpelling random_unspec_spelling() {
    return random.chance(700) ? UnspecSpelling::einval : UnspecSpelling::invalid_address;
  }
  std::string_view module_for(const Interface& interface) {
    return interface.amnezia || random.chance(10) ? "amneziawg" : "wireguard";
  }
  // The endpoint of a peer line: timers and sends can run for a peer with no endpoint yet
  // (received packets always have a source).
  void append_peer_endpoint(std::string& out, PeerEvent event, const Peer& peer);
  void begin_message(std::string_view module, std::string_view interface_name);

  void write_peer_event(PeerEvent event, std::uint32_t slot, Source& source);
  void write_peer_body(PeerEvent event, std::string_view peer_id, std::string_view endpoint);
  void write_interface_event(InterfaceEvent event, std::uint8_t variant, std::uint32_t interface,
                             Source& source);
  void write_kind(const LineKind& kind, Source& source);
  void write_malformed(Shape shape, Source& source);

  void append_framed(std::string& out, const Source& source);
  void append_printk_time(std::string& out) const;
  void append_decorations(std::string& out, const Source& source);
  void append_rfc5424_time(std::string& out, const CivilTime& t);
};

void CorpusGenerator::State::setup() {
  if (options.peers == 0 || options.peers > 10'000'000) {
    throw std::invalid_argument("--peers must be 1..10000000");
  }
  if (options.interfaces == 0 || options.interfaces > 10'000) {
    throw std::invalid_argument("--interfaces must be 1..10000");
  }
  if (options.hostnames == 0 || options.hostnames > 10'000) {
    throw std::invalid_argument("--hostnames must be 1..10000");
  }

  // Kinds and weights.
  std::vector<std::uint32_t> weights;
  for (const auto& k : kLineKinds) {
    weights.push_back(k.lifecycle_only && !options.lifecycle ? 0 : k.weight);
  }
  for (const auto& [name, weight] : options.weights) {
    auto it = std::find_if(std::begin(kLineKinds), std::end(kLineKinds),
                           [&](const LineKind& k) { return k.name == name; });
    if (it == std::end(kLineKinds)) throw std::invalid_argument("unknown line kind: " + name);
    weights[static_cast<std::size_t>(it - std::begin(kLineKinds))] = weight;
  }
  std::vector<std::uint64_t> enabled_weights;
  for (std::size_t i = 0; i < std::size(kLineKinds); ++i) {
    if (weights[i] == 0) continue;
    kinds.push_back(kLineKinds[i]);
    kinds.back().weight = weights[i];
    enabled_weights.push_back(weights[i]);
  }
  if (kinds.empty()) throw std::invalid_argument("every line kind has weight 0");
  kind_choice = WeightedChoice(enabled_weights);
  for (std::uint32_t i = 0; i < kinds.size(); ++i) tour.push_back(i);
  for (std::size_t i = tour.size(); i > 1; --i) {  // Fisher-Yates
    std::swap(tour[i - 1], tour[random.below(i)]);
  }

  std::vector<std::uint64_t> error_weights;
  for (const auto& e : kRouteErrors) error_weights.push_back(e.weight);
  route_error_choice = WeightedChoice(error_weights);

  // Hosts and interfaces.
  for (std::uint32_t h = 0; h < options.hostnames; ++h) hosts.push_back("gw" + std::to_string(h + 1));
  std::uint32_t numbered = 2;
  for (std::uint32_t i = 0; i < options.interfaces; ++i) {
    std::string name;
    if (i < std::size(kInterfaceNames)) {
      name = kInterfaceNames[i];
    } else {
      name = "wg" + std::to_string(numbered++);
    }
    bool amnezia = name.rfind("awg", 0) == 0;
    interfaces.push_back({std::move(name), amnezia, i % options.hostnames});
  }
  interface_counts.resize(interfaces.size());
  no_route_counts.resize(interfaces.size());

  // Peers: a global counter, as the kernel's, with gaps where peers were removed or other
  // interfaces were configured in between; plus a few ids near 2^64 on busy peers.
  std::uint32_t large = options.peers >= 20 ? 3 : (options.peers >= 2 ? 1 : 0);
  next_peer_id = random.between(1, 40);
  for (std::uint32_t p = 0; p < options.peers; ++p) {
    std::uint32_t interface;
    if (p < interfaces.size()) {
      interface = p;  // every interface gets a peer when there are enough
    } else if (random.chance(400)) {
      interface = 0;  // one big interface
    } else {
      interface = static_cast<std::uint32_t>(random.below(interfaces.size()));
    }
    std::uint64_t id;
    if (p >= options.peers - large) {
      id = kLargePeerIds[options.peers - 1 - p];
    } else {
      id = next_peer_id;
      next_peer_id += random.chance(980) ? 1 : random.between(2, 10);
    }
    add_peer(id, interface);
  }
  // Shuffle which peers are busy (the first tenth of live_peers) across the interfaces, then
  // make the large ids busy so that every corpus has them.
  for (std::size_t i = live_peers.size(); i > 1; --i) {
    std::swap(live_peers[i - 1], live_peers[random.below(i)]);
  }
  if (large > 0 && live_peers.size() > 1) {
    for (std::uint32_t k = 0; k < large; ++k) {
      auto slot = static_cast<std::uint32_t>(options.peers - 1 - k);
      auto it = std::find(live_peers.begin(), live_peers.end(), slot);
      std::iter_swap(it, live_peers.begin() + k % live_peers.size());
    }
  }
}

std::uint32_t CorpusGenerator::State::add_peer(std::uint64_t id, std::uint32_t interface) {
  auto slot = static_cast<std::uint32_t>(peers.size());
  peers.push_back({id, interface, random_endpoint(true)});
  peer_counts.emplace_back();
  live_peers.push_back(slot);
  return slot;
}

std::uint32_t CorpusGenerator::State::pick_peer() {
  std::size_t busy = std::max<std::size_t>(1, live_peers.size() / 10);
  if (random.chance(500)) return live_peers[random.below(busy)];
  return live_peers[random.below(live_peers.size())];
}

SocketAddress CorpusGenerator::State::random_endpoint(bool allow_mapped) {
  return random.chance(700) ? random_ipv4_endpoint() : random_ipv6_endpoint(allow_mapped);
}

SocketAddress CorpusGenerator::State::random_ipv4_endpoint() {
  SocketAddress a;
  a.family = SocketAddress::Family::ipv4;
  static constexpr std::uint8_t kDocumentation[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
  if (random.chance(500)) {
    const auto* net = kDocumentation[random.below(3)];
    a.bytes = {net[0], net[1], net[2], static_cast<std::uint8_t>(random.between(1, 254))};
  } else {
    std::uint8_t first;
    do {
      first = static_cast<std::uint8_t>(random.between(1, 223));
    } while (first == 10 || first == 127);
    a.bytes = {first, static_cast<std::uint8_t>(random.below(256)),
               static_cast<std::uint8_t>(random.below(256)),
               static_cast<std::uint8_t>(random.between(1, 254))};
  }
  auto r = random.below(100);
  a.port = r < 40 ? 51820 : r < 97 ? static_cast<std::uint16_t>(random.between(1024, 65535))
                  : r < 99 ? 65535 : 1;
  return a;
}

SocketAddress CorpusGenerator::State::random_ipv6_endpoint(bool allow_mapped) {
  SocketAddress a;
  a.family = SocketAddress::Family::ipv6;
  auto set_group = [&](int i, std::uint16_t v) {
    a.bytes[static_cast<std::size_t>(2 * i)] = static_cast<std::uint8_t>(v >> 8);
    a.bytes[static_cast<std::size_t>(2 * i + 1)] = static_cast<std::uint8_t>(v & 0xFF);
  };
  // Groups that are often zero give every shape of `::` compression.
  auto random_group = [&]() -> std::uint16_t {
    auto r = random.below(100);
    if (r < 35) return 0;
    if (r < 65) return static_cast<std::uint16_t>(random.between(1, 0xFF));
    return static_cast<std::uint16_t>(random.between(1, 0xFFFF));
  };
  auto kind = random.below(100);
  if (allow_mapped && kind < 2) {  // ::ffff:a.b.c.d
    a.bytes[10] = a.bytes[11] = 0xFF;
    for (std::size_t i = 12; i < 16; ++i) {
      a.bytes[i] = static_cast<std::uint8_t>(random.between(1, 254));
    }
  } else if (kind < 12) {  // link-local, needs a scope
    set_group(0, 0xfe80);
    for (int i = 4; i < 8; ++i) set_group(i, random_group());
    a.scope_id = random.chance(980) ? static_cast<std::uint32_t>(random.between(1, 12))
                                    : std::numeric_limits<std::uint32_t>::max();
  } else {
    if (random.chance(600)) {
      set_group(0, 0x2001);
      set_group(1, 0x0db8);
    } else {
      set_group(0, static_cast<std::uint16_t>(random.between(0x2001, 0x2c0f)));
      set_group(1, static_cast<std::uint16_t>(random.below(0x10000)));
    }
    for (int i = 2; i < 8; ++i) set_group(i, random_group());
    if (random.chance(50)) a.scope_id = static_cast<std::uint32_t>(random.between(1, 12));
  }
  if (random.chance(80)) a.flowinfo = static_cast<std::uint32_t>(random.between(1, 0x0FFFFFFF));
  auto r = random.below(100);
  a.port = r < 40 ? 51820 : r < 98 ? static_cast<std::uint16_t>(random.between(1024, 65535)) : 65535;
  return a;
}

void CorpusGenerator::State::begin_message(std::string_view module, std::string_view interface_name) {
  message.clear();
  message += module;
  message += ": ";
  message += interface_name;
  message += ": ";
}

void CorpusGenerator::State::write_peer_body(PeerEvent event, std::string_view id,
                                             std::string_view endpoint) {
  auto peer_with_endpoint = [&](std::string_view before) {
    message += before;
    message += id;
    message += " (";
    message += endpoint;
    message += ')';
  };
  switch (event) {
    case PeerEvent::handshake_initiation_received:
      peer_with_endpoint("Receiving handshake initiation from peer ");
      break;
    case PeerEvent::handshake_response_received:
      peer_with_endpoint("Receiving handshake response from peer ");
      break;
    case PeerEvent::keepalive_received:
      peer_with_endpoint("Receiving keepalive packet from peer ");
      break;
    case PeerEvent::unallowed_src_ip: {
      message += "Packet has unallowed src IP (";
      SocketAddress inner;
      if (random.chance(700)) {
        inner.family = SocketAddress::Family::ipv4;
        inner.bytes = {10, static_cast<std::uint8_t>(random.below(256)),
                       static_cast<std::uint8_t>(random.below(256)),
                       static_cast<std::uint8_t>(random.between(1, 254))};
      } else {
        inner.family = SocketAddress::Family::ipv6;
        inner.bytes[0] = 0xfd;
        inner.bytes[15] = static_cast<std::uint8_t>(random.between(1, 255));
        if (random.chance(500)) inner.bytes[7] = static_cast<std::uint8_t>(random.below(256));
      }
      append_address(message, inner, UnspecSpelling::einval);
      peer_with_endpoint(") from peer ");
      break;
    }
    case PeerEvent::invalid_packet_type:
      peer_with_endpoint("Packet is neither ipv4 nor ipv6 from peer ");
      break;
    case PeerEvent::invalid_packet_size:
      peer_with_endpoint("Packet has incorrect size from peer ");
      break;
    case PeerEvent::handshake_initiation_sent:
      peer_with_endpoint("Sending handshake initiation to peer ");
      break;
    case PeerEvent::handshake_response_sent:
      peer_with_endpoint("Sending handshake response to peer ");
      break;
    case PeerEvent::keepalive_sent:
      peer_with_endpoint("Sending keepalive packet to peer ");
      break;
    case PeerEvent::handshake_gave_up:
      // MAX_TIMER_HANDSHAKES + 2
      peer_with_endpoint("Handshake for peer ");
      message += " did not complete after 20 attempts, giving up";
      break;
    case PeerEvent::handshake_retry:
      // REKEY_TIMEOUT seconds; the try is timer_handshake_attempts + 1 (2..19)
      peer_with_endpoint("Handshake for peer ");
      message += " did not complete after 5 seconds, retrying (try ";
      append_decimal(message, random.between(2, 19));
      message += ')';
      break;
    case PeerEvent::handshake_stale_retry:
      // KEEPALIVE_TIMEOUT + REKEY_TIMEOUT
      peer_with_endpoint("Retrying handshake with peer ");
      message += " because we stopped hearing back after 15 seconds";
      break;
    case PeerEvent::keys_zeroed:
      // REJECT_AFTER_TIME * 3
      peer_with_endpoint("Zeroing out all keys for peer ");
      message += ", since we haven't received a new one in 540 seconds";
      break;
    case PeerEvent::peer_created:
      message += "Peer ";
      message += id;
      message += " created";
      break;
    case PeerEvent::peer_destroyed:
      peer_with_endpoint("Peer ");
      message += " destroyed";
      break;
    case PeerEvent::no_endpoint:
      message += "No valid endpoint has been configured or discovered for peer ";
      message += id;
      break;
    case PeerEvent::keypair_created:
      message += "Keypair ";
      append_decimal(message, next_keypair_id++);
      message += " created for peer ";
      message += id;
      break;
    case PeerEvent::keypair_destroyed: {
      message += "Keypair ";
      auto back = random.between(1, 2 * options.peers + 2);
      append_decimal(message, next_keypair_id > back ? next_keypair_id - back : 1);
      message += " destroyed for peer ";
      message += id;
      break;
    }
    case PeerEvent::packet_delivery_failed:
      peer_with_endpoint("Failed to give packet to userspace from peer ");
      break;
  }
}

void CorpusGenerator::State::append_peer_endpoint(std::string& out, PeerEvent event,
                                                  const Peer& peer) {
  if (in_tour && event == PeerEvent::handshake_gave_up) {
    append_endpoint(out, SocketAddress{}, UnspecSpelling::einval);
  } else if (in_tour && event == PeerEvent::keys_zeroed) {
    append_endpoint(out, SocketAddress{}, UnspecSpelling::invalid_address);
  } else if (!is_receive_path(event) && random.chance(8)) {
    append_endpoint(out, SocketAddress{}, random_unspec_spelling());
  } else {
    append_endpoint(out, peer.endpoint, UnspecSpelling::einval);
  }
}

void CorpusGenerator::State::write_peer_event(PeerEvent event, std::uint32_t slot, Source& source) {
  Peer& peer = peers[slot];
  const Interface& interface = interfaces[peer.interface];
  source.site = &kPeerEventSites[static_cast<std::size_t>(event)];
  source.receive_path = is_receive_path(event);
  source.host = interface.host;

  // Roaming: now and then a peer shows up from a new address.
  if (random.chance(3)) peer.endpoint = random_endpoint(true);
  std::string_view module = module_for(interface);
  if (in_tour && event == PeerEvent::keepalive_received) module = "amneziawg";
  begin_message(module, interface.name);
  scratch.clear();
  append_peer_endpoint(scratch, event, peer);
  char id_buffer[20];
  auto id_end = std::to_chars(id_buffer, id_buffer + sizeof id_buffer, peer.id).ptr;
  write_peer_body(event, std::string_view(id_buffer, static_cast<std::size_t>(id_end - id_buffer)), scratch);

  ++results[static_cast<std::size_t>(Result::event)];
  ++peer_counts[slot][static_cast<std::size_t>(event)];
}

void CorpusGenerator::State::write_interface_event(InterfaceEvent event, std::uint8_t variant,
                                                   std::uint32_t index, Source& source) {
  const Interface& interface = interfaces[index];
  begin_message(module_for(interface), interface.name);
  source.site = &kInterfaceEventSites[static_cast<std::size_t>(event)];
  source.receive_path = event <= InterfaceEvent::handshake_dropped;
  source.host = interface.host;

  auto from_anyone = [&](std::string_view before) {
    message += before;
    append_endpoint(message, random_endpoint(true), UnspecSpelling::einval);
  };
  switch (event) {
    case InterfaceEvent::cookie_decrypt_failed:
      message += "Could not decrypt invalid cookie response";
      break;
    case InterfaceEvent::cookie_response_received:
      from_anyone("Receiving cookie response from ");
      break;
    case InterfaceEvent::invalid_mac:
      from_anyone("Invalid MAC of handshake, dropping packet from ");
      break;
    case InterfaceEvent::invalid_handshake_initiation:
      from_anyone("Invalid handshake initiation from ");
      break;
    case InterfaceEvent::invalid_handshake_response:
      from_anyone("Invalid handshake response from ");
      break;
    case InterfaceEvent::invalid_nonce: {
      // The packet's counter and the receiving counter; both are 64-bit.
      std::uint64_t max = random.chance(950) ? random.between(1, 1u << 24) : random.next();
      std::uint64_t nonce = random.chance(900) ? max + random.between(8193, 100000)
                                               : random.next();
      message += "Packet has invalid nonce ";
      append_decimal(message, nonce);
      message += " (max ";
      append_decimal(message, max);
      message += ')';
      break;
    }
    case InterfaceEvent::handshake_dropped:
      from_anyone("Dropping handshake packet from ");
      break;
    case InterfaceEvent::cookie_response_sent:
      from_anyone("Sending cookie response for denied handshake message for ");
      break;
    case InterfaceEvent::invalid_ip_packet:
      message += "Invalid IP packet";
      break;
    case InterfaceEvent::no_allowed_ips_match: {
      message += "No peer has allowed IPs matching ";
      std::array<std::uint8_t, 16> a{};
      if (variant == kIpv4) {
        static constexpr std::uint8_t kPrivate[3][2] = {{10, 0}, {172, 16}, {192, 168}};
        const auto* net = kPrivate[random.below(3)];
        a = {net[0], static_cast<std::uint8_t>(net[0] == 10 ? random.below(256) : net[1]),
             static_cast<std::uint8_t>(random.below(256)),
             static_cast<std::uint8_t>(random.between(1, 254))};
        append_ipv4(message, a.data());
      } else {
        a[0] = 0xfd;
        a[1] = static_cast<std::uint8_t>(random.below(256));
        if (random.chance(500)) a[3] = static_cast<std::uint8_t>(random.below(256));
        a[15] = static_cast<std::uint8_t>(random.between(1, 255));
        if (random.chance(300)) a[14] = static_cast<std::uint8_t>(random.below(256));
        append_ipv6_full(message, a.data());
      }
      break;
    }
    case InterfaceEvent::no_route: {
      auto endpoint = random_endpoint(false);
      std::size_t family = endpoint.family == SocketAddress::Family::ipv4 ? 0 : 1;
      if (family == 1) source.site = &kSend6Site;
      auto error = route_error_choice.pick(random);
      message += "No route to ";
      append_endpoint(message, endpoint, UnspecSpelling::einval);
      message += ", error ";
      append_signed(message, kRouteErrors[error].code);
      ++no_route_counts[index][family][error];
      break;
    }
    case InterfaceEvent::interface_created:
      message += "Interface created";
      break;
    case InterfaceEvent::interface_destroyed:
      message += variant == kOldWording ? "Interface deleted" : "Interface destroyed";
      break;
    case InterfaceEvent::namespace_exiting:
      message += "Creating namespace exiting";
      break;
    case InterfaceEvent::routing_loop_avoided:
      from_anyone("Avoiding routing loop to ");
      break;
    case InterfaceEvent::invalid_packet:
      from_anyone("Invalid packet from ");
      break;
  }
  ++results[static_cast<std::size_t>(Result::event)];
  ++interface_counts[index][static_cast<std::size_t>(event)];
}

void CorpusGenerator::State::write_malformed(Shape shape, Source& source) {
  std::uint32_t slot = pick_peer();
  const Peer& peer = peers[slot];
  const Interface& interface = interfaces[peer.interface];
  static constexpr PeerEvent kCarriers[] = {PeerEvent::keepalive_sent, PeerEvent::keepalive_received,
                                            PeerEvent::handshake_initiation_sent,
                                            PeerEvent::handshake_initiation_received};
  PeerEvent carrier = kCarriers[random.below(std::size(kCarriers))];
  source.site = &kPeerEventSites[static_cast<std::size_t>(carrier)];
  source.receive_path = is_receive_path(carrier);
  source.host = interface.host;

  std::string id;
  append_decimal(id, peer.id);
  scratch.clear();
  append_endpoint(scratch, peer.endpoint, UnspecSpelling::einval);
  std::string_view interface_name = interface.name;

  switch (shape) {
    case Shape::malformed_peer_id_21_digits:
      id.clear();
      id.push_back(static_cast<char>('0' + random.between(1, 9)));
      for (int i = 0; i < 20; ++i) id.push_back(static_cast<char>('0' + random.below(10)));
      break;
    case Shape::malformed_peer_id_over_64_bits:
      // 2^64 itself, or twenty digits starting 2..9 (at least 2 * 10^19 > 2^64 - 1).
      if (random.chance(300)) {
        id = "18446744073709551616";
      } else {
        id.clear();
        id.push_back(static_cast<char>('0' + random.between(2, 9)));
        for (int i = 0; i < 19; ++i) id.push_back(static_cast<char>('0' + random.below(10)));
      }
      break;
    case Shape::malformed_interface_16_bytes:
      interface_name = kSixteenByteNames[random.below(std::size(kSixteenByteNames))];
      break;
    case Shape::malformed_ipv4: {
      // One octet out of 0..255.
      scratch.clear();
      auto bad = random.below(4);
      for (std::uint64_t i = 0; i < 4; ++i) {
        if (i != 0) scratch.push_back('.');
        append_decimal(scratch, i == bad ? random.between(256, 999) : random.between(1, 254));
      }
      scratch += ":51820";
      break;
    }
    case Shape::malformed_port: {
      auto port = random.between(65536, 99999);
      scratch.clear();
      if (random.chance(600)) {
        append_ipv4(scratch, random_ipv4_endpoint().bytes.data());
        scratch.push_back(':');
        append_decimal(scratch, port);
      } else {
        scratch += "[2001:db8::";
        append_decimal(scratch, random.between(1, 9));
        scratch += "]:";
        append_decimal(scratch, port);
        scratch += "/0%0";
      }
      break;
    }
    default:
      break;
  }
  begin_message(module_for(interface), interface_name);
  write_peer_body(carrier, id, scratch);
  ++results[static_cast<std::size_t>(Result::malformed)];
}

void CorpusGenerator::State::write_kind(const LineKind& kind, Source& source) {
  switch (kind.shape) {
    case Shape::peer_event: {
      auto event = static_cast<PeerEvent>(kind.event);
      std::uint32_t slot = pick_peer();
      write_peer_event(event, slot, source);
      if (event == PeerEvent::peer_destroyed) {
        // The peer is gone for good; a new one (a fresh id: the kernel never reuses ids)
        // takes its place and announces itself on the next line.
        auto position = static_cast<std::size_t>(
            std::find(live_peers.begin(), live_peers.end(), slot) - live_peers.begin());
        auto fresh = add_peer(next_peer_id++, peers[slot].interface);
        live_peers.pop_back();  // add_peer appended it; it takes the old peer's place instead
        live_peers[position] = fresh;
        pending = Pending::peer_created;
        pending_slot = fresh;
      }
      return;
    }
    case Shape::interface_event: {
      auto event = static_cast<InterfaceEvent>(kind.event);
      auto index = static_cast<std::uint32_t>(random.below(interfaces.size()));
      write_interface_event(event, kind.variant, index, source);
      if (event == InterfaceEvent::interface_destroyed) {
        pending = Pending::interface_created;
        pending_slot = index;
      }
      return;
    }
    case Shape::kernel_ratelimit: {
      // ___ratelimit(): printk_deferred(KERN_WARNING "%s: %d callbacks suppressed\n", ...)
      std::uint64_t n = random.chance(900) ? random.between(1, 60) : random.between(61, 20000);
      message = "net_ratelimit: ";
      append_decimal(message, n);
      message += " callbacks suppressed";
      source.severity = 4;
      source.host = static_cast<std::uint32_t>(random.below(hosts.size()));
      ratelimit_suppressed += n;
      ++results[static_cast<std::size_t>(Result::event)];
      return;
    }
    case Shape::other_kernel: {
      const auto& line = kOtherKernelLines[random.below(std::size(kOtherKernelLines))];
      message = line.text;
      source.severity = line.severity;
      source.host = static_cast<std::uint32_t>(random.below(hosts.size()));
      ++results[static_cast<std::size_t>(Result::ignored)];
      return;
    }
    case Shape::other_program: {
      const auto& line = kOtherProgramLines[random.below(std::size(kOtherProgramLines))];
      message = line.text;
      source.kernel = false;
      source.app = line.app;
      source.pid = static_cast<std::uint32_t>(random.between(1, 99999));
      source.facility = line.facility;
      source.severity = line.severity;
      source.host = static_cast<std::uint32_t>(random.below(hosts.size()));
      ++results[static_cast<std::size_t>(Result::ignored)];
      return;
    }
    case Shape::banner:
    case Shape::copyright:
      // pr_info at module load: no interface, never decorated. Not an event, and a format we
      // know: ignored.
      message = "wireguard: ";
      message += kind.shape == Shape::banner ? kBanners[random.below(std::size(kBanners))] : kCopyright;
      source.severity = 6;
      source.host = static_cast<std::uint32_t>(random.below(hosts.size()));
      ++results[static_cast<std::size_t>(Result::ignored)];
      return;
    case Shape::future_format: {
      // Bodies no kernel prints (yet); some begin like real formats.
      std::uint32_t slot = pick_peer();
      const Peer& peer = peers[slot];
      const Interface& interface = interfaces[peer.interface];
      begin_message("wireguard", interface.name);
      source.site = &kPeerEventSites[static_cast<std::size_t>(PeerEvent::handshake_initiation_received)];
      source.host = interface.host;
      switch (random.below(3)) {
        case 0:
          message += "Handshake for peer ";
          append_decimal(message, peer.id);
          message += " (";
          append_endpoint(message, peer.endpoint, UnspecSpelling::einval);
          message += ") completed with a post-quantum preshared key";
          break;
        case 1:
          message += "Receiving hybrid handshake initiation from peer ";
          append_decimal(message, peer.id);
          message += " (";
          append_endpoint(message, peer.endpoint, UnspecSpelling::einval);
          message += ')';
          break;
        default:
          message += "Peer ";
          append_decimal(message, peer.id);
          message += " moved to a new network namespace";
          break;
      }
      ++results[static_cast<std::size_t>(Result::unknown)];
      return;
    }
    case Shape::malformed_peer_id_21_digits:
    case Shape::malformed_peer_id_over_64_bits:
    case Shape::malformed_interface_16_bytes:
    case Shape::malformed_ipv4:
    case Shape::malformed_port:
      write_malformed(kind.shape, source);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Framing: everything in front of the message.

void CorpusGenerator::State::append_printk_time(std::string& out) const {
  // printk: "[%5lu.%06lu] "
  out.push_back('[');
  append_padded(out, uptime_micros / 1000000, 5, ' ');
  out.push_back('.');
  append_padded(out, uptime_micros % 1000000, 6, '0');
  out += "] ";
}

void CorpusGenerator::State::append_decorations(std::string& out, const Source& source) {
  // The flag sets people use: +pmfl is the common one, +pmflt and `s` (newer kernels) less so.
  static const WeightedChoice kFlagChoice{40, 15, 15, 5, 5, 5, 10, 5};
  static constexpr std::string_view kFlagSets[] = {"mfl", "fl", "tmfl", "m", "t", "f", "mfsl", "tfl"};
  std::string_view flags = kFlagSets[kFlagChoice.pick(random)];
  std::string_view module = source.amnezia ? "amneziawg" : "wireguard";
  bool any = false;
  for (char flag : flags) {
    switch (flag) {
      case 't':
        if (source.receive_path && random.chance(500)) {
          out += "<intr> ";
        } else {
          out.push_back('[');
          append_decimal(out, random.between(2, 99999));
          out += "] ";
        }
        break;
      case 'm':
        out += module;
        out.push_back(':');
        any = true;
        break;
      case 'f':
        out += source.site->function;
        out.push_back(':');
        any = true;
        break;
      case 's':
        out += source.amnezia ? "src/" : "drivers/net/wireguard/";
        out += source.site->file;
        out.push_back(':');
        any = true;
        break;
      case 'l':
        append_decimal(out, source.site->line);
        out.push_back(':');
        any = true;
        break;
      default:
        break;
    }
  }
  if (any) out.push_back(' ');
}

void CorpusGenerator::State::append_rfc5424_time(std::string& out, const CivilTime& t) {
  append_iso_date(out, t);
  out.push_back('T');
  append2(out, t.hour);
  out.push_back(':');
  append2(out, t.minute);
  out.push_back(':');
  append2(out, t.second);
  auto micros = static_cast<std::uint64_t>(unix_micros % 1000000);
  auto r = random.below(100);
  if (r < 80) {
    out.push_back('.');
    append_padded(out, micros, 6, '0');
  } else if (r < 90) {
    out.push_back('.');
    append_padded(out, micros / 1000, 3, '0');
  }
  out += random.chance(950) ? "+00:00" : "Z";
}

void CorpusGenerator::State::append_framed(std::string& out, const Source& source) {
  enum class Frame { rfc3164, rfc5424, kmsg, plain, journalctl, logread, svlogd, dmesg_t, dmesg_h };
  Frame frame = Frame::plain;
  switch (options.framing) {
    case FramingChoice::rfc3164: frame = Frame::rfc3164; break;
    case FramingChoice::rfc5424: frame = Frame::rfc5424; break;
    case FramingChoice::kmsg: frame = Frame::kmsg; break;
    case FramingChoice::plain: frame = Frame::plain; break;
    case FramingChoice::mixed: {
      static const WeightedChoice kFrameChoice{330, 200, 200, 250, 5, 5, 5, 3, 2};
      frame = in_tour ? static_cast<Frame>(tour_next % 9)
                      : static_cast<Frame>(kFrameChoice.pick(random));
      break;
    }
  }

  const CivilTime t = civil_from_unix(unix_micros / 1000000);
  const bool debug_line = source.site != nullptr;
  // A relay that got the line from a local program rewrites the facility to `user`.
  const std::uint8_t facility = source.kernel && debug_line && random.chance(50) ? 1 : source.facility;
  const unsigned priority = facility * 8u + source.severity;
  // The program's own `app[pid]: ` where the envelope has no tag of its own (its line went
  // through /dev/kmsg).
  auto append_program_prefix = [&] {
    if (!source.kernel) {
      out += source.app;
      out.push_back('[');
      append_decimal(out, source.pid);
      out += "]: ";
    }
  };
  auto append_tag = [&] {
    if (source.kernel) {
      out += "kernel: ";
    } else {
      out += source.app;
      out.push_back('[');
      append_decimal(out, source.pid);
      out += "]: ";
    }
  };

  std::uint32_t printk_time_per_mille = 0;
  switch (frame) {
    case Frame::rfc3164:
      if (random.chance(950)) {
        out.push_back('<');
        append_decimal(out, priority);
        out.push_back('>');
      }
      append_bsd_time(out, t, ' ');
      out.push_back(' ');
      out += hosts[source.host];
      out.push_back(' ');
      append_tag();
      printk_time_per_mille = 300;
      break;
    case Frame::rfc5424: {
      out.push_back('<');
      append_decimal(out, priority);
      out += ">1 ";
      append_rfc5424_time(out, t);
      out.push_back(' ');
      out += random.chance(10) ? std::string_view("-") : std::string_view(hosts[source.host]);
      out.push_back(' ');
      if (source.kernel) {
        out += "kernel -";
      } else {
        out += source.app;
        out.push_back(' ');
        append_decimal(out, source.pid);
      }
      out += " - ";
      if (random.chance(30)) {
        out += "[meta sequenceId=\"";
        append_decimal(out, kmsg_sequence);
        out += "\"]";
      } else {
        out.push_back('-');
      }
      // rsyslog keeps the space that followed `kernel:` (two spaces); other senders send one,
      // and some mark the message as UTF-8 with a BOM.
      if (random.chance(850)) {
        out += "  ";
      } else {
        out.push_back(' ');
        if (random.chance(300)) out += "\xEF\xBB\xBF";
      }
      printk_time_per_mille = 200;
      break;
    }
    case Frame::kmsg: {
      // Records root writes into /dev/kmsg (how tests inject lines) carry the user facility.
      unsigned kmsg_priority = source.facility * 8u + source.severity;
      if (source.kernel && random.chance(30)) kmsg_priority = 8u + source.severity;
      append_decimal(out, kmsg_priority);
      out.push_back(',');
      append_decimal(out, kmsg_sequence);
      out.push_back(',');
      append_decimal(out, uptime_micros);
      out += ",-;";
      printk_time_per_mille = 20;
      break;
    }
    case Frame::plain:
      printk_time_per_mille = 850;
      break;
    case Frame::journalctl:
      append_bsd_time(out, t, '0');
      out.push_back(' ');
      out += hosts[source.host];
      out.push_back(' ');
      append_tag();
      break;
    case Frame::logread:
      append_ctime(out, t);
      out.push_back(' ');
      out += kFacilityNames[std::min<std::size_t>(facility, std::size(kFacilityNames) - 1)];
      out.push_back('.');
      out += kSeverityNames[source.severity];
      out.push_back(' ');
      append_tag();
      if (source.kernel) printk_time_per_mille = 1000;
      break;
    case Frame::svlogd:
      append_iso_date(out, t);
      out.push_back('_');
      append2(out, t.hour);
      out.push_back(':');
      append2(out, t.minute);
      out.push_back(':');
      append2(out, t.second);
      out.push_back('.');
      append_padded(out, static_cast<std::uint64_t>(unix_micros % 1000000) / 10, 5, '0');
      out.push_back(' ');
      printk_time_per_mille = 800;
      break;
    case Frame::dmesg_t:
      out.push_back('[');
      append_ctime(out, t);
      out += "] ";
      break;
    case Frame::dmesg_h:
      out += "[  +0.";
      append_padded(out, random.below(1000000), 6, '0');
      out += "] ";
      break;
  }
  ++kmsg_sequence;

  // A program's line carries a printk timestamp only where it went through /dev/kmsg, that is
  // in the envelopes without a tag of their own.
  const bool tagged = frame == Frame::rfc3164 || frame == Frame::rfc5424 ||
                      frame == Frame::journalctl || frame == Frame::logread;
  if (random.chance(printk_time_per_mille) && (source.kernel || !tagged)) append_printk_time(out);
  if (!tagged) append_program_prefix();
  if (debug_line && random.chance(in_tour ? 300 : 80)) append_decorations(out, source);
  out += message;
  out.push_back('\n');
}

void CorpusGenerator::State::append_line(std::string& out) {
  Source source;
  Pending now = pending;
  pending = Pending::none;
  if (now == Pending::peer_created) {
    write_peer_event(PeerEvent::peer_created, pending_slot, source);
  } else if (now == Pending::interface_created) {
    write_interface_event(InterfaceEvent::interface_created, kDefault, pending_slot, source);
  } else {
    in_tour = tour_next < tour.size();
    const LineKind& kind = in_tour ? kinds[tour[tour_next++]] : kinds[kind_choice.pick(random)];
    write_kind(kind, source);
  }
  source.amnezia = message.rfind("amneziawg", 0) == 0;
  // Lines a few milliseconds apart on average.
  auto step = random.below(4000);
  unix_micros += static_cast<std::int64_t>(step);
  uptime_micros += step;
  append_framed(out, source);
}

// ---------------------------------------------------------------------------------------------

CorpusGenerator::CorpusGenerator(const CorpusOptions& options)
    : state_(std::make_unique<State>(options)) {
  state_->setup();
}

CorpusGenerator::~CorpusGenerator() = default;

void CorpusGenerator::append_line(std::string& out) { state_->append_line(out); }

std::string CorpusGenerator::expected_counts() const {
  const State& s = *state_;
  std::vector<std::string> lines;
  auto line = [&](std::initializer_list<std::string_view> fields, std::uint64_t count) {
    std::string text;
    for (auto f : fields) {
      text += f;
      text.push_back('\t');
    }
    append_decimal(text, count);
    text.push_back('\n');
    lines.push_back(std::move(text));
  };

  static constexpr std::string_view kResultNames[] = {"event", "ignored", "malformed", "unknown"};
  for (std::size_t r = 0; r < std::size(kResultNames); ++r) line({"result", kResultNames[r]}, s.results[r]);

  for (std::size_t slot = 0; slot < s.peers.size(); ++slot) {
    std::string id;
    append_decimal(id, s.peers[slot].id);
    const std::string& interface = s.interfaces[s.peers[slot].interface].name;
    for (std::size_t e = 0; e < kPeerEventCount; ++e) {
      if (auto n = s.peer_counts[slot][e]) line({"peer_event", interface, id, kPeerEventNames[e]}, n);
    }
  }
  for (std::size_t i = 0; i < s.interfaces.size(); ++i) {
    for (std::size_t e = 0; e < kInterfaceEventCount; ++e) {
      if (auto n = s.interface_counts[i][e]) {
        line({"interface_event", s.interfaces[i].name, kInterfaceEventNames[e]}, n);
      }
    }
    static constexpr std::string_view kFamilies[] = {"ipv4", "ipv6"};
    for (std::size_t f = 0; f < 2; ++f) {
      for (std::size_t e = 0; e < kRouteErrorCount; ++e) {
        if (auto n = s.no_route_counts[i][f][e]) {
          line({"no_route", s.interfaces[i].name, kFamilies[f], kRouteErrors[e].label}, n);
        }
      }
    }
  }
  line({"ratelimit_suppressed"}, s.ratelimit_suppressed);

  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

}  // namespace wgevents::corpus
