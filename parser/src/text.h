// Small text helpers shared by the parser layers. Nothing here allocates.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <string_view>
#include <system_error>

namespace wgevents::detail {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A whole string of decimal digits as an unsigned integer of type T; false on an empty string,
// a non-digit (no sign, no spaces) or a value that does not fit.
// (A plain loop: kernel numbers are short, and std::from_chars costs more than the digits.)
template <typename T>
bool parse_unsigned(std::string_view text, T& out) {
  static_assert(std::is_unsigned_v<T>);
  if (text.empty() || text.size() > 20) return false;  // UINT64_MAX has 20 digits
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned digit = static_cast<unsigned char>(text[i]) - '0';
    if (digit > 9) return false;
    if (i >= 19 && value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(value);
  return true;
}

// Like parse_unsigned, with an optional leading '-'.
template <typename T>
bool parse_signed(std::string_view text, T& out) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || !is_digit(digits.front())) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// Exactly `n` digits at the start of `text` as a number; false otherwise.
inline bool parse_fixed_digits(std::string_view text, std::size_t n, int& out) {
  if (text.size() < n) return false;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace wgevents::detail
