// The WG_CMD_GET_DEVICE dump decoder on dumps built here with libmnl as the kernel builds them
// (drivers/net/wireguard/netlink.c): device attributes, then nested peers, a peer's allowed IPs
// continued in the next message, NLMSG_DONE at the end.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

#include "identity/device_dump.h"

using namespace wgevents;

namespace {

PublicKey key_of(std::uint8_t fill) {
  PublicKey key;
  key.fill(fill);
  return key;
}

struct PeerSpec {
  std::uint8_t key_fill;
  const char* address = nullptr;  // endpoint; nullptr: none
  std::uint16_t port = 0;
  std::int64_t handshake_sec = 0;
  std::uint64_t rx = 0, tx = 0;
  std::vector<std::pair<const char*, int>> blocks;
  bool with_preshared = true;
};

// One datagram: messages appended to `buffer` (aligned as the kernel aligns them).
class Datagram {
 public:
  Datagram() : buffer_(64 * 1024) {}

  // A WG_CMD_GET_DEVICE reply message with the device's keys and `peers`.
  void device(const std::vector<PeerSpec>& peers, bool first = true) {
    nlmsghdr* m = mnl_nlmsg_put_header(buffer_.data() + used_);
    m->nlmsg_type = 0x20;
    m->nlmsg_flags = NLM_F_MULTI;
    auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(m, sizeof(genlmsghdr)));
    genl->cmd = WG_CMD_GET_DEVICE;
    genl->version = WG_GENL_VERSION;
    if (first) {
      mnl_attr_put_u32(m, WGDEVICE_A_IFINDEX, 7);
      mnl_attr_put_strz(m, WGDEVICE_A_IFNAME, "wg0");
      const PublicKey secret = key_of(0xEE);  // stands for the private key
      mnl_attr_put(m, WGDEVICE_A_PRIVATE_KEY, secret.size(), secret.data());
      mnl_attr_put_u16(m, WGDEVICE_A_LISTEN_PORT, 51820);
    }
    nlattr* list = mnl_attr_nest_start(m, WGDEVICE_A_PEERS);
    int index = 0;
    for (const PeerSpec& p : peers) {
      nlattr* peer = mnl_attr_nest_start(m, static_cast<std::uint16_t>(index++));
      const PublicKey key = key_of(p.key_fill);
      mnl_attr_put(m, WGPEER_A_PUBLIC_KEY, key.size(), key.data());
      if (p.with_preshared) {
        const PublicKey psk = key_of(0xDD);
        mnl_attr_put(m, WGPEER_A_PRESHARED_KEY, psk.size(), psk.data());
      }
      __kernel_timespec t{p.handshake_sec, 250000000};
      mnl_attr_put(m, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof t, &t);
      mnl_attr_put_u64(m, WGPEER_A_RX_BYTES, p.rx);
      mnl_attr_put_u64(m, WGPEER_A_TX_BYTES, p.tx);
      mnl_attr_put_u32(m, WGPEER_A_PROTOCOL_VERSION, 1);
      if (p.address != nullptr) {
        if (std::strchr(p.address, ':') != nullptr) {
          sockaddr_in6 a{};
          a.sin6_family = AF_INET6;
          a.sin6_port = htons(p.port);
          inet_pton(AF_INET6, p.address, &a.sin6_addr);
          mnl_attr_put(m, WGPEER_A_ENDPOINT, sizeof a, &a);
        } else {
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(p.port);
          inet_pton(AF_INET, p.address, &a.sin_addr);
          mnl_attr_put(m, WGPEER_A_ENDPOINT, sizeof a, &a);
        }
      }
      nlattr* ips = mnl_attr_nest_start(m, WGPEER_A_ALLOWEDIPS);
      int ip_index = 0;
      for (const auto& [text, prefix] : p.blocks) {
        nlattr* ip = mnl_attr_nest_start(m, static_cast<std::uint16_t>(ip_index++));
        const bool v6 = std::strchr(text, ':') != nullptr;
        mnl_attr_put_u16(m, WGALLOWEDIP_A_FAMILY, v6 ? AF_INET6 : AF_INET);
        std::uint8_t bytes[16] = {};
        inet_pton(v6 ? AF_INET6 : AF_INET, text, bytes);
        mnl_attr_put(m, WGALLOWEDIP_A_IPADDR, v6 ? 16 : 4, bytes);
        mnl_attr_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, static_cast<std::uint8_t>(prefix));
        mnl_attr_nest_end(m, ip);
      }
      mnl_attr_nest_end(m, ips);
      mnl_attr_nest_end(m, peer);
    }
    mnl_attr_nest_end(m, list);
    used_ += MNL_ALIGN(m->nlmsg_len);
  }
  void done() {
    nlmsghdr* m = mnl_nlmsg_put_header(buffer_.data() + used_);
    m->nlmsg_type = NLMSG_DONE;
    m->nlmsg_flags = NLM_F_MULTI;
    int zero = 0;
    std::memcpy(mnl_nlmsg_put_extra_header(m, sizeof zero), &zero, sizeof zero);
    used_ += MNL_ALIGN(m->nlmsg_len);
  }
  void error(int error_number) {
    nlmsghdr* m = mnl_nlmsg_put_header(buffer_.data() + used_);
    m->nlmsg_type = NLMSG_ERROR;
    auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(m, sizeof(nlmsgerr)));
    e->error = -error_number;
    used_ += MNL_ALIGN(m->nlmsg_len);
  }
  const char* data() const { return buffer_.data(); }
  std::size_t size() const { return used_; }
  std::vector<char>& bytes() { return buffer_; }

 private:
  std::vector<char> buffer_;
  std::size_t used_ = 0;
};

}  // namespace

