#include "uapi_reply.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace wgevents {
namespace {

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

bool parse_address(std::string_view text, IpAddress& out) {
  char buffer[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buffer) return false;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) {
    address.family = IpAddress::Family::ipv4;
  } else if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) {
    address.family = IpAddress::Family::ipv6;
  } else {
    return false;
  }
  out = address;
  return true;
}

bool is_secret_key(std::string_view key) { return key == "private_key" || key == "preshared_key"; }

}  // namespace

bool parse_endpoint_text(std::string_view text, Endpoint& out) {
  Endpoint endpoint;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (const auto percent = host.find('%'); percent != std::string_view::npos) {
      std::uint32_t scope = 0;
      if (parse_number(host.substr(percent + 1), scope)) endpoint.scope_id = scope;
      host = host.substr(0, percent);
    }
    if (!parse_address(host, endpoint.address) || endpoint.address.family != IpAddress::Family::ipv6) return false;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!parse_address(host, endpoint.address) || endpoint.address.family != IpAddress::Family::ipv4) return false;
  }
  if (!parse_number(port, endpoint.port)) return false;
  out = endpoint;
  return true;
}

bool parse_allowed_ip(std::string_view text, AllowedIp& out) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  AllowedIp block;
  if (!parse_address(text.substr(0, slash), block.address)) return false;
  unsigned prefix = 0;
  if (!parse_number(text.substr(slash + 1), prefix)) return false;
  if (prefix > (block.address.family == IpAddress::Family::ipv4 ? 32u : 128u)) return false;
  block.prefix = static_cast<std::uint8_t>(prefix);
  out = block;
  return true;
}

UapiReplyParser::UapiReplyParser(std::string interface_name, TableLimits limits) : limits_(limits) {
  table_.name = std::move(interface_name);
  table_.source = TableSource::userspace;
}

void UapiReplyParser::fail(std::string reason) {
  status_ = Status::failed;
  error_ = std::move(reason);
}

UapiReplyParser::Status UapiReplyParser::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (status_ != Status::more) break;
    if (c == '\n') {
      if (!in_value_) {
        if (!key_.empty()) {
          fail("line without '='");
        } else if (errno_seen_) {
          status_ = Status::done;  // the empty line after errno=0
        } else {
          fail("empty line before errno");
        }
        continue;
      }
      if (!skipping_secret_) take_line(key_, value_);
      key_.clear();
      value_.clear();
      in_value_ = false;
      skipping_secret_ = false;
      continue;
    }
    if (errno_seen_) {
      fail("bytes after errno");
    } else if (!in_value_) {
      if (c == '=') {
        in_value_ = true;
        skipping_secret_ = is_secret_key(key_);
      } else if (key_.size() >= kMaxLineBytes) {
        fail("line too long");
      } else {
        key_ += c;
      }
    } else if (!skipping_secret_) {
      if (value_.size() >= kMaxLineBytes) {
        fail("line too long");
      } else {
        value_ += c;
      }
    }
  }
  return status_;
}

void UapiReplyParser::take_line(std::string_view key, std::string_view value) {
  if (key == "errno") {
    int error = 0;
    if (!parse_number(value, error)) return fail("bad errno");
    if (error != 0) return fail("errno=" + std::to_string(error));
    errno_seen_ = true;
    return;
  }
  if (key == "public_key") {
    auto public_key = parse_hex_key(value);
    if (!public_key) return fail("bad public_key");
    if (table_.peers.size() >= limits_.max_peers) {
      ++table_.peers_dropped;
      in_peer_ = false;  // the lines of this peer are skipped
      return;
    }
    table_.peers.emplace_back().public_key = *public_key;
    in_peer_ = true;
    handshake_sec_ = 0;
    return;
  }
  if (!in_peer_) return;  // device keys (listen_port, fwmark, ...) and dropped peers' lines
  TablePeer& peer = table_.peers.back();
  if (key == "endpoint") {
    if (!parse_endpoint_text(value, peer.endpoint)) return fail("bad endpoint");
  } else if (key == "last_handshake_time_sec") {
    if (!parse_number(value, handshake_sec_)) return fail("bad last_handshake_time_sec");
    peer.last_handshake = static_cast<double>(handshake_sec_);
  } else if (key == "last_handshake_time_nsec") {
    std::int64_t nsec = 0;
    if (!parse_number(value, nsec)) return fail("bad last_handshake_time_nsec");
    if (handshake_sec_ != 0) peer.last_handshake = static_cast<double>(handshake_sec_) + static_cast<double>(nsec) / 1e9;
  } else if (key == "rx_bytes") {
    if (!parse_number(value, peer.receive_bytes)) return fail("bad rx_bytes");
  } else if (key == "tx_bytes") {
    if (!parse_number(value, peer.transmit_bytes)) return fail("bad tx_bytes");
  } else if (key == "allowed_ip") {
    AllowedIp block;
    if (!parse_allowed_ip(value, block)) return fail("bad allowed_ip");
    add_allowed_ip(peer, block, limits_);
  }
}

}  // namespace wgevents
