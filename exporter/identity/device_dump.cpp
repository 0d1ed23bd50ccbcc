#include "device_dump.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace wgevents {

// State shared by the libmnl callbacks of one datagram.
struct DeviceDumpDecoder::Walk {
  explicit Walk(DeviceDumpDecoder& d) : decoder(d) {}
  DeviceDumpDecoder& decoder;
  bool first_peer_of_message = true;
  bool bad = false;
  TablePeer peer;        // the peer being decoded
  bool peer_has_key = false;
  AllowedIp block;       // the allowed IP being decoded
  int block_family = 0;
  bool block_has_address = false;

  static int on_message(const nlmsghdr* message, void* data);
  static int on_device_attribute(const nlattr* attribute, void* data);
  static int on_peer(const nlattr* attribute, void* data);
  static int on_peer_attribute(const nlattr* attribute, void* data);
  static int on_allowed_ip(const nlattr* attribute, void* data);
  static int on_allowed_ip_attribute(const nlattr* attribute, void* data);

  int reject() {
    bad = true;
    return MNL_CB_ERROR;
  }
};

namespace {

bool read_endpoint(const nlattr* attribute, Endpoint& out) {
  const auto length = mnl_attr_get_payload_len(attribute);
  const void* payload = mnl_attr_get_payload(attribute);
  sa_family_t family = 0;
  if (length < sizeof family) return false;
  std::memcpy(&family, payload, sizeof family);
  Endpoint endpoint;
  if (family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, payload, sizeof in);
    endpoint.address.family = IpAddress::Family::ipv4;
    std::memcpy(endpoint.address.bytes.data(), &in.sin_addr, 4);
    endpoint.port = ntohs(in.sin_port);
  } else if (family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, payload, sizeof in6);
    endpoint.address.family = IpAddress::Family::ipv6;
    std::memcpy(endpoint.address.bytes.data(), &in6.sin6_addr, 16);
    endpoint.port = ntohs(in6.sin6_port);
    endpoint.scope_id = in6.sin6_scope_id;  // flowinfo dropped, as on the metrics page
  } else {
    return false;
  }
  out = endpoint;
  return true;
}

}  // namespace

int DeviceDumpDecoder::Walk::on_message(const nlmsghdr* message, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  if (mnl_nlmsg_get_payload_len(message) < sizeof(genlmsghdr)) return walk.reject();
  walk.first_peer_of_message = true;
  return mnl_attr_parse(message, sizeof(genlmsghdr), on_device_attribute, data) == MNL_CB_ERROR || walk.bad
             ? walk.reject()
             : MNL_CB_OK;
}

int DeviceDumpDecoder::Walk::on_device_attribute(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  // WGDEVICE_A_PRIVATE_KEY and every other device attribute are passed over unread.
  if (mnl_attr_get_type(attribute) != WGDEVICE_A_PEERS) return MNL_CB_OK;
  if (mnl_attr_parse_nested(attribute, on_peer, data) == MNL_CB_ERROR || walk.bad) return walk.reject();
  return MNL_CB_OK;
}

int DeviceDumpDecoder::Walk::on_peer(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  walk.peer = TablePeer{};
  walk.peer_has_key = false;
  if (mnl_attr_parse_nested(attribute, on_peer_attribute, data) == MNL_CB_ERROR || walk.bad) return walk.reject();
  if (!walk.peer_has_key) return walk.reject();
  InterfaceTable& table = walk.decoder.table_;
  const TableLimits& limits = walk.decoder.limits_;
  const bool continued = walk.first_peer_of_message && !table.peers.empty() &&
                         table.peers.back().public_key == walk.peer.public_key;
  walk.first_peer_of_message = false;
  if (continued) {
    for (const AllowedIp& block : walk.peer.allowed_ips) add_allowed_ip(table.peers.back(), block, limits);
    table.peers.back().allowed_ips_dropped += walk.peer.allowed_ips_dropped;
  } else if (table.peers.size() >= limits.max_peers) {
    ++table.peers_dropped;
  } else {
    table.peers.push_back(std::move(walk.peer));
  }
  return MNL_CB_OK;
}

