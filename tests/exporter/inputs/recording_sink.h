// A MessageSink that keeps everything it is given, and a way to run an io_context until a
// condition holds, for the input tests.
#pragma once

#include <utility>

#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "inputs/message.h"

namespace wgevents::test {

struct ReceivedMessage {
  Transport transport;
  std::string bytes;
  MessageSource source;
};

struct MalformedFrame {
  Transport transport;
  std::size_t bytes;
  MessageSource source;
};

class RecordingSink : public MessageSink {
 public:
  void on_message(Transport transport, std::string_view message,
                  const MessageSource& source) override {
    messages.push_back({transport, std::string(message), source});
  }
  void on_malformed_frame(Transport transport, std::size_t bytes,
                          const MessageSource& source) override {
    malformed.push_back({transport, bytes, source});
  }
  void on_receive_drops(Transport transport, std::uint64_t count) override {
    drops[static_cast<std::size_t>(transport)] += count;
  }
  void on_connection_refused(Transport transport) override {
    refused[static_cast<std::size_t>(transport)] += 1;
  }

  std::vector<std::string> message_bytes() const {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.bytes);
    return out;
  }

  std::vector<ReceivedMessage> messages;
  std::vector<MalformedFrame> malformed;
  std::array<std::uint64_t, kTransportCount> drops{};
  std::array<std::uint64_t, kTransportCount> refused{};
};

// Runs handlers until `done()` holds; gives up after `limit` (a safety net against a hanging
// test, not a timing assertion). Returns `done()`.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return done();
}

inline IpAddress ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress address;
  address.family = IpAddress::Family::ipv4;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

inline IpAddress ipv6_loopback() {
  IpAddress address;
  address.family = IpAddress::Family::ipv6;
  address.bytes[15] = 1;
  return address;
}

}  // namespace wgevents::test
