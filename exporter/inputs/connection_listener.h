// The listening half shared by the TCP and TLS syslog inputs: the acceptor, the cap on
// concurrent senders, the --syslog.allowed-sources check, and the set of open connections.
//
// A sender over the cap, or outside the allowed sources, is accepted and closed at once and
// counted with on_connection_refused(Transport::tcp), so that it sees the refusal instead of
// hanging in the backlog, and holds no slot. Running out of descriptors or memory pauses
// accepting for 100 ms rather than spinning on a backlog that cannot be taken.
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
#include <unordered_map>

#include "message.h"
#include "socket_address.h"

namespace wgevents {

template <typename Connection>
class ConnectionListener {
 public:
  using Factory =
      std::function<std::shared_ptr<Connection>(boost::asio::ip::tcp::socket, const MessageSource&)>;

  ConnectionListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                     MessageSink& sink, std::size_t max_connections, Factory make_connection)
      : io_(io), endpoint_(endpoint), sink_(sink), max_connections_(max_connections),
        make_connection_(std::move(make_connection)), acceptor_(io), accept_retry_timer_(io) {}
  ConnectionListener(const ConnectionListener&) = delete;
  ConnectionListener& operator=(const ConnectionListener&) = delete;

  // Opens, binds (with SO_REUSEADDR, so a restart does not wait out TIME_WAIT) and listens,
  // then accepts senders. Returns the failure with nothing left open.
  boost::system::error_code start() {
    boost::system::error_code ec;
    acceptor_.open(endpoint_.protocol(), ec);
    if (!ec) acceptor_.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint_, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return ec;
    }
    accept();
    return {};
  }

  // Closes the acceptor and every connection. Idempotent.
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [raw, connection] : connections) connection->close();
  }

  boost::asio::ip::tcp::endpoint local_endpoint() const {
    boost::system::error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    return ec ? boost::asio::ip::tcp::endpoint() : endpoint;
  }

  std::size_t connection_count() const { return connections_.size(); }

  // A connection that closed takes itself out; its pending handlers may still own it.
  void forget(Connection* connection) { connections_.erase(connection); }

 private:
  void accept() {
    acceptor_.async_accept(io_, [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        on_accepted(std::move(socket));
      } else if (ec == boost::asio::error::no_descriptors || ec == boost::asio::error::no_memory ||
                 ec == boost::asio::error::no_buffer_space ||
                 ec == boost::system::errc::too_many_files_open_in_system) {
        accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
        accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
          if (wait_ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
          accept();
        });
        return;
      }
      // Other errors concern the one connection that failed (it was reset before we took it).
      accept();
    });
  }

  void on_accepted(boost::asio::ip::tcp::socket socket) {
    if (connections_.size() >= max_connections_) {
      boost::system::error_code ignored;
      socket.close(ignored);
      sink_.on_connection_refused(Transport::tcp);
      return;
    }
    boost::system::error_code ec;
    boost::asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    MessageSource source = message_source_from(remote.data());
    if (!sink_.accepts(source)) {
      // Outside --syslog.allowed-sources: closed at once, so it cannot hold a slot.
      socket.close(ec);
      sink_.on_connection_refused(Transport::tcp);
      return;
    }
    std::shared_ptr<Connection> connection = make_connection_(std::move(socket), source);
    connections_.emplace(connection.get(), connection);
    connection->start();
  }

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::endpoint endpoint_;  // where to listen
  MessageSink& sink_;
  std::size_t max_connections_;
  Factory make_connection_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_timer_;
  // Every open connection. A connection's pending handlers own it as well.
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
};

}  // namespace wgevents
