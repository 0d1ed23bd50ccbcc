#include "inputs/tcp_input.h"

#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recording_sink.h"
#include "stream_test_support.h"

namespace wgevents::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A TcpInput listening on a free port.
struct TcpListening : Listening<TcpInput> {
  explicit TcpListening(std::size_t max_connections = 4,
                        std::chrono::steady_clock::duration idle_timeout = TcpInput::kDefaultIdleTimeout,
                        const asio::ip::address& address = kLoopback)
      : Listening(address, max_connections, idle_timeout) {
    listen();
  }
};

TEST_CASE("TcpInput takes frames from 10 concurrent senders in both framings") {
  TcpListening t(64);

  const int kSenders = 10;
  const int kMessages = 200;
  std::vector<std::unique_ptr<TcpSender>> senders;
  MessagesByPort expected;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(std::make_unique<TcpSender>(t.io, t.input.local_endpoint()));
    bool octet_counting = s % 2 == 0;
    std::string stream;
    auto& messages = expected[senders.back()->port()];
    for (int m = 0; m < kMessages; ++m) {
      messages.push_back("<4>kernel: wireguard: wg0: sender " + std::to_string(s) + " line " +
                         std::to_string(m));
      stream += octet_counting ? octet_frame(messages.back()) : messages.back() + "\r\n";
    }
    // Odd-sized pieces so frames straddle reads, interleaved with the other senders.
    senders.back()->send(stream, 97 + static_cast<std::size_t>(s));
  }

  const std::size_t total = kSenders * kMessages;
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == total; }));
  CHECK(t.input.connection_count() == kSenders);

  CHECK(loopback_messages_by_port(t.sink, Transport::tcp) == expected);
  CHECK(t.sink.malformed.empty());
  t.input.stop();
}

TEST_CASE("TcpInput accepts IPv6 senders") {
  TcpListening t(4, TcpInput::kDefaultIdleTimeout, asio::ip::make_address("::1"));
  TcpSender sender(t.io, t.input.local_endpoint());
  sender.send("<13>over IPv6\n");
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 1; }));
  CHECK(t.sink.messages[0].bytes == "<13>over IPv6");
  CHECK(t.sink.messages[0].source.address == test::ipv6_loopback());
  CHECK(t.sink.messages[0].source.port == sender.port());
  t.input.stop();
}

TEST_CASE("TcpInput closes a connection whose framing is bad, counting the frame malformed") {
  struct Case {
    const char* name;
    std::string stream;
    std::vector<std::string> messages;  // the good frames before the bad one
  };
  const std::string over = std::string(65536, 'x');
  for (const Case& c : {
           Case{"octet count over 64 KiB", octet_frame("<1>ok") + octet_frame(over), {"<1>ok"}},
           Case{"no LF within 64 KiB", "<1>ok\n<1>" + over, {"<1>ok"}},
           Case{"not syslog", "GET / HTTP/1.1\r\n\r\n", {}},
       }) {
    INFO(c.name);
    TcpListening t;
    TcpSender sender(t.io, t.input.local_endpoint());
    sender.send(c.stream, 4096);
    REQUIRE(run_until(t.io, [&] { return sender.closed_by_peer(); }));
    CHECK(t.sink.message_bytes() == c.messages);
    REQUIRE(t.sink.malformed.size() == 1);
    CHECK(t.sink.malformed[0].transport == Transport::tcp);
    CHECK(t.sink.malformed[0].bytes > 0);
    CHECK(t.sink.malformed[0].source.port == sender.port());
    CHECK(t.input.connection_count() == 0);
    t.input.stop();
  }
}

TEST_CASE("TcpInput counts a frame cut off by the sender closing as malformed") {
  for (const std::string partial : {"5 hel", "<1>no newline"}) {
    INFO(partial);
    TcpListening t;
    TcpSender sender(t.io, t.input.local_endpoint());
    sender.send(partial);
    REQUIRE(run_until(t.io, [&] { return sender.done_writing() && t.input.connection_count() == 1; }));
    sender.close();
    REQUIRE(run_until(t.io, [&] { return t.input.connection_count() == 0; }));
    REQUIRE(t.sink.malformed.size() == 1);
    CHECK(t.sink.malformed[0].bytes == partial.size());
    CHECK(t.sink.messages.empty());
    t.input.stop();
  }
}

