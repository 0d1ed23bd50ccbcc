#include "tcp_input.h"

#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "recording_sink.h"

namespace wgevents {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using test::RecordingSink;
using test::run_until;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

// A sender driven by the same io_context as the input: it writes its stream in pieces and
// notices when the input closes the connection.
class Sender {
 public:
  Sender(asio::io_context& io, const tcp::endpoint& to) : socket_(io) {
    socket_.connect(to);  // completes from the listen backlog, before the input accepts
    watch_for_close();
  }

  // Queues `bytes`, written `piece` bytes at a time, after what was queued before.
  void send(const std::string& bytes, std::size_t piece = 1 << 20) {
    for (std::size_t i = 0; i < bytes.size(); i += piece) pieces_.push_back(bytes.substr(i, piece));
    if (!writing_) write_next();
  }

  bool closed_by_peer() const { return closed_; }
  bool done_writing() const { return pieces_.empty() && !writing_; }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  void close() { socket_.close(); }

 private:
  void write_next() {
    if (pieces_.empty() || closed_) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(pieces_.front()),
                      [this](boost::system::error_code ec, std::size_t) {
                        writing_ = false;
                        if (ec) {
                          pieces_.clear();  // the input closed on us
                          return;
                        }
                        pieces_.erase(pieces_.begin());
                        write_next();
                      });
  }

  void watch_for_close() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [this](boost::system::error_code ec, std::size_t) {
                              if (ec == asio::error::operation_aborted) return;
                              if (ec) {
                                closed_ = true;  // end of stream or reset
                                return;
                              }
                              watch_for_close();
                            });
  }

  tcp::socket socket_;
  std::vector<std::string> pieces_;
  bool writing_ = false;
  bool closed_ = false;
  char scratch_[64];
};

std::string octet_frame(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

TEST_CASE("TcpInput takes frames from 10 concurrent senders in both framings") {
  asio::io_context io;
  RecordingSink sink;
  TcpInput input(io, tcp::endpoint(kLoopback, 0), sink, 64);
  REQUIRE_FALSE(input.start());
  REQUIRE(input.local_endpoint().port() != 0);

  const int kSenders = 10;
  const int kMessages = 200;
  std::vector<std::unique_ptr<Sender>> senders;
  std::map<std::uint16_t, std::vector<std::string>> expected;  // by sender port
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(std::make_unique<Sender>(io, input.local_endpoint()));
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
  REQUIRE(run_until(io, [&] { return sink.messages.size() == total; }));
  CHECK(input.connection_count() == kSenders);

  std::map<std::uint16_t, std::vector<std::string>> received;
  for (const auto& m : sink.messages) {
    CHECK(m.transport == Transport::tcp);
    CHECK(m.source.address == test::ipv4(127, 0, 0, 1));
    received[m.source.port].push_back(m.bytes);
  }
  CHECK(received == expected);
  CHECK(sink.malformed.empty());
  input.stop();
}

TEST_CASE("TcpInput accepts IPv6 senders") {
  asio::io_context io;
  RecordingSink sink;
  TcpInput input(io, tcp::endpoint(asio::ip::make_address("::1"), 0), sink, 4);
  REQUIRE_FALSE(input.start());
  Sender sender(io, input.local_endpoint());
  sender.send("<13>over IPv6\n");
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 1; }));
  CHECK(sink.messages[0].bytes == "<13>over IPv6");
  CHECK(sink.messages[0].source.address == test::ipv6_loopback());
  CHECK(sink.messages[0].source.port == sender.port());
  input.stop();
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
    asio::io_context io;
    RecordingSink sink;
    TcpInput input(io, tcp::endpoint(kLoopback, 0), sink, 4);
    REQUIRE_FALSE(input.start());
    Sender sender(io, input.local_endpoint());
    sender.send(c.stream, 4096);
    REQUIRE(run_until(io, [&] { return sender.closed_by_peer(); }));
    CHECK(sink.message_bytes() == c.messages);
    REQUIRE(sink.malformed.size() == 1);
    CHECK(sink.malformed[0].transport == Transport::tcp);
    CHECK(sink.malformed[0].bytes > 0);
    CHECK(sink.malformed[0].source.port == sender.port());
    CHECK(input.connection_count() == 0);
    input.stop();
  }
}

