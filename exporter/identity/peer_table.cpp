#include "peer_table.h"

#include <arpa/inet.h>

#include <iterator>

#include <fmt/format.h>

#include "wgevents/parser/base64.h"

namespace wgevents {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void append_base64_key(std::string& out, const PublicKey& key) {
  std::size_t i = 0;
  for (; i + 3 <= key.size(); i += 3) {
    const std::uint32_t v = (key[i] << 16) | (key[i + 1] << 8) | key[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  // 32 = 10 * 3 + 2: two bytes left, one `=`.
  const std::uint32_t v = (key[i] << 16) | (key[i + 1] << 8);
  out += kBase64Alphabet[(v >> 18) & 63];
  out += kBase64Alphabet[(v >> 12) & 63];
  out += kBase64Alphabet[(v >> 6) & 63];
  out += '=';
}

std::string base64_key(const PublicKey& key) {
  std::string out;
  out.reserve(44);
  append_base64_key(out, key);
  return out;
}

std::optional<PublicKey> parse_base64_key(std::string_view text) {
  if (text.size() != 44 || text[43] != '=') return std::nullopt;
  PublicKey key{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < 40; i += 4) {
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int d = base64_value(text[i + j]);
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    key[out++] = static_cast<std::uint8_t>(v >> 16);
    key[out++] = static_cast<std::uint8_t>(v >> 8);
    key[out++] = static_cast<std::uint8_t>(v);
  }
  const int a = base64_value(text[40]), b = base64_value(text[41]), c = base64_value(text[42]);
  if (a < 0 || b < 0 || c < 0 || (c & 3) != 0) return std::nullopt;  // the unused bits must be 0
  const std::uint32_t v = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                          (static_cast<std::uint32_t>(c) << 6);
  key[out++] = static_cast<std::uint8_t>(v >> 16);
  key[out++] = static_cast<std::uint8_t>(v >> 8);
  return key;
}

std::optional<PublicKey> parse_hex_key(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  PublicKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return key;
}

void append_allowed_ip(std::string& out, const AllowedIp& block) {
  char text[INET6_ADDRSTRLEN];
  const int af = block.address.family == IpAddress::Family::ipv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, block.address.bytes.data(), text, sizeof text) == nullptr) return;
  fmt::format_to(std::back_inserter(out), "{}/{}", text, block.prefix);
}

void add_allowed_ip(TablePeer& peer, const AllowedIp& block, const TableLimits& limits) {
  if (peer.allowed_ips.size() >= limits.max_allowed_ips) {
    ++peer.allowed_ips_dropped;
    return;
  }
  peer.allowed_ips.push_back(block);
}

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceName || name == "." || name == "..") return false;
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == '/') return false;
  }
  return true;
}

}  // namespace wgevents