int DeviceDumpDecoder::Walk::on_peer_attribute(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  TablePeer& peer = walk.peer;
  // WGPEER_A_PRESHARED_KEY is passed over unread, like every attribute not named here.
  switch (mnl_attr_get_type(attribute)) {
    case WGPEER_A_PUBLIC_KEY:
      if (mnl_attr_get_payload_len(attribute) != peer.public_key.size()) return walk.reject();
      std::memcpy(peer.public_key.data(), mnl_attr_get_payload(attribute), peer.public_key.size());
      walk.peer_has_key = true;
      break;
    case WGPEER_A_ENDPOINT:
      if (!read_endpoint(attribute, peer.endpoint)) return walk.reject();
      break;
    case WGPEER_A_LAST_HANDSHAKE_TIME: {
      __kernel_timespec time{};
      if (mnl_attr_get_payload_len(attribute) != sizeof time) return walk.reject();
      std::memcpy(&time, mnl_attr_get_payload(attribute), sizeof time);
      if (time.tv_sec > 0) {
        peer.last_handshake = static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_nsec) / 1e9;
      }
      break;
    }
    case WGPEER_A_RX_BYTES:
      if (mnl_attr_validate(attribute, MNL_TYPE_U64) < 0) return walk.reject();
      peer.receive_bytes = mnl_attr_get_u64(attribute);
      break;
    case WGPEER_A_TX_BYTES:
      if (mnl_attr_validate(attribute, MNL_TYPE_U64) < 0) return walk.reject();
      peer.transmit_bytes = mnl_attr_get_u64(attribute);
      break;
    case WGPEER_A_ALLOWEDIPS:
      if (mnl_attr_parse_nested(attribute, on_allowed_ip, data) == MNL_CB_ERROR || walk.bad) return walk.reject();
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

int DeviceDumpDecoder::Walk::on_allowed_ip(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  walk.block = AllowedIp{};
  walk.block_family = 0;
  walk.block_has_address = false;
  if (mnl_attr_parse_nested(attribute, on_allowed_ip_attribute, data) == MNL_CB_ERROR || walk.bad) {
    return walk.reject();
  }
  const unsigned max_prefix = walk.block_family == AF_INET ? 32 : 128;
  if (!walk.block_has_address || walk.block.prefix > max_prefix) return walk.reject();
  add_allowed_ip(walk.peer, walk.block, walk.decoder.limits_);
  return MNL_CB_OK;
}

int DeviceDumpDecoder::Walk::on_allowed_ip_attribute(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  switch (mnl_attr_get_type(attribute)) {
    case WGALLOWEDIP_A_FAMILY:
      if (mnl_attr_validate(attribute, MNL_TYPE_U16) < 0 || walk.block_has_address) return walk.reject();
      walk.block_family = mnl_attr_get_u16(attribute);
      if (walk.block_family != AF_INET && walk.block_family != AF_INET6) return walk.reject();
      break;
    case WGALLOWEDIP_A_IPADDR: {
      // The kernel puts the family first; an address before it cannot be typed.
      const std::size_t length = walk.block_family == AF_INET ? 4 : walk.block_family == AF_INET6 ? 16 : 0;
      if (length == 0 || mnl_attr_get_payload_len(attribute) != length) return walk.reject();
      walk.block.address.family = length == 4 ? IpAddress::Family::ipv4 : IpAddress::Family::ipv6;
      std::memcpy(walk.block.address.bytes.data(), mnl_attr_get_payload(attribute), length);
      walk.block_has_address = true;
      break;
    }
    case WGALLOWEDIP_A_CIDR_MASK:
      if (mnl_attr_validate(attribute, MNL_TYPE_U8) < 0) return walk.reject();
      walk.block.prefix = mnl_attr_get_u8(attribute);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

DeviceDumpDecoder::DeviceDumpDecoder(std::string interface_name, TableLimits limits) : limits_(limits) {
  table_.name = std::move(interface_name);
  table_.source = TableSource::kernel;
}

DeviceDumpDecoder::Status DeviceDumpDecoder::feed(const void* data, std::size_t size) {
  if (status_ != Status::more) return status_;
  // The messages must fill the datagram exactly (libmnl stops quietly at a short tail), and
  // only NLMSG_DONE may end the dump: an empty or truncated datagram is not a table.
  // Walked here with unsigned arithmetic, before libmnl sees the bytes: mnl_nlmsg_ok() casts
  // nlmsg_len to int, so a length of 0xffffffff passes it and aligns to 0, and its walk (and
  // mnl_cb_run's) would never advance.
  bool saw_done = false;
  bool framed = size != 0 && size <= (1u << 30);
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t offset = 0; framed && offset < size;) {
    nlmsghdr header;
    if (size - offset < sizeof header) {
      framed = false;
      break;
    }
    std::memcpy(&header, bytes + offset, sizeof header);
    // NLMSG_ALIGN masks with an unsigned int, which would cut a size_t back to 32 bits.
    const std::size_t aligned = (static_cast<std::size_t>(header.nlmsg_len) + 3) & ~std::size_t{3};
    if (header.nlmsg_len < sizeof header || aligned > size - offset) {
      framed = false;
      break;
    }
    if (header.nlmsg_type == NLMSG_DONE) saw_done = true;
    offset += aligned;
  }
  if (!framed) {
    status_ = Status::failed;
    error_ = "malformed netlink message";
    return status_;
  }
  Walk walk(*this);
  // Sequence and port 0: the socket layer checks those; here only the bytes matter.
  errno = 0;
  const int result = mnl_cb_run(data, size, 0, 0, Walk::on_message, &walk);
  if (walk.bad) {
    status_ = Status::failed;
    error_ = "malformed WireGuard attributes";
  } else if (result == MNL_CB_STOP && saw_done) {
    status_ = Status::done;
  } else if (result == MNL_CB_STOP) {
    status_ = Status::failed;  // an acknowledgement, not a dump
    error_ = "no dump in the reply";
  } else if (result == MNL_CB_ERROR) {
    status_ = Status::failed;
    error_number_ = errno;
    error_ = errno != 0 ? std::strerror(errno) : "malformed netlink message";
  }
  return status_;
}

}  // namespace wgevents