TEST_CASE("TcpInput refuses senders over the connection cap and counts them") {
  TcpListening t(2);
  const auto refused = [&] { return t.sink.refused[static_cast<std::size_t>(Transport::tcp)]; };

  std::vector<std::unique_ptr<TcpSender>> senders;
  for (int i = 0; i < 3; ++i)
    senders.push_back(std::make_unique<TcpSender>(t.io, t.input.local_endpoint()));
  REQUIRE(run_until(t.io, [&] {
    std::size_t closed = 0;
    for (const auto& s : senders) closed += s->closed_by_peer() ? 1 : 0;
    return refused() == 1 && closed == 1;
  }));
  CHECK(t.input.connection_count() == 2);

  // The two admitted senders are served.
  std::vector<TcpSender*> admitted;
  for (const auto& s : senders) {
    if (!s->closed_by_peer()) admitted.push_back(s.get());
  }
  REQUIRE(admitted.size() == 2);
  for (TcpSender* s : admitted) s->send("<1>admitted\n");
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 2; }));

  // A slot freed is a slot a new sender gets.
  admitted[0]->close();
  REQUIRE(run_until(t.io, [&] { return t.input.connection_count() == 1; }));
  TcpSender late(t.io, t.input.local_endpoint());
  late.send("<1>late\n");
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 3; }));
  CHECK(t.sink.messages[2].bytes == "<1>late");
  CHECK(refused() == 1);
  t.input.stop();
}

TEST_CASE("TcpInput closes connections that stay idle, keeping active ones") {
  TcpListening t(4, std::chrono::milliseconds(200));

  TcpSender silent(t.io, t.input.local_endpoint());
  TcpSender partial(t.io, t.input.local_endpoint());
  partial.send("<1>never finished");
  REQUIRE(run_until(t.io, [&] { return silent.closed_by_peer() && partial.closed_by_peer(); }));
  CHECK(t.sink.messages.empty());
  REQUIRE(t.sink.malformed.size() == 1);  // the partial frame the timeout cut off
  CHECK(t.sink.malformed[0].bytes == std::string("<1>never finished").size());
  CHECK(t.input.connection_count() == 0);
  t.input.stop();
}

TEST_CASE("TcpInput keeps a sender that writes every 50 ms open past the idle timeout, closing a "
          "silent one") {
  constexpr auto kIdleTimeout = std::chrono::milliseconds(400);
  TcpListening t(4, kIdleTimeout);
  TcpSender silent(t.io, t.input.local_endpoint());
  TcpSender busy(t.io, t.input.local_endpoint());

  // One line every 50 ms for 1.5 s: almost four idle timeouts, none of them quiet.
  constexpr int kLines = 30;
  asio::steady_timer every_50ms(t.io);
  int sent = 0;
  std::function<void()> send_next = [&] {
    busy.send("<4>kernel: wireguard: wg0: line " + std::to_string(sent++) + "\n");
    if (sent == kLines) return;
    every_50ms.expires_after(std::chrono::milliseconds(50));
    every_50ms.async_wait([&](boost::system::error_code ec) {
      if (!ec) send_next();
    });
  };
  send_next();
  REQUIRE(run_until(t.io, [&] { return sent == kLines && t.sink.messages.size() == kLines; }));
  CHECK(silent.closed_by_peer());
  CHECK_FALSE(busy.closed_by_peer());
  CHECK(t.input.connection_count() == 1);
  for (int i = 0; i < kLines; ++i) {
    CHECK(t.sink.messages[static_cast<std::size_t>(i)].bytes ==
          "<4>kernel: wireguard: wg0: line " + std::to_string(i));
  }
  // Quiet from now on, the busy sender is closed too.
  REQUIRE(run_until(t.io, [&] { return busy.closed_by_peer(); }));
  CHECK(t.input.connection_count() == 0);
  CHECK(t.sink.malformed.empty());
  t.input.stop();
}

TEST_CASE("TcpInput stop() closes the acceptor and every connection") {
  TcpListening t;
  TcpSender a(t.io, t.input.local_endpoint());
  TcpSender b(t.io, t.input.local_endpoint());
  REQUIRE(run_until(t.io, [&] { return t.input.connection_count() == 2; }));
  check_stop_closes_everything(t, a, b);
}

TEST_CASE("TcpInput returns listen errors") {
  TcpListening first;
  TcpInput same_port(first.io, first.input.local_endpoint(), first.sink, 4);
  CHECK(same_port.start() == asio::error::address_in_use);
  CHECK(same_port.local_endpoint() == tcp::endpoint());
  first.input.stop();
}

}  // namespace
}  // namespace wgevents::test