TEST_CASE("TcpInput counts a frame cut off by the sender closing as malformed") {
  for (const std::string partial : {"5 hel", "<1>no newline"}) {
    INFO(partial);
    asio::io_context io;
    RecordingSink sink;
    TcpInput input(io, tcp::endpoint(kLoopback, 0), sink, 4);
    REQUIRE_FALSE(input.start());
    Sender sender(io, input.local_endpoint());
    sender.send(partial);
    REQUIRE(run_until(io, [&] { return sender.done_writing() && input.connection_count() == 1; }));
    sender.close();
    REQUIRE(run_until(io, [&] { return input.connection_count() == 0; }));
    REQUIRE(sink.malformed.size() == 1);
    CHECK(sink.malformed[0].bytes == partial.size());
    CHECK(sink.messages.empty());
    input.stop();
  }
}

TEST_CASE("TcpInput refuses senders over the connection cap and counts them") {
  asio::io_context io;
  RecordingSink sink;
  TcpInput input(io, tcp::endpoint(kLoopback, 0), sink, 2);
  REQUIRE_FALSE(input.start());
  const auto refused = [&] { return sink.refused[static_cast<std::size_t>(Transport::tcp)]; };

  std::vector<std::unique_ptr<Sender>> senders;
  for (int i = 0; i < 3; ++i)
    senders.push_back(std::make_unique<Sender>(io, input.local_endpoint()));
  REQUIRE(run_until(io, [&] {
    std::size_t closed = 0;
    for (const auto& s : senders) closed += s->closed_by_peer() ? 1 : 0;
    return refused() == 1 && closed == 1;
  }));
  CHECK(input.connection_count() == 2);

  // The two admitted senders are served.
  std::vector<Sender*> admitted;
  for (const auto& s : senders) {
    if (!s->closed_by_peer()) admitted.push_back(s.get());
  }
  REQUIRE(admitted.size() == 2);
  for (Sender* s : admitted) s->send("<1>admitted\n");
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 2; }));

  // A slot freed is a slot a new sender gets.
  admitted[0]->close();
  REQUIRE(run_until(io, [&] { return input.connection_count() == 1; }));
  Sender late(io, input.local_endpoint());
  late.send("<1>late\n");
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 3; }));
  CHECK(sink.messages[2].bytes == "<1>late");
  CHECK(refused() == 1);
  input.stop();
}

TEST_CASE("TcpInput closes connections that stay idle, keeping active ones") {
  asio::io_context io;
  RecordingSink sink;
  TcpInput input(io, tcp::endpoint(kLoopback, 0), sink, 4, std::chrono::milliseconds(200));
  REQUIRE_FALSE(input.start());

  Sender silent(io, input.local_endpoint());
  Sender partial(io, input.local_endpoint());
  partial.send("<1>never finished");
  REQUIRE(run_until(io, [&] { return silent.closed_by_peer() && partial.closed_by_peer(); }));
  CHECK(sink.messages.empty());
  REQUIRE(sink.malformed.size() == 1);  // the partial frame the timeout cut off
  CHECK(sink.malformed[0].bytes == std::string("<1>never finished").size());
  CHECK(input.connection_count() == 0);
  input.stop();
}

TEST_CASE("TcpInput stop() closes the acceptor and every connection") {
  asio::io_context io;
  RecordingSink sink;
  TcpInput input(io, tcp::endpoint(kLoopback, 0), sink, 4);
  REQUIRE_FALSE(input.start());
  Sender a(io, input.local_endpoint());
  Sender b(io, input.local_endpoint());
  REQUIRE(run_until(io, [&] { return input.connection_count() == 2; }));

  input.stop();
  input.stop();
  CHECK(input.connection_count() == 0);
  CHECK(input.local_endpoint() == tcp::endpoint());
  REQUIRE(run_until(io, [&] { return a.closed_by_peer() && b.closed_by_peer(); }));
  CHECK(sink.malformed.empty());
}

TEST_CASE("TcpInput returns listen errors") {
  asio::io_context io;
  RecordingSink sink;
  TcpInput first(io, tcp::endpoint(kLoopback, 0), sink, 4);
  REQUIRE_FALSE(first.start());
  TcpInput same_port(io, first.local_endpoint(), sink, 4);
  CHECK(same_port.start() == asio::error::address_in_use);
  CHECK(same_port.local_endpoint() == tcp::endpoint());
  first.stop();
}

}  // namespace
}  // namespace wgevents
