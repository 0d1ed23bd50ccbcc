#include "kernel_printf.h"

#include <charconv>

namespace wgevents::corpus {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::uint16_t group(const std::uint8_t* address, int index) {
  return static_cast<std::uint16_t>(address[2 * index] << 8 | address[2 * index + 1]);
}

void append_hex_group_short(std::string& out, std::uint16_t word) {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    unsigned digit = (word >> shift) & 0xF;
    if (digit != 0 || started || shift == 0) {
      out.push_back(kHexDigits[digit]);
      started = true;
    }
  }
}

// ipv6_addr_v4mapped(): ::ffff:a.b.c.d
bool is_v4_mapped(const std::uint8_t* a) {
  for (int i = 0; i < 10; ++i) {
    if (a[i] != 0) return false;
  }
  return a[10] == 0xFF && a[11] == 0xFF;
}

// ipv6_addr_is_isatap(): the third 32-bit word, with the u/l bit forced on, is 0x02005efe.
bool is_isatap(const std::uint8_t* a) {
  return (a[8] | 0x02) == 0x02 && a[9] == 0x00 && a[10] == 0x5E && a[11] == 0xFE;
}

void append_unspec(std::string& out, UnspecSpelling unspec) {
  out += unspec == UnspecSpelling::einval ? "(einval)" : "(invalid address)";
}

}  // namespace

void append_decimal(std::string& out, std::uint64_t value) {
  char buffer[20];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_signed(std::string& out, std::int64_t value) {
  char buffer[20];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_padded(std::string& out, std::uint64_t value, int width, char fill) {
  char buffer[20];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  auto digits = static_cast<int>(result.ptr - buffer);
  if (digits < width) out.append(static_cast<std::size_t>(width - digits), fill);
  out.append(buffer, result.ptr);
}

void append_ipv4(std::string& out, const std::uint8_t* address) {
  for (int i = 0; i < 4; ++i) {
    if (i != 0) out.push_back('.');
    append_decimal(out, address[i]);
  }
}

void append_ipv6_full(std::string& out, const std::uint8_t* address) {
  for (int i = 0; i < 16; ++i) {
    if (i != 0 && i % 2 == 0) out.push_back(':');
    out.push_back(kHexDigits[address[i] >> 4]);
    out.push_back(kHexDigits[address[i] & 0xF]);
  }
}

// Follows lib/vsprintf.c ip6_compressed_string() step by step.
void append_ipv6_compressed(std::string& out, const std::uint8_t* address) {
  const bool use_ipv4 = is_v4_mapped(address) || is_isatap(address);
  const int range = use_ipv4 ? 6 : 8;

  int zero_length[8] = {};
  for (int i = 0; i < range; ++i) {
    for (int j = i; j < range && group(address, j) == 0; ++j) ++zero_length[i];
  }
  int longest = 1;
  int colon_position = -1;
  for (int i = 0; i < range; ++i) {
    if (zero_length[i] > longest) {
      longest = zero_length[i];
      colon_position = i;
    }
  }

  bool need_colon = false;
  for (int i = 0; i < range; ++i) {
    if (i == colon_position) {
      if (need_colon || i == 0) out.push_back(':');
      out.push_back(':');
      need_colon = false;
      i += longest - 1;
      continue;
    }
    if (need_colon) out.push_back(':');
    append_hex_group_short(out, group(address, i));
    need_colon = true;
  }
  if (use_ipv4) {
    if (need_colon) out.push_back(':');
    append_ipv4(out, address + 12);
  }
}

void append_address(std::string& out, const SocketAddress& address, UnspecSpelling unspec) {
  switch (address.family) {
    case SocketAddress::Family::ipv4:
      append_ipv4(out, address.bytes.data());
      return;
    case SocketAddress::Family::ipv6:
      append_ipv6_compressed(out, address.bytes.data());
      return;
    case SocketAddress::Family::unspec:
      append_unspec(out, unspec);
      return;
  }
}

void append_endpoint(std::string& out, const SocketAddress& address, UnspecSpelling unspec) {
  switch (address.family) {
    case SocketAddress::Family::ipv4:
      append_ipv4(out, address.bytes.data());
      out.push_back(':');
      append_decimal(out, address.port);
      return;
    case SocketAddress::Family::ipv6:
      out.push_back('[');
      append_ipv6_compressed(out, address.bytes.data());
      out += "]:";
      append_decimal(out, address.port);
      out.push_back('/');
      append_decimal(out, address.flowinfo);
      out.push_back('%');
      append_decimal(out, address.scope_id);
      return;
    case SocketAddress::Family::unspec:
      append_unspec(out, unspec);
      return;
  }
}

}  // namespace wgevents::corpus
