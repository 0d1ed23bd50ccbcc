// The HTTP server's listening half: the acceptor, the cap on connections and, at the cap, the
// eviction of the connection that gives way most readily (HttpServerLimits; the choice follows the
// slot policy the syslog inputs share, wgevents/net/slot_policy.h). It knows its connections only
// as HttpConnectionBase (connection.h), to close them or let one give way.
//
// Shared (shared_from_this) with the accept handler and with every connection, so that a handler
// that runs after ~HttpServer still finds it alive. Used on the io_context thread only.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "basic_auth.h"
#include "password_checks.h"
#include "request_handler.h"
#include "wgevents/http/server.h"
#include "wgevents/net/acceptor.h"
#include "wgevents/net/slot_policy.h"

namespace wgevents {

// What the listener knows of a connection: enough to close it, and whether it may give way to a
// new one.
class HttpConnectionBase {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~HttpConnectionBase() = default;
  virtual void close() = 0;
  // How readily the connection gives way to a new one at the cap; lower ranks first:
  //   0  not yet a client: sent nothing (for TLS, not even a ClientHello)
  //   1  in its TLS handshake
  //   2  between requests (it has been answered, and reconnects when it needs to)
  //   3  slow or unproven: a request that did not arrive in one piece, a response piece not
  //      taken for longer than slow_after, or a password being checked; these are being served,
  //      and give way only to a newcomer from an address holding fewer connections
  //      (slot_policy.h)
  // nullopt: gives way to nobody: being served and keeping up, authenticated (a verified client
  // certificate, or a password that passed on its last request), or closing.
  virtual std::optional<net::SlotEviction> evictable(Clock::time_point now) = 0;
  // The client's address, as a key for the slot policy (equal for equal addresses).
  virtual const std::string& address_key() const = 0;
};

// The client's address as bytes, for the slot policy; empty if it is already gone.
std::string address_key_of(const boost::asio::ip::tcp::socket& socket);

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  // Throws std::invalid_argument for routes without a metrics or ready callback, or a telemetry
  // path that does not start with '/'.
  HttpListener(boost::asio::io_context& io, HttpRoutes routes, HttpServerLimits limits,
               std::shared_ptr<const WebConfig> web_config);

  // Opens, binds and listens at `endpoint`, then accepts; the failure with nothing left open.
  boost::system::error_code start(const boost::asio::ip::tcp::endpoint& endpoint);
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
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
  PasswordCheckThread* password_checks() const { return password_checks_; }
  void set_password_checks(PasswordCheckThread* checks) { password_checks_ = checks; }

  // Connections register themselves for their lifetime, so stop() can close them.
  void add(HttpConnectionBase* connection) { connections_.insert(connection); }
  void remove(HttpConnectionBase* connection) { connections_.erase(connection); }

 private:
  void on_accept(boost::asio::ip::tcp::socket socket);
  // Closes the connection that gives way most readily to a newcomer from address `newcomer`
  // (`handshakes_only`: among those in their TLS handshake); false if none may.
  bool make_room(const std::string& newcomer, bool handshakes_only);
  std::size_t handshakes() const;

  boost::asio::io_context& io_;
  net::Acceptor acceptor_;  // the listening socket; calls on_accept() until stopped
  HttpRoutes routes_;
  HttpRequestHandler handler_{routes_};      // decides each answer; no I/O
  HttpServerLimits limits_;
  std::shared_ptr<const WebConfig> web_config_;
  basic_auth::VerifiedCredentials verified_;  // under web_config_; cleared when it changes
  PasswordCheckThread* password_checks_ = nullptr;
  net::SlotChooser chooser_;
  std::unordered_set<HttpConnectionBase*> connections_;  // open ones; each removes itself when gone
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace wgevents