TEST_CASE("a dump in several datagrams gives every peer in order, a continued peer once") {
  Datagram first, second;
  first.device({{1, "192.0.2.1", 51820, 1700000000, 100, 200, {{"10.7.0.1", 32}}},
                {2, "2001:db8::2", 4500, 0, 0, 0, {{"10.7.0.2", 32}, {"fd00::2", 128}}}});
  // The kernel continues peer 2's allowed IPs in the next message, starting with its key again.
  second.device({{2, nullptr, 0, 0, 0, 0, {{"10.7.1.0", 24}}, false},
                 {3, nullptr, 0, 0, 0, 0, {}}},
                false);
  second.done();

  DeviceDumpDecoder decoder("wg0");
  REQUIRE(decoder.feed(first.data(), first.size()) == DeviceDumpDecoder::Status::more);
  REQUIRE(decoder.feed(second.data(), second.size()) == DeviceDumpDecoder::Status::done);
  const InterfaceTable& table = decoder.table();
  CHECK(table.name == "wg0");
  CHECK(table.source == TableSource::kernel);
  REQUIRE(table.peers.size() == 3);
  CHECK(table.peers[0].public_key == key_of(1));
  CHECK(table.peers[0].endpoint.address.family == IpAddress::Family::ipv4);
  CHECK(table.peers[0].endpoint.port == 51820);
  CHECK(table.peers[0].last_handshake == 1700000000.25);
  CHECK(table.peers[0].receive_bytes == 100);
  CHECK(table.peers[0].transmit_bytes == 200);
  CHECK(table.peers[1].public_key == key_of(2));
  CHECK(table.peers[1].endpoint.address.family == IpAddress::Family::ipv6);
  CHECK(table.peers[1].endpoint.port == 4500);
  CHECK(table.peers[1].last_handshake == 0);
  std::string blocks;
  for (const auto& block : table.peers[1].allowed_ips) {
    append_allowed_ip(blocks, block);
    blocks += ' ';
  }
  CHECK(blocks == "10.7.0.2/32 fd00::2/128 10.7.1.0/24 ");
  CHECK(table.peers[2].public_key == key_of(3));
  CHECK_FALSE(table.peers[2].endpoint.known());
  // Neither the private key (0xEE) nor the preshared key (0xDD) became a peer.
  for (const auto& peer : table.peers) {
    CHECK(peer.public_key != key_of(0xEE));
    CHECK(peer.public_key != key_of(0xDD));
  }
}

TEST_CASE("an error message fails the dump with the kernel's errno") {
  Datagram d;
  d.error(EPERM);
  DeviceDumpDecoder decoder("wg0");
  CHECK(decoder.feed(d.data(), d.size()) == DeviceDumpDecoder::Status::failed);
  CHECK(decoder.error_number() == EPERM);
}

TEST_CASE("bytes that are not a well-formed dump fail it") {
  Datagram good;
  good.device({{1, "192.0.2.1", 1, 0, 0, 0, {}}});
  good.done();
  SECTION("truncated") {
    DeviceDumpDecoder decoder("wg0");
    CHECK(decoder.feed(good.data(), good.size() - 3) == DeviceDumpDecoder::Status::failed);
  }
  SECTION("empty") {
    DeviceDumpDecoder decoder("wg0");
    CHECK(decoder.feed(good.data(), 0) == DeviceDumpDecoder::Status::failed);
  }
  SECTION("a public key of the wrong length") {
    Datagram d;
    d.device({{1, "192.0.2.1", 1, 0, 0, 0, {}}});
    d.done();
    // The peer's first attribute is its key: find the 32 bytes of 0x01 and shorten its length.
    auto& bytes = d.bytes();
    for (std::size_t i = 0; i + 4 + 32 <= d.size(); ++i) {
      nlattr a;
      std::memcpy(&a, bytes.data() + i, sizeof a);
      if (a.nla_type == WGPEER_A_PUBLIC_KEY && a.nla_len == 36 && bytes[i + 4] == 1) {
        a.nla_len = 35;
        std::memcpy(bytes.data() + i, &a, sizeof a);
        break;
      }
    }
    DeviceDumpDecoder decoder("wg0");
    CHECK(decoder.feed(d.data(), d.size()) == DeviceDumpDecoder::Status::failed);
  }
  SECTION("an acknowledgement instead of a dump") {
    Datagram d;
    d.error(0);
    DeviceDumpDecoder decoder("wg0");
    CHECK(decoder.feed(d.data(), d.size()) == DeviceDumpDecoder::Status::failed);
  }
}

TEST_CASE("a dump larger than the limits keeps the first peers and counts the rest") {
  TableLimits limits;
  limits.max_peers = 2;
  Datagram d;
  d.device({{1, nullptr, 0, 0, 0, 0, {}}, {2, nullptr, 0, 0, 0, 0, {}}, {3, nullptr, 0, 0, 0, 0, {}}});
  d.done();
  DeviceDumpDecoder decoder("wg0", limits);
  REQUIRE(decoder.feed(d.data(), d.size()) == DeviceDumpDecoder::Status::done);
  CHECK(decoder.table().peers.size() == 2);
  CHECK(decoder.table().peers_dropped == 1);
}
