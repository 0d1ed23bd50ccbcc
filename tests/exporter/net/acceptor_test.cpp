// net::Acceptor: the listening socket of the web port and the TCP/TLS syslog inputs, over real
// loopback sockets.
#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "wgevents/net/acceptor.h"

namespace wgevents::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

const tcp::endpoint kLoopbackAnyPort(asio::ip::make_address("127.0.0.1"), 0);

// Runs the io_context until `done` or two seconds.
template <typename Done>
void run_until(asio::io_context& io, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
}

TEST_CASE("an acceptor hands every connection to its owner, and none after stop") {
  asio::io_context io;
  std::vector<tcp::socket> accepted;
  Acceptor acceptor(io, [&](tcp::socket socket) { accepted.push_back(std::move(socket)); });
  CHECK(acceptor.local_endpoint().port() == 0);
  REQUIRE_FALSE(acceptor.start(kLoopbackAnyPort));
  const tcp::endpoint bound = acceptor.local_endpoint();
  REQUIRE(bound.port() != 0);

  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(io);
    clients.back().connect(bound);
  }
  run_until(io, [&] { return accepted.size() == 3; });
  CHECK(accepted.size() == 3);
  CHECK(accepted.front().remote_endpoint().address().to_string() == "127.0.0.1");

  acceptor.stop();
  acceptor.stop();  // idempotent
  tcp::socket late(io);
  boost::system::error_code ec;
  late.connect(bound, ec);
  CHECK(ec);  // the listening socket is closed: refused
  run_until(io, [] { return false; });
  CHECK(accepted.size() == 3);
  CHECK(acceptor.start(kLoopbackAnyPort) == boost::system::errc::operation_not_permitted);
}

TEST_CASE("an acceptor whose port is taken returns why and leaves nothing open") {
  asio::io_context io;
  Acceptor first(io, [](tcp::socket) {});
  REQUIRE_FALSE(first.start(kLoopbackAnyPort));
  Acceptor second(io, [](tcp::socket) { FAIL("the second acceptor accepted"); });
  const boost::system::error_code ec = second.start(first.local_endpoint());
  CHECK(ec == asio::error::address_in_use);
  CHECK(second.local_endpoint().port() == 0);  // closed again
}

TEST_CASE("an acceptor destroyed with its accept pending never calls its owner") {
  asio::io_context io;
  int calls = 0;
  tcp::endpoint bound;
  {
    auto owner = std::make_unique<Acceptor>(io, [&calls](tcp::socket) { ++calls; });
    REQUIRE_FALSE(owner->start(kLoopbackAnyPort));
    bound = owner->local_endpoint();
  }  // destroyed, not stopped first: the cancelled accept is still queued in `io`
  run_until(io, [] { return false; });  // runs it; AddressSanitizer would see a use after free
  CHECK(calls == 0);
  tcp::socket client(io);
  boost::system::error_code ec;
  client.connect(bound, ec);
  CHECK(ec);
}

}  // namespace
}  // namespace wgevents::net
