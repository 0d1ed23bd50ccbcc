#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "inputs/kmsg_record.h"

using wgevents::kmsg_record_length;
using wgevents::kmsg_sequence;
using wgevents::KmsgSequence;

TEST_CASE("the sequence number of a kmsg record") {
  CHECK(kmsg_sequence("6,1201,5678901234,-;wireguard: wg0: Peer 1 created\n") == 1201u);
  CHECK(kmsg_sequence("12,0,1,-,caller=T1;x") == 0u);
  CHECK(kmsg_sequence("6,18446744073709551615,1,-;x") == 18446744073709551615ull);
  CHECK_FALSE(kmsg_sequence("6;x").has_value());
  CHECK_FALSE(kmsg_sequence(",1,2,-;x").has_value());
  CHECK_FALSE(kmsg_sequence("6,,2,-;x").has_value());
  CHECK_FALSE(kmsg_sequence("6,12").has_value());
  CHECK_FALSE(kmsg_sequence("").has_value());
}

TEST_CASE("a captured record with continuation lines") {
  std::ifstream in(std::string(WGEVENTS_TEST_DATA_DIR) + "/kmsg/record_with_continuation.bin", std::ios::binary);
  std::string record((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(record.find("\n SUBSYSTEM=net") != std::string::npos);
  CHECK(kmsg_sequence(record) == 1201u);
}

TEST_CASE("records one after another (a file standing in for the device) are split at their ends") {
  const std::string first = "6,1,100,-;wireguard: wg0: Peer 1 created\n";
  const std::string second = "6,2,200,-;wireguard: wg0: Peer 2 created\n SUBSYSTEM=net\n DEVICE=n5\n";
  const std::string third = "6,5,300,-;wireguard: wg0: Peer 3 created\n";
  CHECK(kmsg_record_length(first + second + third) == first.size());
  CHECK(kmsg_record_length(second + third) == second.size());  // continuation lines belong to it
  CHECK(kmsg_record_length(third) == third.size());
  // Not ended yet: no newline, or a continuation line still open.
  CHECK(kmsg_record_length("6,1,100,-;wireguard: wg0: Peer") == 0);
  CHECK(kmsg_record_length("6,2,200,-;text\n SUBSYSTEM=n") == 0);
  CHECK(kmsg_record_length("") == 0);
  // What one read(2) of the device returns is one record, whole.
  std::ifstream in(std::string(WGEVENTS_TEST_DATA_DIR) + "/kmsg/record_with_continuation.bin", std::ios::binary);
  std::string record((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(!record.empty());
  CHECK(kmsg_record_length(record) == record.size());
}

TEST_CASE("sequence gaps count overwritten records") {
  KmsgSequence seq;
  CHECK(seq.observe(100) == 0);  // the first record tells nothing
  CHECK(seq.observe(101) == 0);
  CHECK(seq.observe(102) == 0);
  CHECK(seq.observe(110) == 7);  // 103..109 overwritten (read(2) said EPIPE once)
  CHECK(seq.observe(111) == 0);
  CHECK(seq.observe(111) == 0);  // a repeat is no loss
}
