#include "basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "wgevents/parser/base64.h"

namespace wgevents::basic_auth {

namespace {

constexpr std::size_t kBcryptHashLength = 60;  // "$2b$10$" + 22 salt + 31 hash characters
constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Standard base64 (RFC 4648 section 4), padding optional, nothing else allowed.
std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned bits = 0;
  int bit_count = 0;
  for (char c : in) {
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  return out;
}

thread_local std::uint64_t bcrypt_rounds = 0;

// crypt_r's state is about 32 KiB: too large for the stack of every caller.
std::string crypt_string(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* result = crypt_r(password.c_str(), setting.c_str(), data.get());
  // On failure crypt_r returns a string starting with '*' (or null), never a valid hash.
  std::string out = result != nullptr ? result : "*";
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  if (auto cost = bcrypt_cost(out)) bcrypt_rounds += std::uint64_t{1} << *cost;
  return out;
}

}  // namespace

std::optional<Credentials> parse_authorization(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
    header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
    header.remove_suffix(1);
  const std::size_t space = header.find(' ');
  if (space == std::string_view::npos || !iequals_ascii(header.substr(0, space), "Basic")) {
    return std::nullopt;
  }
  std::string_view encoded = header.substr(space + 1);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  auto decoded = base64_decode(encoded);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || decoded->find('\0') != std::string::npos) return std::nullopt;
  Credentials credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return credentials;
}

std::optional<int> bcrypt_cost(std::string_view hash) {
  if (hash.size() != kBcryptHashLength || hash.substr(0, 2) != "$2") return std::nullopt;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return std::nullopt;
  if (hash[3] != '$' || hash[6] != '$') return std::nullopt;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return std::nullopt;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return std::nullopt;
  if (hash.substr(7).find_first_not_of(kBcryptAlphabet) != std::string_view::npos)
    return std::nullopt;
  return cost;
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  if (!bcrypt_cost(hash)) return false;
  std::string computed = crypt_string(password, hash);
  const bool match = computed.size() == hash.size() &&
                     CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(computed.data(), computed.size());
  return match;
}

void bcrypt_decoy(const std::string& password, int cost) {
  if (cost < 4 || cost > 31) cost = 10;
  // A fixed salt: the result is thrown away, only the time spent matters.
  const std::string setting =
      "$2b$" + std::string(cost < 10 ? "0" : "") + std::to_string(cost) + "$0123456789abcdefghijkO";
  std::string computed = crypt_string(password, setting);
  OPENSSL_cleanse(computed.data(), computed.size());
}

std::uint64_t bcrypt_rounds_on_this_thread() { return bcrypt_rounds; }

std::vector<int> padding_costs(int user_cost, int cost) {
  std::vector<int> costs;
  for (int c = std::max(user_cost, 4); c < cost && c <= 31; ++c) costs.push_back(c);
  return costs;
}

bool check_password(const std::string& password, const std::string& hash, int cost) {
  if (hash.empty()) {
    bcrypt_decoy(password, cost);
    return false;
  }
  const bool match = bcrypt_matches(password, hash);
  for (int padding : padding_costs(bcrypt_cost(hash).value_or(cost), cost)) bcrypt_decoy(password, padding);
  return match;
}

namespace {

std::string credentials_digest(const Credentials& credentials, const std::string& hash) {
  // NUL separates the parts unambiguously: none of them may contain one.
  std::string material;
  material.reserve(credentials.user.size() + hash.size() + credentials.password.size() + 2);
  material.append(credentials.user).push_back('\0');
  material.append(hash).push_back('\0');
  material.append(credentials.password);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const bool ok = EVP_Digest(material.data(), material.size(), digest.data(), &length, EVP_sha256(),
                             nullptr) == 1;
  OPENSSL_cleanse(material.data(), material.size());
  if (!ok) return {};
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

}  // namespace

bool VerifiedCredentials::contains(const Credentials& credentials, const std::string& hash) const {
  const std::string digest = credentials_digest(credentials, hash);
  return !digest.empty() && digests_.count(digest) != 0;
}

void VerifiedCredentials::insert(const Credentials& credentials, const std::string& hash) {
  std::string digest = credentials_digest(credentials, hash);
  if (digest.empty()) return;
  if (digests_.size() >= kCapacity) digests_.clear();
  digests_.insert(std::move(digest));
}

}  // namespace wgevents::basic_auth
