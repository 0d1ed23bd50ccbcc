// The HTTP server's listening half: the acceptor, the cap on connections and, at the cap, the
// eviction of the connection idle longest (HttpServerLimits). It knows its connections only as
// HttpConnectionBase (connection.h), to close them or let one give way.
//
// Shared (shared_from_this) with the accept handler and with every connection, so that a handler
// that runs after ~HttpServer still finds it alive. Used on the io_context thread only.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_set>

#include "basic_auth.h"
#include "request_handler.h"
#include "wgevents/http/server.h"

namespace wgevents {

// What the listener knows of a connection: enough to close it, and whether it may give way to a
// new one.
class HttpConnectionBase {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~HttpConnectionBase() = default;
  virtual void close() = 0;
  // Since when the connection has waited for a request (or, for TLS, a handshake) of which nothing
  // has arrived yet; nullopt while it is busy: receiving a request, answering one, or closing.
  virtual std::optional<Clock::time_point> idle_since() = 0;
};

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  // Throws std::invalid_argument for routes without a metrics or ready callback, or a telemetry
  // path that does not start with '/'.
  HttpListener(boost::asio::io_context& io, HttpRoutes routes, HttpServerLimits limits,
               std::shared_ptr<const WebConfig> web_config);

  // Opens, binds and listens at `endpoint`, then accepts; the failure with nothing left open.
  boost::system::error_code start(const boost::asio::ip::tcp::endpoint& endpoint);
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const {
    boost::system::error_code ignored;
    return acceptor_.local_endpoint(ignored);
  }
  boost::asio::io_context& io() { return io_; }
  const HttpRoutes& routes() const { return routes_; }
  const HttpRequestHandler& handler() const { return handler_; }
  const HttpServerLimits& limits() const { return limits_; }

  // The web configuration in effect (null: none). Each request reads it for authentication and
  // headers; each accepted connection keeps the one it was accepted under for its TLS session.
  const std::shared_ptr<const WebConfig>& web_config() const { return web_config_; }
  void set_web_config(std::shared_ptr<const WebConfig> web_config) {
    web_config_ = std::move(web_config);
    verified_ = {};
  }
  basic_auth::VerifiedCredentials& verified_credentials() { return verified_; }

  // Where bcrypt runs; null once stopped (the thread may be gone) or without a web configuration.
  boost::asio::thread_pool* password_checks() const { return password_checks_; }
  void set_password_checks(boost::asio::thread_pool* pool) { password_checks_ = pool; }

  // Connections register themselves for their lifetime, so stop() can close them.
  void add(HttpConnectionBase* connection) { connections_.insert(connection); }
  void remove(HttpConnectionBase* connection) { connections_.erase(connection); }

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  bool close_longest_idle();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;  // the listening socket
  boost::asio::steady_timer accept_retry_;   // paces accepting after a failure (out of descriptors)
  HttpRoutes routes_;
  HttpRequestHandler handler_{routes_};      // decides each answer; no I/O
  HttpServerLimits limits_;
  std::shared_ptr<const WebConfig> web_config_;
  basic_auth::VerifiedCredentials verified_;  // under web_config_; cleared when it changes
  boost::asio::thread_pool* password_checks_ = nullptr;
  std::unordered_set<HttpConnectionBase*> connections_;  // open ones; each removes itself when gone
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace wgevents
