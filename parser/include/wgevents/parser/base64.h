// Standard base64's alphabet (RFC 4648 section 4), as wg and wireguard-go print keys and as HTTP
// basic authentication carries credentials. Header only; no allocation.
#pragma once

#include <string_view>

namespace wgevents {

inline constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of one base64 character, or -1 for any other byte (padding `=` included).
constexpr int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace wgevents
