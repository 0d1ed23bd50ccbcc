#include "kernel_prefix.h"

#include <array>

#include "text.h"

namespace wgevents::detail {
namespace {

// pr_fmt of the WireGuard module and of its AmneziaWG fork, which prints the same formats.
constexpr std::array<std::string_view, 2> kModulePrefixes{"wireguard: ", "amneziawg: "};
constexpr std::string_view kRatelimitPrefix = "net_ratelimit: ";
// A bracketed timestamp is short; a longer bracket is text, not a timestamp.
constexpr std::size_t kMaxBracketToken = 40;

// Bytes a bracketed timestamp may hold: digits, letters, spaces and `+ , . : /`. A table,
// because every kernel line starts with one.
constexpr std::array<bool, 256> kTimestampBytes = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                         c == ' ' || c == '+' || c == ',' || c == '.' || c == ':' || c == '/';
  }
  return table;
}();

bool is_timestamp_char(char c) { return kTimestampBytes[static_cast<unsigned char>(c)]; }

// `[ 1234.567890] `, `[Mon Jun  6 19:05:37 2022] `, `[  +7,696954] `, or the `t` decoration
// `[1234] `. Returns bytes to skip, 0 if `text` does not start with such a token.
std::size_t bracket_token(std::string_view text) {
  if (text.empty() || text.front() != '[') return 0;
  std::size_t i = 1;
  while (i < text.size() && i <= kMaxBracketToken && is_timestamp_char(text[i])) ++i;
  if (i >= text.size() || text[i] != ']' || i == 1) return 0;
  ++i;
  while (i < text.size() && text[i] == ' ') ++i;
  return i;
}

std::string_view module_prefix(std::string_view text) {
  // Both prefixes are 9 letters, a colon and a space: check that shape before comparing.
  if (text.size() < 11 || text[9] != ':' || text[10] != ' ') return {};
  for (auto prefix : kModulePrefixes) {
    if (text.substr(0, prefix.size()) == prefix) return prefix;
  }
  return {};
}

// First byte first: nearly every line differs there, and the full compare is a library call.
bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.front() == prefix.front() &&
         text.substr(0, prefix.size()) == prefix;
}

// Dynamic debug decorations other than `t`: `m` (`wireguard:`), `f` (`func:`), `s` (`file:`)
// and `l` (`line:`) run together without spaces, and one space closes them. `prefix` is the
// module prefix `text` starts with, if any.
std::size_t decoration_token(std::string_view text, std::string_view prefix) {
  if (!prefix.empty()) {
    // `wireguard: wireguard: wg0: ...` is the `m` decoration alone before pr_fmt.
    return module_prefix(text.substr(prefix.size())).empty() ? 0 : prefix.size();
  }
  auto space = text.find(' ');
  if (space == std::string_view::npos || space < 2 || text[space - 1] != ':') return 0;
  return module_prefix(text.substr(space + 1)).empty() ? 0 : space + 1;
}

bool is_interface_byte(unsigned char c) { return c > ' ' && c != '/' && c != 0x7f; }

// `[ 1234.567890] `: seconds, a point, exactly six digits of microseconds (printk's format).
bool printk_time(std::string_view token, std::uint64_t& usec) {
  std::size_t i = 1;
  while (i < token.size() && token[i] == ' ') ++i;
  std::uint64_t seconds = 0;
  std::size_t digits = 0;
  for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i, ++digits) {
    seconds = seconds * 10 + static_cast<std::uint64_t>(token[i] - '0');
  }
  if (digits == 0 || digits > 12 || i + 8 > token.size() || token[i] != '.' || token[i + 7] != ']') return false;
  std::uint64_t micros = 0;
  for (std::size_t j = i + 1; j < i + 7; ++j) {
    if (token[j] < '0' || token[j] > '9') return false;
    micros = micros * 10 + static_cast<std::uint64_t>(token[j] - '0');
  }
  usec = seconds * 1000000 + micros;
  return true;
}

// What the module prints with pr_info when it loads (drivers/net/wireguard/main.c):
// `WireGuard <version> loaded. See www.wireguard.com for information.` and its copyright line.
bool is_module_banner(std::string_view text) {
  constexpr std::string_view kLoaded = " loaded. See www.wireguard.com for information.";
  if (starts_with(text, "WireGuard ") && text.size() >= kLoaded.size() &&
      text.substr(text.size() - kLoaded.size()) == kLoaded) {
    return true;
  }
  return starts_with(text, "Copyright (C) ");
}

}  // namespace

KernelLine split_kernel_line(std::string_view content) {
  KernelLine line;
  std::string_view text = content;
  // printk time, then the thread id of the `t` decoration.
  for (int i = 0; i < 2; ++i) {
    std::size_t n = bracket_token(text);
    if (n == 0) break;
    if (i == 0) line.has_printk_time = printk_time(text.substr(0, n), line.printk_usec);
    text.remove_prefix(n);
  }
  if (starts_with(text, "<intr> ")) text.remove_prefix(7);

  if (starts_with(text, kRatelimitPrefix)) {
    line.kind = KernelLine::Kind::ratelimit;
    line.body = text.substr(kRatelimitPrefix.size());
    return line;
  }
  std::string_view prefix = module_prefix(text);
  if (std::size_t decoration = decoration_token(text, prefix); decoration != 0) {
    text.remove_prefix(decoration);
    prefix = module_prefix(text);
  }
  if (prefix.empty()) return line;  // not_wireguard

  line.module = text.substr(0, prefix.size() - 2);
  text.remove_prefix(prefix.size());
  if (!is_valid_utf8(text)) {
    line.kind = KernelLine::Kind::malformed;
    line.reason = MalformedReason::invalid_utf8;
    return line;
  }
  // `<ifname>: `. The banner (`WireGuard 1.0.0 loaded.`) has a space before any colon.
  std::size_t i = 0;
  bool valid_bytes = true;
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ':' || c == ' ') break;
    valid_bytes = valid_bytes && is_interface_byte(c);
  }
  if (i == text.size() || text[i] != ':' || i + 1 >= text.size() || text[i + 1] != ' ') {
    line.kind = is_module_banner(text) ? KernelLine::Kind::module_banner : KernelLine::Kind::wireguard_unknown;
    return line;
  }
  std::string_view ifname = text.substr(0, i);
  if (!valid_bytes || ifname.empty() || ifname.size() > kMaxInterfaceName) {
    line.kind = KernelLine::Kind::malformed;
    line.reason = MalformedReason::bad_interface;
    return line;
  }
  line.kind = KernelLine::Kind::wireguard;
  line.interface = ifname;
  line.body = text.substr(i + 2);
  return line;
}

}  // namespace wgevents::detail
