// Support for the TCP and TLS input tests: senders driven by the same io_context as the input,
// which write a stream in pieces and notice when the input closes the connection; and what a
// sink received, sender by sender.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "recording_sink.h"

namespace wgevents::test {

inline const boost::asio::ip::address kLoopback = boost::asio::ip::make_address("127.0.0.1");

// `message` framed with octet counting (RFC 6587 3.4.1).
inline std::string octet_frame(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

// An input of type `Input` (TcpInput, TlsInput), with the io_context that runs it and the sink
// it feeds. `input_args` follow the io_context, the endpoint and the sink in Input's
// constructor; listen() starts it on a free port, once the input is set up.
template <typename Input>
struct Listening {
  template <typename... InputArgs>
  explicit Listening(const boost::asio::ip::address& address, InputArgs&&... input_args)
      : input(io, boost::asio::ip::tcp::endpoint(address, 0), sink,
              std::forward<InputArgs>(input_args)...) {}

  void listen() {
    REQUIRE_FALSE(input.start());
    REQUIRE(input.local_endpoint().port() != 0);
  }

  boost::asio::io_context io;
  RecordingSink sink;
  Input input;
};

// Stops the input while `senders` are connected, twice (stop() is idempotent), and checks that
// it closed its acceptor and every connection, counting nothing malformed.
template <typename Input, typename... Senders>
void check_stop_closes_everything(Listening<Input>& t, const Senders&... senders) {
  t.input.stop();
  t.input.stop();
  CHECK(t.input.connection_count() == 0);
  CHECK(t.input.local_endpoint() == boost::asio::ip::tcp::endpoint());
  REQUIRE(run_until(t.io, [&] { return (senders.closed_by_peer() && ...); }));
  CHECK(t.sink.malformed.empty());
}

using MessagesByPort = std::map<std::uint16_t, std::vector<std::string>>;

// The messages `sink` received, by the port of their sender; each must have come over
// `transport` (TCP or TLS) from 127.0.0.1.
inline MessagesByPort loopback_messages_by_port(const RecordingSink& sink, Transport transport) {
  MessagesByPort received;
  for (const auto& m : sink.messages) {
    CHECK(m.transport == transport);
    CHECK(m.source.address == ipv4(127, 0, 0, 1));
    received[m.source.port].push_back(m.bytes);
  }
  return received;
}

// The writing and watching half of a sender over `Stream` (a TCP socket, or a TLS stream over
// one). The derived sender connects, then calls begin() once the stream can carry data.
template <typename Stream>
class StreamSender {
 public:
  // How the sender ends: it reads until the input closes the connection (as the tests watch
  // for), or it never reads and closes as soon as its last write is done (as a sender that
  // only sends may).
  enum class Ending { watch_for_close, close_after_writing };

  StreamSender(const StreamSender&) = delete;
  StreamSender& operator=(const StreamSender&) = delete;

  // Queues `bytes`, written `piece` bytes at a time, after what was queued before.
  void send(const std::string& bytes, std::size_t piece = 1 << 20) {
    for (std::size_t i = 0; i < bytes.size(); i += piece) pieces_.push_back(bytes.substr(i, piece));
    if (begun_ && !writing_) write_next();
  }

  bool closed_by_peer() const { return closed_; }
  bool done_writing() const { return begun_ && pieces_.empty() && !writing_; }
  std::uint16_t port() const { return port_; }
  void close() {
    boost::system::error_code ignored;
    stream_.lowest_layer().close(ignored);
  }

 protected:
  template <typename... StreamArgs>
  explicit StreamSender(Ending ending, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...), ending_(ending) {}
  ~StreamSender() = default;

  // Completes from the listen backlog, before the input accepts.
  void connect(const boost::asio::ip::tcp::endpoint& to) {
    stream_.lowest_layer().connect(to);
    port_ = stream_.lowest_layer().local_endpoint().port();
  }

  // The stream carries data from now on: the queued pieces are written. With a `failure` (a
  // refused handshake) it never will, and counts as closed by the peer.
  void begin(const boost::system::error_code& failure = {}) {
    begun_ = true;
    if (failure) {
      closed_ = true;
      return;
    }
    if (ending_ == Ending::watch_for_close) watch_for_close();
    write_next();
  }
  bool begun() const { return begun_; }

  Stream stream_;

 private:
  void write_next() {
    if (pieces_.empty() || closed_ || !begun_) return;
    writing_ = true;
    boost::asio::async_write(stream_, boost::asio::buffer(pieces_.front()),
                             [this](boost::system::error_code ec, std::size_t) {
                               writing_ = false;
                               if (ec) {
                                 pieces_.clear();  // the input closed on us
                                 return;
                               }
                               pieces_.erase(pieces_.begin());
                               if (pieces_.empty() && ending_ == Ending::close_after_writing) {
                                 close();
                                 closed_ = true;
                                 return;
                               }
                               write_next();
                             });
  }

  void watch_for_close() {
    stream_.async_read_some(boost::asio::buffer(scratch_), [this](boost::system::error_code ec, std::size_t) {
      if (ec == boost::asio::error::operation_aborted) return;
      if (ec) {
        closed_ = true;  // end of stream, a reset, or the alert of a refused TLS handshake
        return;
      }
      watch_for_close();
    });
  }

  Ending ending_;
  std::uint16_t port_ = 0;
  std::vector<std::string> pieces_;
  bool begun_ = false;
  bool writing_ = false;
  bool closed_ = false;
  char scratch_[256];
};

// A plain TCP sender: syslog to the TCP input, or a client that does not speak TLS to the TLS
// input.
class TcpSender : public StreamSender<boost::asio::ip::tcp::socket> {
 public:
  TcpSender(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& to)
      : StreamSender(Ending::watch_for_close, io) {
    connect(to);
    begin();
  }
};

}  // namespace wgevents::test
