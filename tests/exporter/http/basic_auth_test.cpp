// Basic authentication pieces: the Authorization header, bcrypt hashes through the system's
// crypt_r, and the memory of credentials already checked.
#include "basic_auth.h"

#include <crypt.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace wgevents::basic_auth;

// A fresh bcrypt hash, as htpasswd -B makes them; cost 4 keeps the tests quick.
std::string make_bcrypt_hash(const std::string& password, const char* prefix = "$2b$",
                             int cost = 4) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn(prefix, static_cast<unsigned long>(cost), nullptr, 0, setting,
                           sizeof setting) != nullptr);
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), setting, &data);
  REQUIRE(hash != nullptr);
  REQUIRE(hash[0] == '$');
  return hash;
}

}  // namespace

TEST_CASE("Authorization headers are parsed as RFC 7617 says", "[http][auth]") {
  struct Row {
    std::string header;
    std::optional<std::pair<std::string, std::string>> expected;
  };
  const std::vector<Row> table = {
      {"Basic YWxpY2U6YWxpY2UxMjM=", {{"alice", "alice123"}}},
      {"basic YWxpY2U6YWxpY2UxMjM=", {{"alice", "alice123"}}},  // the scheme is case-insensitive
      {"BASIC  YWxpY2U6YWxpY2UxMjM=  ", {{"alice", "alice123"}}},
      {"Basic YWxpY2U6YWxpY2UxMjM", {{"alice", "alice123"}}},  // padding left off
      {"Basic YTpiOmM=", {{"a", "b:c"}}},                      // split at the first colon
      {"Basic Og==", {{"", ""}}},                              // ":" alone
      {"Basic YWxpY2U6", {{"alice", ""}}},
      {"Basic YWxpY2U=", std::nullopt},                  // "alice": no colon
      {"Basic YWxpY2U6c2VjcmV0AGp1bms=", std::nullopt},  // "alice:secret\0junk"
      {"Basic !!!!", std::nullopt},
      {"Basic YW xp", std::nullopt},
      {"Basic Y", std::nullopt},  // not a whole byte
      {"Bearer YWxpY2U6YWxpY2UxMjM=", std::nullopt},
      {"YWxpY2U6YWxpY2UxMjM=", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& row : table) {
    INFO("Authorization: " << row.header);
    const auto parsed = parse_authorization(row.header);
    REQUIRE(parsed.has_value() == row.expected.has_value());
    if (parsed) {
      CHECK(parsed->user == row.expected->first);
      CHECK(parsed->password == row.expected->second);
    }
  }
}

TEST_CASE("only bcrypt hashes are taken", "[http][auth]") {
  struct Row {
    std::string hash;
    std::optional<int> cost;
  };
  const std::vector<Row> table = {
      {"$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby", 12},
      {"$2b$04$RqwdlrAfAXeAdxavuBtsBOIW5/JVM4hHiPNdt4LEHqIWukAvN0vKi", 4},
      {"$2a$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu", 10},
      {"$2x$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu",
       std::nullopt},  // unknown variant
      {"$2y$03$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu",
       std::nullopt},  // cost too low
      {"$2y$32$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu",
       std::nullopt},  // cost too high
      {"$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTu", std::nullopt},   // one short
      {"$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTu!", std::nullopt},  // not base64
      {"$1$abc$Kb85XxsXB.VXinPhbS4431", std::nullopt},                                 // MD5 crypt
      {"$6$salt$hash", std::nullopt},  // SHA-512 crypt
      {"alice123", std::nullopt},      // a password
      {"", std::nullopt},
  };
  for (const auto& row : table) {
    INFO(row.hash);
    CHECK(bcrypt_cost(row.hash) == row.cost);
  }
}

TEST_CASE("bcrypt hashes are checked with crypt_r", "[http][auth]") {
  SECTION("hashes made here, every variant prefix") {
    for (const char* prefix : {"$2b$", "$2y$", "$2a$"}) {
      INFO(prefix);
      const std::string hash = make_bcrypt_hash("s3cret", prefix);
      CHECK(hash.rfind(prefix, 0) == 0);
      CHECK(bcrypt_cost(hash) == 4);
      CHECK(bcrypt_matches("s3cret", hash));
      CHECK_FALSE(bcrypt_matches("s3cret ", hash));
      CHECK_FALSE(bcrypt_matches("S3cret", hash));
      CHECK_FALSE(bcrypt_matches("", hash));
    }
  }
  SECTION("hashes from the exporter toolkit's tests, made by Go's bcrypt") {
    CHECK(
        bcrypt_matches("carol123", "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"));
    CHECK(
        bcrypt_matches("dave123", "$2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq"));
    CHECK_FALSE(bcrypt_matches("carol1234",
                               "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"));
  }
  SECTION("anything that is not a bcrypt hash never matches") {
    CHECK_FALSE(bcrypt_matches("pw", "$1$abc$Kb85XxsXB.VXinPhbS4431"));
    CHECK_FALSE(bcrypt_matches("pw", "pw"));
    CHECK_FALSE(bcrypt_matches("", ""));
  }
}

TEST_CASE("the decoy for unknown users costs what checking a real hash of the same cost costs",
          "[http][auth]") {
  // The decoy exists to close a timing side channel, so the work it does is its behaviour. Counted,
  // not timed: bcrypt's rounds on this thread (2^cost a hash), before and after each call.
  const auto rounds = [](auto&& work) {
    const std::uint64_t before = bcrypt_rounds_on_this_thread();
    work();
    return bcrypt_rounds_on_this_thread() - before;
  };
  const std::string cheap_hash = make_bcrypt_hash("real password", "$2b$", 4);
  for (int cost : {4, 5, 7}) {
    INFO("cost " << cost);
    const std::string hash = make_bcrypt_hash("real password", "$2b$", cost);
    const std::uint64_t real_check = rounds([&] { CHECK_FALSE(bcrypt_matches("guess", hash)); });
    CHECK(real_check == std::uint64_t{1} << cost);
    CHECK(rounds([&] { bcrypt_decoy("guess", cost); }) == real_check);
    // Through check_password, as the server calls it with the configuration's highest cost: an
    // unknown user, a user whose hash has that cost, a user whose cheaper hash is padded.
    CHECK(rounds([&] { CHECK_FALSE(check_password("guess", "", cost)); }) == real_check);
    CHECK(rounds([&] { CHECK_FALSE(check_password("guess", hash, cost)); }) == real_check);
    CHECK(rounds([&] { CHECK(check_password("real password", hash, cost)); }) == real_check);
    CHECK(rounds([&] { CHECK_FALSE(check_password("guess", cheap_hash, cost)); }) == real_check);
  }
  // Out of range, the decoy works at the default cost, 10.
  CHECK(rounds([] { bcrypt_decoy("guess", 99); }) == std::uint64_t{1} << 10);
  CHECK(rounds([] { bcrypt_decoy("guess", 3); }) == std::uint64_t{1} << 10);
}

TEST_CASE("checked credentials are remembered until the hash changes", "[http][auth]") {
  const std::string hash = make_bcrypt_hash("pw");
  const std::string other_hash = make_bcrypt_hash("pw");
  REQUIRE(hash != other_hash);  // a fresh salt each time
  VerifiedCredentials verified;
  const Credentials alice{"alice", "pw"};
  CHECK_FALSE(verified.contains(alice, hash));
  verified.insert(alice, hash);
  CHECK(verified.contains(alice, hash));
  CHECK_FALSE(verified.contains(alice, other_hash));  // the user's hash changed
  CHECK_FALSE(verified.contains(Credentials{"alice", "pw2"}, hash));
  CHECK_FALSE(verified.contains(Credentials{"bob", "pw"}, hash));
  CHECK_FALSE(verified.contains(Credentials{"alic", "epw"}, hash));  // parts do not run together

  // Bounded: it fills up to its capacity, keeping everything...
  for (std::size_t i = 1; i < VerifiedCredentials::kCapacity; ++i) {
    verified.insert(Credentials{"user" + std::to_string(i), "pw"}, hash);
  }
  CHECK(verified.size() == VerifiedCredentials::kCapacity);
  CHECK(verified.contains(alice, hash));
  CHECK(verified.contains(Credentials{"user1", "pw"}, hash));
  // ...and when full, it starts over with the newcomer alone.
  const Credentials newcomer{"newcomer", "pw"};
  verified.insert(newcomer, hash);
  CHECK(verified.size() == 1);
  CHECK(verified.contains(newcomer, hash));
  CHECK_FALSE(verified.contains(alice, hash));
  CHECK_FALSE(verified.contains(Credentials{"user1", "pw"}, hash));
}

TEST_CASE("a check pads a cheaper hash up to the configuration's highest cost", "[http][auth]") {
  // 2^4 + (2^4 + ... + 2^9) = 2^10: the same bcrypt work as one run at cost 10.
  CHECK(padding_costs(4, 10) == std::vector<int>{4, 5, 6, 7, 8, 9});
  for (int user = 4; user <= 12; ++user) {
    for (int highest = user; highest <= 14; ++highest) {
      unsigned long work = 1ul << user;
      for (int c : padding_costs(user, highest)) work += 1ul << c;
      INFO(user << " " << highest);
      CHECK(work == 1ul << highest);
    }
  }
  CHECK(padding_costs(10, 10).empty());
  CHECK(padding_costs(12, 10).empty());

  const std::string hash = make_bcrypt_hash("alice123", "$2b$", 4);
  CHECK(check_password("alice123", hash, 6));
  CHECK_FALSE(check_password("wrong", hash, 6));
  CHECK_FALSE(check_password("alice123", "", 6));  // no such user: a decoy, never a match
  CHECK(check_password("alice123", hash, 4));
}
