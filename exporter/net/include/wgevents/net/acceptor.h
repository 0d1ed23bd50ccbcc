// The listening socket shared by the web port and the TCP and TLS syslog inputs: opens, binds and
// listens on one endpoint, then hands every accepted socket to its owner. What to do with a socket
// (the cap, eviction by the slot policy, slot_policy.h) stays with the owner.
//
// One lifetime rule for every listener: the pending accept holds the acceptor's own state, not
// its owner, and nothing reaches the owner after stop() or destruction. An owner may therefore
// destroy its Acceptor (stopped or not) while the io_context still holds the cancelled accept.
//
// Usage:
//   net::Acceptor acceptor(io, [this](tcp::socket socket) { on_accept(std::move(socket)); });
//   if (auto ec = acceptor.start(endpoint)) { report ec; }   // nothing left open on failure
//   ...
//   acceptor.stop();                                          // idempotent
//
// Threading: used only on the thread that runs the io_context.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace wgevents::net {

class Acceptor {
 public:
  using Handler = std::function<void(boost::asio::ip::tcp::socket)>;

  // After running out of descriptors, memory or buffers, accepting pauses this long rather than
  // spin on the same error; any other accept error concerns one connection only.
  static constexpr std::chrono::milliseconds kRetryDelay{100};

  Acceptor(boost::asio::io_context& io, Handler on_accept);
  ~Acceptor();  // stops
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Opens, binds (with SO_REUSEADDR: a restarted exporter binds while connections of the old one
  // sit in TIME_WAIT; on Linux it never lets two listeners share a port) and listens, then
  // accepts. Returns the failure with nothing left open. Once only.
  boost::system::error_code start(const boost::asio::ip::tcp::endpoint& endpoint);

  // Closes the listening socket; the handler is not called again. Idempotent.
  void stop();

  // The bound address (the real port when port 0 was asked for); empty before start().
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  struct State;
  static void accept(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace wgevents::net
