#include "hostile_datagrams.h"

#include <algorithm>

namespace wgevents::testing {
namespace {

constexpr std::size_t kMaxUdpPayload = 65507;  // 65535 - 20 (IPv4) - 8 (UDP)

// Interface names of at most 15 bytes that a label must escape or that look like syntax. The
// kernel refuses only '/', ':' and white space in a name; the rest may really occur.
constexpr std::string_view kInjectedNames[] = {
    "wg\"0", "wg\\0", "}{", "a\",b=\"c", "x\"} 1\n#", "#wg", "wg=0,", "wg\\n", "\xc3\xa9t\xc3\xa9", "wg{0}", "wg\n0",
};

constexpr std::string_view kInvalidUtf8[] = {
    "\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80",
};

}  // namespace

std::string_view hostile_kind_name(HostileKind kind) {
  switch (kind) {
    case HostileKind::random_bytes: return "random_bytes";
    case HostileKind::truncated_header: return "truncated_header";
    case HostileKind::max_datagram: return "max_datagram";
    case HostileKind::nul_bytes: return "nul_bytes";
    case HostileKind::invalid_utf8: return "invalid_utf8";
    case HostileKind::long_peer_id: return "long_peer_id";
    case HostileKind::long_interface: return "long_interface";
    case HostileKind::huge_number: return "huge_number";
    case HostileKind::label_injection: return "label_injection";
    case HostileKind::valid: return "valid";
  }
  return "?";
}

HostileDatagrams::HostileDatagrams(std::uint64_t seed, std::size_t max_datagram_share)
    : random_(seed), max_datagram_share_(std::max<std::size_t>(max_datagram_share, 1)) {}

std::string HostileDatagrams::random_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(random_() & 0xFF);
  return s;
}

std::string HostileDatagrams::envelope() {
  switch (random_() % 5) {
    case 0: return "";
    case 1: return "<4>Nov 24 10:00:00 gw1 kernel: ";
    case 2: return "<7>1 2026-11-24T10:00:00.000001+00:00 gw1 kernel - - -  ";
    case 3: return "6,1234,5678901234,-;";
    default: return "<4>Nov 24 10:00:00 gw1 kernel: [ 1234.567890] ";
  }
}

std::string HostileDatagrams::real_line() {
  const std::string peer = std::to_string(1 + random_() % 5000);
  const std::string host = std::to_string(1 + random_() % 254);
  std::string body;
  switch (random_() % 6) {
    case 0: body = "Receiving keepalive packet from peer " + peer + " (192.0.2." + host + ":51820)"; break;
    case 1: body = "Sending handshake initiation to peer " + peer + " ([2001:db8::" + host + "]:51820/0%0)"; break;
    case 2: body = "Keypair " + std::to_string(random_() % 100000) + " created for peer " + peer; break;
    case 3: body = "Invalid MAC of handshake, dropping packet from 198.51.100." + host + ":" + std::to_string(1024 + random_() % 60000); break;
    case 4:
      body = "Handshake for peer " + peer + " (192.0.2." + host + ":51820) did not complete after 5 seconds, retrying (try " +
             std::to_string(2 + random_() % 18) + ")";
      break;
    default: body = "No route to 192.0.2." + host + ":51820, error -101"; break;
  }
  return envelope() + "wireguard: wg0: " + body;
}

