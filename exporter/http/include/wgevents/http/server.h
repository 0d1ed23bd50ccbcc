// The exporter's HTTP endpoint: the metrics page, a landing page and the health probes.
//
//   wgevents::HttpRoutes routes;
//   routes.metrics = [&] { return std::make_unique<MetricsPage>(...); };  // one ChunkSource per scrape
//   routes.ready = [&] { return true; };
//   routes.landing_page = [&] { return wgevents::landing_page_html("/metrics", version, hosts); };
//   wgevents::HttpServer server(io, endpoint, std::move(routes));
//   if (auto ec = server.start()) { report ec; }   // binds and listens, as every input does
//   ...  io.run();   // a signal handler on the same io_context calls server.stop()
//
// With a WebConfig (--web.config.file, see web_config.h) the server speaks TLS only, when the file
// configures it, and asks for basic authentication on every path, when it names users:
//
//   wgevents::HttpServer server(io, endpoint, routes, {}, loaded.config);
//   ...  on SIGHUP:  std::string error = server.reload_web_config();
//
// Endpoints: the telemetry path (default /metrics), "/" (the landing page), "/-/healthy" (200 while
// the process runs) and "/-/ready" (200 while routes.ready() is true, 503 otherwise). GET and HEAD
// only (other methods: 405); other paths: 404. The query string is ignored.
//
// Thread safety: single-threaded. The server, its connections and every call into HttpRoutes run
// on the io_context passed to the constructor, which must be run by one thread. Call start(),
// stop() and reload_web_config() on that thread (from a handler) or while the io_context is not
// running; from another thread, post them: `boost::asio::post(io, [&] { server.stop(); })`.
// local_endpoint() may be called from any thread. One exception to "single": when a WebConfig is
// given, a thread of the server's own checks passwords, since a bcrypt check takes tens of
// milliseconds that the inputs on the io_context must not wait for. It touches nothing but the
// password and hash it is given, and hands the answer back to the io_context. At most 8 checks
// wait for it; a request that finds them all taken gets 503 and the connection closes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20.

#include "metrics/chunk_source.h"  // the page interface, owned by metrics
#include "wgevents/http/web_config.h"

namespace wgevents {

struct HttpRoutes {
  // Where the metrics page is served; must start with '/'. Takes precedence over the fixed paths.
  std::string telemetry_path = "/metrics";
  // Called once per GET of the telemetry path (not for HEAD). The source is destroyed as soon as it
  // is exhausted, or when the client goes away or the server stops. Required. If it throws, the
  // client gets a 500.
  std::function<std::unique_ptr<ChunkSource>()> metrics;
  // /-/ready answers 200 when this returns true, 503 otherwise. Required.
  std::function<bool()> ready;
  // Called once per GET or HEAD of "/"; its result is served as text/html, so the page can show
  // what is true now. Required. If it throws, the client gets a 500.
  std::function<std::string()> landing_page;
};

struct HttpServerLimits {
  // How long a keep-alive connection may wait for its next request, and how long a client may
  // take to accept one piece of a response. Bounds what a silent or stalled client holds: a socket
  // and, mid-scrape, a ChunkSource.
  std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(30);
  // How long a request may take to arrive whole once its first bytes have (slowloris), and the
  // first one once the connection is open. Prometheus and curl send a request in one piece.
  std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(5);
  // How long a TLS handshake may take, from the connection's opening.
  std::chrono::steady_clock::duration handshake_timeout = std::chrono::seconds(5);
  // A response piece not taken after this long makes the connection slow: at the cap it may give
  // way to a new one from another address, as may one whose request did not arrive in one piece.
  std::chrono::steady_clock::duration slow_after = std::chrono::seconds(1);
  // Concurrent connections. Scrapers and probes need a handful, and each metrics response may hold
  // a ChunkSource and a ~300 KiB gzip state. At the cap, a new connection takes the place of the
  // one that gives way most readily: one that has sent nothing or is in its TLS handshake, else
  // one between requests, else a slow one (see slow_after) or one waiting for a password check,
  // these only to a newcomer from an address holding fewer connections than theirs; among those,
  // one from the address holding the most connections, then the oldest. A connection
  // being served that keeps up, or an authenticated one (a verified client certificate, or a
  // password that passed on its last request), gives way to nobody; if every connection is such,
  // the new one is accepted and closed at once. TLS handshakes may hold half the slots; past that
  // a new connection takes the place of a handshake.
  std::size_t max_connections = 64;
};

// Limits on a request, which carries no body here: a header block larger than Prometheus or curl
// ever send is refused with 431, a body larger than a stray form post with 413.
inline constexpr std::size_t kHttpMaxRequestHeaderBytes = 8 * 1024;
inline constexpr std::size_t kHttpMaxRequestBodyBytes = 1024;

class HttpListener;         // the listening socket and its connections (src/listener.h)
class PasswordCheckThread;  // where bcrypt runs (src/password_checks.h)

class HttpServer {
 public:
  // Opens nothing; start() does. Throws std::invalid_argument if routes.metrics or routes.ready is
  // unset or the telemetry path does not start with '/' (a mistake in the program, not in the
  // configuration). `web_config` (from load_web_config(); null: plain HTTP without authentication)
  // is shared, not copied.
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
             HttpRoutes routes, HttpServerLimits limits = {},
             std::shared_ptr<const WebConfig> web_config = nullptr);
  // Stops (see stop()).
  ~HttpServer();

  // Shares state with handlers still queued on the io_context; copying would double-serve it.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Opens, binds (with SO_REUSEADDR) and listens, then accepts connections, as every input's
  // start() does (inputs/input.h): the failure (address in use, a privileged port) is returned
  // with nothing left open. Does nothing after stop() or a successful start().
  boost::system::error_code start();
  // Closes the listening socket and every open connection, cancelling their pending operations
  // (a response in flight is cut off); queued handlers then finish with operation_aborted, so
  // io_context::run() returns once no other work is left. Idempotent; the server cannot restart.
  void stop();

  // Reads the web configuration file again (the path the current WebConfig came from). A good
  // file takes effect at once: basic authentication and headers for every request from now on,
  // TLS certificates and policy for connections accepted from now on (open connections keep the
  // TLS session they have). A bad file changes nothing; the answer is then one line saying what is
  // wrong (as WebConfigLoad::error), else empty. A file that would turn TLS on or off, or remove
  // authentication, is refused too (reload_refusal(), web_config.h): an edit or a half-written
  // file cannot quietly drop either. Without a WebConfig there is nothing to read: returns empty.
  std::string reload_web_config();

  // The configuration in effect; null without one.
  std::shared_ptr<const WebConfig> web_config() const;

  // The bound address, with the real port when listening on port 0. Empty before start().
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_endpoint_; }

 private:
  std::shared_ptr<HttpListener> listener_;  // outlives this object while handlers hold it
  boost::asio::ip::tcp::endpoint endpoint_;        // where start() binds
  boost::asio::ip::tcp::endpoint local_endpoint_;  // where it did
  // Destroyed first (after stop()): joins the thread, dropping checks not begun.
  std::unique_ptr<PasswordCheckThread> password_checks_;
};

}  // namespace wgevents
