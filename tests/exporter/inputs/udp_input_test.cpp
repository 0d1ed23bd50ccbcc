#include "inputs/udp_input.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "recording_sink.h"

namespace wgevents::test {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;

// A sender on the same host, bound so the test knows its port.
struct Sender {
  Sender(asio::io_context& io, const udp::endpoint& from) : socket(io, from) {}
  void send(const std::string& bytes, const udp::endpoint& to) {
    REQUIRE(socket.send_to(asio::buffer(bytes), to) == bytes.size());
  }
  udp::socket socket;
};

TEST_CASE("UdpInput receives datagrams on IPv4 and IPv6 with their exact bytes and sender") {
  struct Family {
    const char* name;
    asio::ip::address loopback;
    IpAddress expected;
  };
  for (const Family& family :
       {Family{"IPv4", asio::ip::make_address("127.0.0.1"), test::ipv4(127, 0, 0, 1)},
        Family{"IPv6", asio::ip::make_address("::1"), test::ipv6_loopback()}}) {
    INFO(family.name);
    asio::io_context io;
    RecordingSink sink;
    UdpInput input(io, udp::endpoint(family.loopback, 0), sink);
    REQUIRE_FALSE(input.start());
    udp::endpoint bound = input.local_endpoint();
    REQUIRE(bound.port() != 0);
    if (::geteuid() == 0) {
      CHECK(input.receive_buffer_bytes() >= 8 * 1024 * 1024);  // SO_RCVBUFFORCE
    } else {
      CHECK(input.receive_buffer_bytes() > 0);
    }
    CHECK(input.reports_drops());

    Sender sender(io, udp::endpoint(family.loopback, 0));
    const std::vector<std::string> datagrams = {
        "<4>Jan  1 00:00:00 host kernel: wireguard: wg0: Keypair 7 created for peer 3",
        "with a trailing newline\n",
        std::string("binary \0 bytes\xff", 15),
        "",
    };
    for (const auto& d : datagrams) sender.send(d, bound);
    REQUIRE(run_until(io, [&] { return sink.messages.size() == datagrams.size(); }));

    CHECK(sink.message_bytes() == datagrams);
    for (const auto& m : sink.messages) {
      CHECK(m.transport == Transport::udp);
      CHECK(m.source.address == family.expected);
      CHECK(m.source.port == sender.socket.local_endpoint().port());
    }
    CHECK(sink.malformed.empty());
    input.stop();
  }
}

TEST_CASE("UdpInput maps IPv4 senders on a dual-stack socket to IPv4 addresses") {
  asio::io_context io;
  RecordingSink sink;
  UdpInput input(io, udp::endpoint(asio::ip::make_address("::"), 0), sink);
  REQUIRE_FALSE(input.start());
  Sender sender(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  sender.send("hello",
              udp::endpoint(asio::ip::make_address("127.0.0.1"), input.local_endpoint().port()));
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 1; }));
  CHECK(sink.messages[0].source.address == test::ipv4(127, 0, 0, 1));
  input.stop();
}

TEST_CASE("UdpInput drains many queued datagrams in batches, in order") {
  struct Shape {
    const char* name;
    UdpInputOptions options;
  };
  UdpInputOptions small_batches;
  small_batches.batch_size = 8;
  small_batches.max_batches_per_wakeup = 2;  // many wake-ups, each yielding to other handlers
  for (const Shape& shape : {Shape{"default batches", {}}, Shape{"small batches", small_batches}}) {
    INFO(shape.name);
    asio::io_context io;
    RecordingSink sink;
    UdpInput input(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), sink, shape.options);
    REQUIRE_FALSE(input.start());
    Sender sender(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    // All sent before the input runs at all, so they wait in the socket buffer together.
    std::vector<std::string> sent;
    for (int i = 0; i < 500; ++i) {
      sent.push_back("<4>kernel: wireguard: wg0: datagram " + std::to_string(i));
      sender.send(sent.back(), input.local_endpoint());
    }
    REQUIRE(run_until(io, [&] { return sink.messages.size() == sent.size(); }));
    CHECK(sink.message_bytes() == sent);
    CHECK(sink.drops[static_cast<std::size_t>(Transport::udp)] == 0);
    input.stop();
  }
}

