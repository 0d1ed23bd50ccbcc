// The UAPI `get=1` reply decoder on a reply recorded from wireguard-go (0.0.20220316, Debian 12)
// and on hand-made broken ones.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "identity/uapi_reply.h"
#include "tsv.h"

using namespace wgevents;

namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(testing::data_path(name), std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `key<TAB>endpoint<TAB>allowed,ips` lines as `wg show dump` printed them for the recording.
std::vector<std::vector<std::string>> expected_rows() {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_data("identity/wireguard_go_get.expected"));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cols(line);
    for (std::string cell; std::getline(cols, cell, '\t');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::string endpoint_text(const Endpoint& e) {
  char text[64];
  if (e.address.family == IpAddress::Family::ipv4) {
    inet_ntop(AF_INET, e.address.bytes.data(), text, sizeof text);
    return std::string(text) + ":" + std::to_string(e.port);
  }
  inet_ntop(AF_INET6, e.address.bytes.data(), text, sizeof text);
  return "[" + std::string(text) + "]:" + std::to_string(e.port);
}

void check_recorded_table(const InterfaceTable& table) {
  const auto rows = expected_rows();
  REQUIRE(table.peers.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("peer " << i);
    CHECK(base64_key(table.peers[i].public_key) == rows[i][0]);
    CHECK(endpoint_text(table.peers[i].endpoint) == rows[i][1]);
    std::string blocks;
    for (const auto& block : table.peers[i].allowed_ips) {
      if (!blocks.empty()) blocks += ',';
      append_allowed_ip(blocks, block);
    }
    CHECK(blocks == rows[i][2]);
    CHECK(table.peers[i].last_handshake == 0);
  }
}

}  // namespace

TEST_CASE("a recorded wireguard-go reply gives the peers `wg show` gave") {
  const std::string reply = read_data("identity/wireguard_go_get.txt");
  SECTION("in one piece") {
    UapiReplyParser parser("wg0");
    REQUIRE(parser.feed(reply) == UapiReplyParser::Status::done);
    CHECK(parser.table().name == "wg0");
    CHECK(parser.table().source == TableSource::userspace);
    check_recorded_table(parser.table());
  }
  SECTION("one byte at a time") {
    UapiReplyParser parser("wg0");
    for (std::size_t i = 0; i + 1 < reply.size(); ++i) {
      REQUIRE(parser.feed(reply.substr(i, 1)) == UapiReplyParser::Status::more);
    }
    REQUIRE(parser.feed(reply.substr(reply.size() - 1)) == UapiReplyParser::Status::done);
    check_recorded_table(parser.table());
  }
}

TEST_CASE("handshake times and byte counts are read per peer") {
  UapiReplyParser parser("wg1");
  REQUIRE(parser.feed("listen_port=1\n"
                      "public_key=08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43\n"
                      "last_handshake_time_sec=1700000000\nlast_handshake_time_nsec=500000000\n"
                      "rx_bytes=1234\ntx_bytes=18446744073709551615\n"
                      "public_key=9f2a8422371a8217185bdc7b78e398f8ec214cfba6295fa94972be318549be60\n"
                      "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n"
                      "endpoint=[fe80::1%7]:51820\n"
                      "jc=4\nerrno=0\n\n") == UapiReplyParser::Status::done);
  const auto& peers = parser.table().peers;
  REQUIRE(peers.size() == 2);
  CHECK(peers[0].last_handshake == 1700000000.5);
  CHECK(peers[0].receive_bytes == 1234);
  CHECK(peers[0].transmit_bytes == 18446744073709551615ull);
  CHECK(peers[1].last_handshake == 0);
  CHECK(peers[1].endpoint.scope_id == 7);
  CHECK(peers[1].endpoint.port == 51820);
}

TEST_CASE("secret keys are skipped as they stream past") {
  // The private key's value must not end up anywhere in the table, nor in an error text.
  const std::string reply = read_data("identity/wireguard_go_get.txt");
  const std::string private_hex = "98094b8d3d19d24309d647f1c0cfaef1f9ada00e195d1f8c05421fbc55e1ba6d";
  REQUIRE(reply.find(private_hex) != std::string::npos);
  UapiReplyParser parser("wg0");
  REQUIRE(parser.feed(reply) == UapiReplyParser::Status::done);
  const auto secret = parse_hex_key(private_hex);
  for (const auto& peer : parser.table().peers) CHECK(peer.public_key != *secret);
  // An over-long secret line is no reason to keep any of it.
  UapiReplyParser bad("wg0");
  CHECK(bad.feed("private_key=" + std::string(2000, 'a') + "\nerrno=0\n\n") == UapiReplyParser::Status::done);
}

TEST_CASE("replies that are errors or not UAPI fail, and say why without a value") {
  const std::string key = "public_key=08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43\n";
  struct Case {
    std::string reply;
    std::string error;
  } cases[] = {
      {"errno=2\n\n", "errno=2"},
      {"errno=x\n\n", "bad errno"},
      {"\n", "empty line before errno"},
      {"garbage\n", "line without '='"},
      {"public_key=abc\n", "bad public_key"},
      {key + "endpoint=1.2.3.4\n", "bad endpoint"},
      {key + "endpoint=[::1:51820\n", "bad endpoint"},
      {key + "endpoint=1.2.3.4:70000\n", "bad endpoint"},
      {key + "allowed_ip=10.0.0.0/33\n", "bad allowed_ip"},
      {key + "allowed_ip=10.0.0.0\n", "bad allowed_ip"},
      {key + "rx_bytes=-1\n", "bad rx_bytes"},
      {key + "tx_bytes=1e3\n", "bad tx_bytes"},
      {key + "last_handshake_time_sec=x\n", "bad last_handshake_time_sec"},
      {"errno=0\nx", "bytes after errno"},
      {std::string(600, 'k') + "=1\n", "line too long"},
      {"k=" + std::string(600, 'v') + "\n", "line too long"},
  };
  for (const auto& c : cases) {
    INFO(c.reply.substr(0, 80));
    UapiReplyParser parser("wg0");
    CHECK(parser.feed(c.reply) == UapiReplyParser::Status::failed);
    CHECK(parser.error() == c.error);
    CHECK(parser.feed("errno=0\n\n") == UapiReplyParser::Status::failed);  // failed is final
  }
}

TEST_CASE("a reply larger than the limits keeps the first peers and blocks, and counts the rest") {
  TableLimits limits;
  limits.max_peers = 1;
  limits.max_allowed_ips = 2;
  UapiReplyParser parser("wg0", limits);
  REQUIRE(parser.feed("public_key=08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43\n"
                      "allowed_ip=10.0.0.1/32\nallowed_ip=10.0.0.2/32\nallowed_ip=10.0.0.3/32\n"
                      "public_key=9f2a8422371a8217185bdc7b78e398f8ec214cfba6295fa94972be318549be60\n"
                      "allowed_ip=10.0.0.4/32\nrx_bytes=9\nerrno=0\n\n") == UapiReplyParser::Status::done);
  REQUIRE(parser.table().peers.size() == 1);
  CHECK(parser.table().peers_dropped == 1);
  CHECK(parser.table().peers[0].allowed_ips.size() == 2);
  CHECK(parser.table().peers[0].allowed_ips_dropped == 1);
  CHECK(parser.table().peers[0].receive_bytes == 0);  // the dropped peer's line is not the kept one's
}