std::string HostileDatagrams::next() {
  HostileKind kind;
  if (random_() % max_datagram_share_ == 0) {
    kind = HostileKind::max_datagram;
  } else {
    static constexpr HostileKind kOthers[] = {
        HostileKind::random_bytes,  HostileKind::truncated_header, HostileKind::nul_bytes,
        HostileKind::invalid_utf8,  HostileKind::long_peer_id,     HostileKind::long_interface,
        HostileKind::huge_number,   HostileKind::label_injection,  HostileKind::valid,
    };
    kind = kOthers[random_() % std::size(kOthers)];
  }
  last_ = kind;
  ++counts_[static_cast<std::size_t>(kind)];

  switch (kind) {
    case HostileKind::random_bytes: return random_bytes(random_() % 1501);
    case HostileKind::truncated_header: {
      std::string e;
      while (e.empty()) e = envelope();
      std::string line = e + "wireguard: wg0: Peer 1 created";
      return line.substr(0, 1 + random_() % (e.size() + 16));
    }
    case HostileKind::max_datagram: {
      std::string head;
      switch (random_() % 4) {
        case 0: return random_bytes(kMaxUdpPayload);
        case 1: head = envelope() + "wireguard: wg0: "; break;
        case 2: head = real_line(); break;
        default: head = "<"; break;
      }
      head.resize(kMaxUdpPayload, head == "<" ? '9' : 'A');
      return head;
    }
    case HostileKind::nul_bytes: {
      std::string line = real_line();
      for (std::size_t n = 1 + random_() % 3; n > 0; --n) line.insert(random_() % (line.size() + 1), 1, '\0');
      return line;
    }
    case HostileKind::invalid_utf8: {
      std::string line = real_line();
      line.insert(random_() % (line.size() + 1), kInvalidUtf8[random_() % std::size(kInvalidUtf8)]);
      return line;
    }
    case HostileKind::long_peer_id: {
      std::string id;
      if (random_() % 2 == 0) {
        id = std::to_string(1 + random_() % 9);
        while (id.size() < 21) id += static_cast<char>('0' + random_() % 10);
      } else {
        // 20 digits, from 2^64 up: one past what %llu can print.
        id = "1844674407370955" + std::to_string(1616 + random_() % 8000);
      }
      switch (random_() % 3) {
        case 0: return envelope() + "wireguard: wg0: Peer " + id + " created";
        case 1: return envelope() + "wireguard: wg0: Keypair " + id + " created for peer 7";
        default: return envelope() + "wireguard: wg0: Receiving keepalive packet from peer " + id + " (192.0.2.1:51820)";
      }
    }
    case HostileKind::long_interface: {
      std::string name;
      while (name.size() < 16) name += static_cast<char>('a' + random_() % 26);
      return envelope() + "wireguard: " + name + (random_() % 2 ? ": Interface created" : ": Peer 3 created");
    }
    case HostileKind::huge_number: {
      const std::string e = envelope() + "wireguard: wg0: ";
      switch (random_() % 6) {
        case 0: return e + "Receiving keepalive packet from peer 1 (192.0.2.1:" + std::to_string(65536 + random_() % 900000) + ")";
        case 1: return e + "No route to 192.0.2.1:51820, error -" + std::to_string(2147483649ULL + random_() % 100000000000ULL);
        case 2:
          return e + "Handshake for peer 1 (192.0.2.1:51820) did not complete after 5 seconds, retrying (try " +
                 std::to_string(4294967296ULL + random_() % 100000000000ULL) + ")";
        case 3:
          return e + "Handshake for peer 1 (192.0.2.1:51820) did not complete after " +
                 std::to_string(4294967296ULL + random_() % 100000000000ULL) + " attempts, giving up";
        case 4: return e + "Packet has invalid nonce 18446744073709551616 (max " + std::to_string(random_()) + ")";
        default: return e + "Receiving keepalive packet from peer 1 (192.0.2." + std::to_string(256 + random_() % 744) + ":51820)";
      }
    }
    case HostileKind::label_injection: {
      std::string_view name = kInjectedNames[random_() % std::size(kInjectedNames)];
      return envelope() + "wireguard: " + std::string(name) + ": Interface created";
    }
    case HostileKind::valid:
      return envelope() + "wireguard: wg0: Receiving keepalive packet from peer " + std::to_string(1 + random_() % 5000) +
             " (192.0.2.1:51820)";
  }
  return {};
}

}  // namespace wgevents::testing
