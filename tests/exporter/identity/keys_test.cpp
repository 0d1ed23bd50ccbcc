// Public keys in the forms the tables and files use: base64 as `wg` prints it, hex as UAPI.
#include <catch2/catch.hpp>

#include "identity/peer_table.h"

using namespace wgevents;

TEST_CASE("a key read from UAPI hex is printed in the base64 `wg show` prints") {
  // Pairs as wireguard-go's UAPI and `wg show dump` gave them (tests/data/identity).
  const auto key = parse_hex_key("08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43");
  REQUIRE(key);
  CHECK(base64_key(*key) == "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=");
  const auto back = parse_base64_key("CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=");
  REQUIRE(back);
  CHECK(*back == *key);
  const auto upper = parse_hex_key("9F2A8422371A8217185BDC7B78E398F8EC214CFBA6295FA94972BE318549BE60");
  REQUIRE(upper);
  CHECK(base64_key(*upper) == "nyqEIjcaghcYW9x7eOOY+OwhTPumKV+pSXK+MYVJvmA=");
}

TEST_CASE("strings that are not 32-byte keys are refused") {
  for (const char* text : {"", "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M", "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M==",
                           "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0*=",
                           "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0N=" /* unused bits set */}) {
    INFO(text);
    CHECK_FALSE(parse_base64_key(text));
  }
  CHECK_FALSE(parse_hex_key("08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf4"));
  CHECK_FALSE(parse_hex_key("g8d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43"));
}

TEST_CASE("interface names that could not be Linux interface names are refused") {
  CHECK(valid_interface_name("wg0"));
  CHECK(valid_interface_name("123456789012345"));
  CHECK_FALSE(valid_interface_name("1234567890123456"));
  CHECK_FALSE(valid_interface_name(""));
  CHECK_FALSE(valid_interface_name("wg/0"));
  CHECK_FALSE(valid_interface_name("wg 0"));
  CHECK_FALSE(valid_interface_name(".."));
  CHECK_FALSE(valid_interface_name("wg\n0"));
}
