// HTTP basic authentication against bcrypt hashes, as the Prometheus exporter toolkit does it.
//
// Everything here is a pure function of its arguments except VerifiedCredentials, which belongs to
// one thread, and the count of bcrypt's work, kept per thread. bcrypt_matches() and bcrypt_decoy() are slow on purpose (that is bcrypt's point: a
// cost of 10 takes about 70 ms) and are safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace wgevents::basic_auth {

struct Credentials {
  std::string user;
  std::string password;
};

// The credentials in an Authorization header value: "Basic " (any case), then base64 of
// "user:password", split at the first colon as RFC 7617 says. nullopt when the scheme is not
// Basic, the base64 is malformed, there is no colon, or either part holds a NUL byte (crypt(3)
// would stop at it, so "secret\0junk" would pass for "secret").
std::optional<Credentials> parse_authorization(std::string_view header);

// The cost of a bcrypt hash in the modular crypt format "$2a$", "$2b$" or "$2y$", two cost
// digits (4 to 31), "$", then 53 characters of bcrypt's base64 (22 of salt, 31 of hash); nullopt
// for anything else, including the other crypt(3) schemes, which the exporter toolkit refuses too.
std::optional<int> bcrypt_cost(std::string_view hash);

// True if `password` hashes to `hash` (a valid bcrypt hash, see bcrypt_cost()). Hashes with the
// system's crypt_r(3) and compares in constant time.
bool bcrypt_matches(const std::string& password, const std::string& hash);

// Spends what checking a password against a hash of `cost` spends, and returns nothing: the answer
// for a user that does not exist takes as long as for one that does, so timing does not tell
// which user names are configured.
void bcrypt_decoy(const std::string& password, int cost);

// The bcrypt costs to run, after checking a hash of `user_cost`, so that the whole check spends
// what one run at `cost` spends: user_cost, user_cost + 1, ..., cost - 1 (as 2^u + 2^u +
// 2^(u+1) + ... + 2^(c-1) = 2^c). Empty when user_cost >= cost.
std::vector<int> padding_costs(int user_cost, int cost);

// Checks a password for a user whose hash is `hash` (empty: no such user) and spends what one
// bcrypt run at `cost` (the configuration's highest) spends, whoever the user is: an unknown user
// costs one decoy run at `cost`, a user whose hash has a lower cost is padded with decoy runs
// (padding_costs()). So the time of an answer tells neither whether the user exists nor which
// cost their hash has; only the fixed overhead of each extra run (microseconds) differs.
bool check_password(const std::string& password, const std::string& hash, int cost);

// The work bcrypt did on the calling thread since the thread began, in bcrypt's expensive rounds:
// 2^cost for each hash crypt_r computed, the cost read from the hash it returned. What a check or
// a decoy spent is the difference before and after it, so a decoy that hashes nothing, or at
// another cost, shows without timing anything (the tests use it).
std::uint64_t bcrypt_rounds_on_this_thread();

// Credentials that bcrypt already accepted, so that a scraper sending the same header every few
// seconds costs one bcrypt run, not one per scrape. Holds SHA-256 digests of (user, hash,
// password), never a password; a changed hash for the user no longer matches. Failures are not
// remembered: an attacker guessing passwords cannot push out the entries of real clients.
//
// Thread safety: none; used on the server's io_context thread only.
class VerifiedCredentials {
 public:
  // Far more than the users and password changes of one configuration; when full, the set starts
  // over, which costs each real client one more bcrypt run.
  static constexpr std::size_t kCapacity = 64;

  bool contains(const Credentials& credentials, const std::string& hash) const;
  void insert(const Credentials& credentials, const std::string& hash);
  std::size_t size() const { return digests_.size(); }

 private:
  std::unordered_set<std::string> digests_;
};

}  // namespace wgevents::basic_auth