TEST_CASE("UdpInput counts a datagram longer than its buffer as malformed") {
  asio::io_context io;
  RecordingSink sink;
  UdpInputOptions options;
  options.datagram_bytes = 16;
  UdpInput input(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), sink, options);
  REQUIRE_FALSE(input.start());
  Sender sender(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  sender.send(std::string(40, 'x'), input.local_endpoint());
  sender.send("exactly 16 bytes", input.local_endpoint());
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 1; }));

  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].transport == Transport::udp);
  CHECK(sink.malformed[0].bytes == 40);
  CHECK(sink.malformed[0].source.port == sender.socket.local_endpoint().port());
  CHECK(sink.messages[0].bytes == "exactly 16 bytes");
  input.stop();
}

TEST_CASE("UdpInput reports the datagrams the kernel dropped on a full socket buffer") {
  asio::io_context io;
  RecordingSink sink;
  UdpInputOptions options;
  options.receive_buffer_bytes = 4096;  // the kernel's minimum is near this: a few datagrams
  UdpInput input(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), sink, options);
  REQUIRE_FALSE(input.start());
  REQUIRE(input.reports_drops());
  Sender sender(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));

  const std::size_t flood = 2000;
  for (std::size_t i = 0; i < flood; ++i)
    sender.send(std::string(200, 'f'), input.local_endpoint());
  // Read what the buffer held. The kernel reports the drop count with the next datagram it
  // queues, so send one more once the buffer has room.
  REQUIRE(run_until(io, [&] { return !sink.messages.empty(); }));
  io.poll();
  std::size_t received_from_flood = sink.messages.size();
  sender.send("after the flood", input.local_endpoint());
  REQUIRE(run_until(io, [&] { return sink.messages.back().bytes == "after the flood"; }));

  std::uint64_t drops = sink.drops[static_cast<std::size_t>(Transport::udp)];
  CHECK(drops > 0);
  CHECK(received_from_flood + drops <= flood);
  input.stop();
}

TEST_CASE("UdpInput shows drops when asked, before any further datagram arrives") {
  asio::io_context io;
  RecordingSink sink;
  UdpInputOptions options;
  options.receive_buffer_bytes = 4096;
  UdpInput input(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), sink, options);
  REQUIRE_FALSE(input.start());
  Sender sender(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::size_t flood = 2000;
  for (std::size_t i = 0; i < flood; ++i)
    sender.send(std::string(200, 'f'), input.local_endpoint());
  REQUIRE(run_until(io, [&] { return !sink.messages.empty(); }));
  io.poll();
  const std::uint64_t reported_with_datagrams = sink.drops[static_cast<std::size_t>(Transport::udp)];
  input.poll_drops();  // what a scrape does
  const std::uint64_t drops = sink.drops[static_cast<std::size_t>(Transport::udp)];
  CHECK(drops > reported_with_datagrams);
  CHECK(sink.messages.size() + drops == flood);  // every datagram read or counted as dropped
  input.poll_drops();  // nothing new: nothing more reported
  CHECK(sink.drops[static_cast<std::size_t>(Transport::udp)] == drops);
  input.stop();
}

TEST_CASE("UdpInput computes drops across the kernel counter's wrap-around") {
  struct Row {
    std::uint32_t previous, current, delta;
  };
  for (const Row& row :
       {Row{0, 5, 5}, Row{10, 15, 5}, Row{0xFFFFFFFEu, 3, 5}, Row{0xFFFFFFFFu, 0, 1}}) {
    CHECK(UdpInput::drop_counter_delta(row.previous, row.current) == row.delta);
  }
}

TEST_CASE("UdpInput returns bind errors and leaves nothing open") {
  asio::io_context io;
  RecordingSink sink;
  UdpInput first(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), sink);
  REQUIRE_FALSE(first.start());

  UdpInput same_port(io, first.local_endpoint(), sink);
  CHECK(same_port.start() == asio::error::address_in_use);
  CHECK(same_port.local_endpoint() == udp::endpoint());
  CHECK(same_port.receive_buffer_bytes() == 0);

  UdpInput foreign(io, udp::endpoint(asio::ip::make_address("192.0.2.1"), 0), sink);
  CHECK(foreign.start() == boost::system::errc::address_not_available);
  first.stop();
}

TEST_CASE("UdpInput stop() cancels its wait so the io_context runs out of work") {
  asio::io_context io;
  RecordingSink sink;
  UdpInput input(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), sink);
  REQUIRE_FALSE(input.start());
  io.poll();
  CHECK_FALSE(io.stopped());  // waiting for datagrams
  input.stop();
  input.stop();
  io.run_for(std::chrono::seconds(20));
  CHECK(io.stopped());
  CHECK(input.local_endpoint() == udp::endpoint());
}

}  // namespace
}  // namespace wgevents::test
