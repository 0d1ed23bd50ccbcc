// The listening half shared by the TCP and TLS syslog inputs: the acceptor (net::Acceptor, the
// web port's too), the cap on
// concurrent senders, the --syslog.allowed-sources check, and the set of open connections.
//
// At the cap, a new sender takes the place of one that has not proven itself: one still in its
// TLS handshake or that has sent nothing, else one silent for kSilentEvictable
// (Connection::evictable() ranks them; the choice among them is the shared slot policy,
// wgevents/net/slot_policy.h, which the HTTP server follows too). A sender that authenticated
// with a client certificate gives way to nobody. TLS handshakes have half the slots: past that,
// a new sender takes the place of a handshake. Evicted connections are counted with
// on_connection_refused(transport). So connections that idle, stall or reconnect as fast as
// they are let go cannot keep a real sender out.
//
// A sender over the cap that finds no such place, or outside the allowed sources, is accepted
// and closed at once and counted with on_connection_refused(transport), so that it sees the
// refusal instead of hanging in the backlog, and holds no slot. Running out of descriptors or
// memory pauses accepting (net::Acceptor::kRetryDelay) rather than spinning on a backlog that
// cannot be taken.
//
// `Connection` is the input's own per-sender class: made by the factory, started once it is
// registered, closed by stop(), and removing itself with forget() when it closes.
// Threading: as every input, used only on the thread that runs the io_context.
#pragma once

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "message.h"
#include "socket_address.h"
#include "wgevents/net/acceptor.h"
#include "wgevents/net/slot_policy.h"

namespace wgevents {

// How readily a sender gives way to a new one (net::SlotEviction): rank 0, silent since it
// connected (in TLS, before even a ClientHello); 1, a TLS handshake under way, or silent for a
// while.
using ConnectionEviction = net::SlotEviction;

template <typename Connection>
class ConnectionListener {
 public:
  using Factory =
      std::function<std::shared_ptr<Connection>(boost::asio::ip::tcp::socket, const MessageSource&)>;

  // `transport`: what the input's messages and refusals are counted as (tcp or tls).
  ConnectionListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                     Transport transport, MessageSink& sink, std::size_t max_connections,
                     Factory make_connection)
      : endpoint_(endpoint), transport_(transport), sink_(sink), max_connections_(max_connections),
        make_connection_(std::move(make_connection)),
        acceptor_(io, [this](boost::asio::ip::tcp::socket socket) { on_accepted(std::move(socket)); }) {}
  ConnectionListener(const ConnectionListener&) = delete;
  ConnectionListener& operator=(const ConnectionListener&) = delete;

  // Opens, binds (with SO_REUSEADDR, so a restart does not wait out TIME_WAIT) and listens,
  // then accepts senders. Returns the failure with nothing left open.
  boost::system::error_code start() { return acceptor_.start(endpoint_); }

  // Closes the acceptor and every connection. Idempotent.
  void stop() {
    acceptor_.stop();
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [raw, connection] : connections) connection->close();
  }

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  std::size_t connection_count() const { return connections_.size(); }
  Transport transport() const { return transport_; }

  // A connection that closed takes itself out; its pending handlers may still own it.
  void forget(Connection* connection) { connections_.erase(connection); }

 private:
  // Closes the connection that gives way most readily to a newcomer from `newcomer`
  // (`handshakes_only`: among those in their handshake); false if none may.
  bool make_room(const std::string& newcomer, bool handshakes_only) {
    const auto now = std::chrono::steady_clock::now();
    const auto victim = chooser_.choose(
        connections_, [now](const auto& entry) { return entry.second->evictable(now); },
        [](const auto& entry) { return address_key(entry.second->source()); }, newcomer, handshakes_only);
    if (!victim) return false;
    victim->second->close();  // forgets itself; `victim` still holds it
    sink_.on_connection_refused(transport_);
    return true;
  }

  static std::string address_key(const MessageSource& source) {
    return std::string(reinterpret_cast<const char*>(source.address.bytes.data()), source.address.bytes.size()) +
           static_cast<char>(source.address.family);
  }

  std::size_t handshakes() const {
    const auto now = std::chrono::steady_clock::now();
    return net::SlotChooser::handshakes(connections_,
                                        [now](const auto& entry) { return entry.second->evictable(now); });
  }

  void on_accepted(boost::asio::ip::tcp::socket socket) {
    boost::system::error_code ec;
    boost::asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    MessageSource source = message_source_from(remote.data());
    if (!sink_.accepts(source)) {
      // Outside --syslog.allowed-sources: closed at once, so it cannot hold a slot (nor take one).
      socket.close(ec);
      sink_.on_connection_refused(transport_);
      return;
    }
    const std::string newcomer = address_key(source);
    if (handshakes() >= net::handshake_budget(max_connections_)) make_room(newcomer, true);
    if (connections_.size() >= max_connections_ && !make_room(newcomer, false)) {
      socket.close(ec);
      sink_.on_connection_refused(transport_);
      return;
    }
    std::shared_ptr<Connection> connection = make_connection_(std::move(socket), source);
    connections_.emplace(connection.get(), connection);
    connection->start();
  }

  boost::asio::ip::tcp::endpoint endpoint_;  // where to listen
  Transport transport_;
  MessageSink& sink_;
  std::size_t max_connections_;
  Factory make_connection_;
  net::Acceptor acceptor_;  // calls on_accepted() until stopped
  // Every open connection. A connection's pending handlers own it as well.
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  net::SlotChooser chooser_;
};

}  // namespace wgevents
