#include "wgevents/http/server.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_set>

#include <openssl/ssl.h>

#include "basic_auth.h"
#include "gzip_encoder.h"
#include "web_config_settings.h"

namespace wgevents {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Where bcrypt runs: one thread, so that password checks queue behind each other instead of taking
// every core, and never on the io_context thread. Owned by HttpServer, so it is joined before the
// io_context it posts to can go away.
class PasswordCheckThread {
 public:
  asio::thread_pool pool{1};
};

namespace {

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kTextContentType[] = "text/plain; charset=utf-8";
constexpr char kHtmlContentType[] = "text/html; charset=utf-8";
// Room for a full header block and a small body, plus the start of a pipelined request.
constexpr std::size_t kReadBufferBytes =
    2 * (kHttpMaxRequestHeaderBytes + kHttpMaxRequestBodyBytes);
// After an accept failure such as EMFILE, wait before trying again rather than spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if an Accept-Encoding value lists gzip without "q=0" (RFC 9110 section 12.5.3). A bare "*"
// is not taken as gzip: identity is always acceptable, and Prometheus names gzip explicitly.
bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const std::size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const std::size_t semicolon = item.find(';');
    if (!iequals(trim(item.substr(0, semicolon)), "gzip")) continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view params = item.substr(semicolon + 1);
    while (!params.empty()) {
      const std::size_t next = params.find(';');
      std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        // q=0, q=0.0, q=0.00, q=0.000 refuse; any non-zero digit accepts.
        std::string_view value = param.substr(2);
        return value.find_first_of("123456789") != std::string_view::npos;
      }
    }
    return true;
  }
  return false;
}

// Beast 1.74 speaks boost::string_view.
std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

// The request target's path, without the query string.
std::string_view request_path(beast::string_view target) {
  return to_std(target).substr(0, to_std(target).find('?'));
}

constexpr char kUnauthorizedBody[] = "Unauthorized\n";

using Clock = std::chrono::steady_clock;

// What the listener knows of a connection: enough to close it, and whether it may give way to a new
// one.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void close() = 0;
  // Since when the connection has waited for a request (or, for TLS, a handshake) of which nothing
  // has arrived yet; nullopt while it is busy: receiving a request, answering one, or closing.
  virtual std::optional<Clock::time_point> idle_since() = 0;
};

}  // namespace

// Owns the listening socket and knows the open connections. Shared with the accept handler and
// with every connection, so a handler that runs after ~HttpServer still finds it alive.
class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  HttpListener(asio::io_context& io, HttpRoutes routes, HttpServerLimits limits,
               std::shared_ptr<const WebConfig> web_config);

  // Opens, binds and listens at `endpoint`, then accepts; the failure with nothing left open.
  error_code start(const tcp::endpoint& endpoint);
  void stop();

  tcp::endpoint local_endpoint() const {
    error_code ignored;
    return acceptor_.local_endpoint(ignored);
  }
  asio::io_context& io() { return io_; }
  const HttpRoutes& routes() const { return routes_; }
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
  asio::thread_pool* password_checks() const { return password_checks_; }
  void set_password_checks(asio::thread_pool* pool) { password_checks_ = pool; }

  // Connections register themselves for their lifetime, so stop() can close them.
  void add(ConnectionBase* connection) { connections_.insert(connection); }
  void remove(ConnectionBase* connection) { connections_.erase(connection); }

 private:
  void do_accept();
  void on_accept(const error_code& ec, tcp::socket socket);
  bool close_longest_idle();

  asio::io_context& io_;
  tcp::acceptor acceptor_;           // the listening socket
  asio::steady_timer accept_retry_;  // paces accepting after a failure (e.g. out of descriptors)
  HttpRoutes routes_;
  HttpServerLimits limits_;
  std::shared_ptr<const WebConfig> web_config_;
  basic_auth::VerifiedCredentials verified_;  // under web_config_; cleared when it changes
  asio::thread_pool* password_checks_ = nullptr;
  std::unordered_set<ConnectionBase*>
      connections_;  // open connections; each removes itself when gone
  bool started_ = false;
  bool stopped_ = false;
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One client connection: (for TLS, a handshake, then) reads requests one at a time and answers
// each, until the client closes, times out, asks to close, or the server stops. Its pending
// operation's handler keeps it alive; so does a password check in flight.
template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `tls_config` holds the TLS context for a TlsStream, which must outlive the stream; null for
  // a PlainStream.
  Connection(std::shared_ptr<HttpListener> listener, tcp::socket socket,
             std::shared_ptr<const WebConfig> tls_config)
      : listener_(std::move(listener)),
        tls_config_(std::move(tls_config)),
        stream_(make_stream(std::move(socket), tls_config_.get())),
        buffer_(kReadBufferBytes) {
    listener_->add(this);
  }
  ~Connection() override { listener_->remove(this); }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() {
    if constexpr (kTls) {
      // The idle timeout bounds the handshake too: a client that connects and says nothing, or
      // speaks plain HTTP and waits, is dropped like an idle one, and may give way like one.
      awaiting_request_ = true;
      awaiting_since_ = Clock::now();
      tcp_layer().expires_after(listener_->limits().idle_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](const error_code& ec) {
                                if (self->closed_) return;
                                if (ec) {
                                  self->close();
                                } else {
                                  self->read_request();
                                }
                              });
    } else {
      read_request();
    }
  }

  // Cancels whatever is pending; the handlers then see operation_aborted. The response state stays
  // until the connection goes away, as a cancelled operation may still refer to it.
  void close() override {
    closed_ = true;
    tcp_layer().close();
  }

  std::optional<Clock::time_point> idle_since() override {
    if (closed_ || !awaiting_request_) return std::nullopt;
    if constexpr (kTls) {
      // A handshake message has arrived: a client on its way in.
      SSL* ssl = stream_.native_handle();
      if (!SSL_is_init_finished(ssl) && SSL_get_state(ssl) != TLS_ST_BEFORE) return std::nullopt;
    }
    // Part of a request has arrived (bytes waiting in the buffer, or taken by the parser).
    if (parser_ && (parser_->got_some() || buffer_.size() != 0)) return std::nullopt;
    return awaiting_since_;
  }

 private:
  static Stream make_stream(tcp::socket socket, const WebConfig* tls_config) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls_config->settings().tls);
    } else {
      (void)tls_config;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void read_request();
  void on_request(const error_code& ec);
  void authorize();
  void on_password_checked(bool match, const basic_auth::Credentials& credentials,
                           const std::string& hash);
  void dispatch();
  void handle_request();
  template <class Fields>
  void add_configured_headers(Fields& fields) const;
  void send_simple(http::status status, const char* content_type, std::string body, bool head,
                   bool keep_alive);
  void send_metrics(bool head, bool gzip, bool keep_alive);
  void write_next_piece();
  template <class Buffers>
  void write_piece(const Buffers& buffers, bool last);
  void on_piece_written(const error_code& ec, bool last);
  void on_response_written(const error_code& ec, bool keep_alive);
  // Closes after a complete response: FIN (and for TLS, close_notify first) after the data, so a
  // client reading to the end gets it all and can tell it from a cut-off one.
  void close_gracefully();
  void release_response() {
    simple_response_.reset();
    metrics_serializer_.reset();
    metrics_header_.reset();
    source_.reset();
    gzip_.reset();
  }

  std::shared_ptr<HttpListener> listener_;
  std::shared_ptr<const WebConfig> tls_config_;
  Stream stream_;
  beast::flat_buffer buffer_;  // bounded: a request larger than the limits fails to parse
  std::optional<http::request_parser<http::string_body>> parser_;
  // The request being answered; kept while its password is checked.
  std::optional<http::request<http::string_body>> request_;
  bool closed_ = false;
  // Waiting for a request or the TLS handshake, since awaiting_since_: what idle_since() reports.
  bool awaiting_request_ = false;
  Clock::time_point awaiting_since_;

  // The response being written. A metrics response is a header, then one piece at a time.
  std::optional<http::response<http::string_body>> simple_response_;
  std::optional<http::response<http::empty_body>> metrics_header_;
  std::optional<http::response_serializer<http::empty_body>> metrics_serializer_;
  std::unique_ptr<ChunkSource> source_;
  std::optional<GzipEncoder> gzip_;
  std::string piece_;       // the current piece from the source; reused to keep its capacity
  std::string compressed_;  // its gzip form, when the client asked for that
  bool chunked_ = false;    // HTTP/1.1: chunked; HTTP/1.0: raw bytes, then close
  unsigned version_ = 11;   // of the request being answered: 10 or 11
  bool keep_alive_ = false;
};

// --- Connection --------------------------------------------------------------------------------

template <class Stream>
void Connection<Stream>::read_request() {
  version_ = 11;
  request_.reset();
  parser_.emplace();
  parser_->header_limit(kHttpMaxRequestHeaderBytes);
  parser_->body_limit(kHttpMaxRequestBodyBytes);
  awaiting_request_ = true;
  awaiting_since_ = Clock::now();
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                     self->on_request(ec);
                   });
}

template <class Stream>
void Connection<Stream>::on_request(const error_code& ec) {
  if (closed_) return;
  awaiting_request_ = false;
  if (ec) {
    // A malformed or oversized request gets an answer before the connection closes; a client
    // that went away (for TLS, also without close_notify), timed out, or was cancelled does not.
    static const auto& http_category = http::make_error_code(http::error::bad_target).category();
    if (ec == http::error::end_of_stream) {
      close_gracefully();
    } else if (ec == http::error::header_limit) {
      send_simple(http::status::request_header_fields_too_large, kTextContentType,
                  "Request Header Fields Too Large\n", false, false);
    } else if (ec == http::error::body_limit) {
      send_simple(http::status::payload_too_large, kTextContentType, "Payload Too Large\n", false,
                  false);
    } else if (ec.category() == http_category && ec != http::error::partial_message) {
      send_simple(http::status::bad_request, kTextContentType, "Bad Request\n", false, false);
    } else {
      close();
    }
    return;
  }
  request_.emplace(parser_->release());
  parser_.reset();
  version_ = request_->version() == 10 ? 10 : 11;
  authorize();
}

// Basic authentication, when the configuration names users: before routing, for every path, as
// the exporter toolkit does. A password seen before is answered at once; a new one goes to the
// password check thread.
template <class Stream>
void Connection<Stream>::authorize() {
  const auto& config = listener_->web_config();
  if (!config || config->settings().users.empty()) {
    dispatch();
    return;
  }
  const bool head = request_->method() == http::verb::head;
  const bool keep_alive = request_->keep_alive();
  auto credentials =
      basic_auth::parse_authorization(to_std((*request_)[http::field::authorization]));
  asio::thread_pool* checks = listener_->password_checks();
  if (!credentials || checks == nullptr) {
    send_simple(http::status::unauthorized, kTextContentType, kUnauthorizedBody, head, keep_alive);
    return;
  }
  const auto& users = config->settings().users;
  const auto user = users.find(credentials->user);
  if (user != users.end() &&
      listener_->verified_credentials().contains(*credentials, user->second)) {
    dispatch();
    return;
  }
  std::string hash = user != users.end() ? user->second : std::string();
  const int decoy_cost = config->settings().max_bcrypt_cost;
  asio::post(*checks, [self = this->shared_from_this(),
                       work = asio::make_work_guard(listener_->io()),
                       credentials = std::move(*credentials), hash = std::move(hash),
                       decoy_cost]() mutable {
    bool match = false;
    if (hash.empty()) {
      basic_auth::bcrypt_decoy(credentials.password, decoy_cost);
    } else {
      match = basic_auth::bcrypt_matches(credentials.password, hash);
    }
    asio::post(work.get_executor(),
               [self = std::move(self), match, credentials = std::move(credentials),
                hash = std::move(hash)] { self->on_password_checked(match, credentials, hash); });
    work.reset();
  });
}

template <class Stream>
void Connection<Stream>::on_password_checked(bool match, const basic_auth::Credentials& credentials,
                                             const std::string& hash) {
  if (closed_) return;
  if (match) {
    listener_->verified_credentials().insert(credentials, hash);
    dispatch();
    return;
  }
  send_simple(http::status::unauthorized, kTextContentType, kUnauthorizedBody,
              request_->method() == http::verb::head, request_->keep_alive());
}

template <class Stream>
void Connection<Stream>::dispatch() {
  try {
    handle_request();
  } catch (const std::exception&) {
    // A route callback failed (or memory ran out); the client learns it, the server carries on.
    release_response();
    send_simple(http::status::internal_server_error, kTextContentType, "Internal Server Error\n",
                request_->method() == http::verb::head, false);
  }
}

template <class Stream>
void Connection<Stream>::handle_request() {
  const http::request<http::string_body>& request = *request_;
  const HttpRoutes& routes = listener_->routes();
  const bool head = request.method() == http::verb::head;
  const bool get_or_head = head || request.method() == http::verb::get;
  const bool keep_alive = request.keep_alive();
  const std::string_view path = request_path(request.target());

  const bool known =
      path == routes.telemetry_path || path == "/" || path == "/-/healthy" || path == "/-/ready";
  if (!known) {
    send_simple(http::status::not_found, kTextContentType, "Not Found\n", head, keep_alive);
    return;
  }
  if (!get_or_head) {
    send_simple(http::status::method_not_allowed, kTextContentType, "Method Not Allowed\n", false,
                keep_alive);
    return;
  }
  if (path == routes.telemetry_path) {
    const auto accept_encoding = request[http::field::accept_encoding];
    send_metrics(head, accepts_gzip(to_std(accept_encoding)), keep_alive);
  } else if (path == "/") {
    send_simple(http::status::ok, kHtmlContentType, routes.landing_page(), head, keep_alive);
  } else if (path == "/-/healthy") {
    send_simple(http::status::ok, kTextContentType, "OK\n", head, keep_alive);
  } else if (routes.ready()) {
    send_simple(http::status::ok, kTextContentType, "OK\n", head, keep_alive);
  } else {
    send_simple(http::status::service_unavailable, kTextContentType, "Not ready\n", head,
                keep_alive);
  }
}

template <class Stream>
template <class Fields>
void Connection<Stream>::add_configured_headers(Fields& fields) const {
  const auto& config = listener_->web_config();
  if (!config) return;
  for (const auto& [name, value] : config->settings().headers) fields.set(name, value);
}

template <class Stream>
void Connection<Stream>::send_simple(http::status status, const char* content_type,
                                     std::string body, bool head, bool keep_alive) {
  auto& response = simple_response_.emplace(status, version_);
  response.set(http::field::content_type, content_type);
  if (status == http::status::method_not_allowed) response.set(http::field::allow, "GET, HEAD");
  if (status == http::status::unauthorized) response.set(http::field::www_authenticate, "Basic");
  add_configured_headers(response);
  response.content_length(body.size());
  if (!head) response.body() = std::move(body);
  response.keep_alive(keep_alive);
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_write(
      stream_, response,
      [self = this->shared_from_this(), keep_alive](const error_code& ec, std::size_t) {
        self->on_response_written(ec, keep_alive);
      });
}

template <class Stream>
void Connection<Stream>::send_metrics(bool head, bool gzip, bool keep_alive) {
  chunked_ = version_ == 11;
  // Without chunked encoding the end of the body is the end of the connection.
  keep_alive_ = chunked_ && keep_alive;
  if (!head) {
    source_ = listener_->routes().metrics();
    if (!source_) throw std::logic_error("metrics route returned no source");
    if (gzip) gzip_.emplace();
  }
  auto& header = metrics_header_.emplace(http::status::ok, version_);
  header.set(http::field::content_type, kMetricsContentType);
  if (gzip) header.set(http::field::content_encoding, "gzip");
  header.set(http::field::vary, "Accept-Encoding");
  add_configured_headers(header);
  header.chunked(chunked_);
  header.keep_alive(keep_alive_);
  auto& serializer = metrics_serializer_.emplace(header);
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_write_header(
      stream_, serializer,
      [self = this->shared_from_this(), head](const error_code& ec, std::size_t) {
        self->on_piece_written(ec, head);
      });
}

template <class Stream>
void Connection<Stream>::write_next_piece() {
  bool more = true;
  std::string_view payload;
  // Empty pieces are skipped: a zero-length chunk would end the body.
  while (payload.empty() && more) {
    piece_.clear();
    try {
      more = source_->next(piece_);
      payload = piece_;
      if (gzip_) {
        compressed_.clear();
        gzip_->write(piece_, !more, compressed_);
        payload = compressed_;
      }
    } catch (const std::exception&) {
      // Cut the response off without its last chunk: the client sees a truncated body.
      close();
      return;
    }
  }
  if (!more) {
    // Exhausted: let go of whatever the source holds before the last bytes are on their way.
    source_.reset();
    gzip_.reset();
  }
  const asio::const_buffer data(payload.data(), payload.size());
  if (!chunked_) {
    write_piece(data, !more);
  } else if (more) {
    write_piece(http::make_chunk(data), false);
  } else if (payload.empty()) {
    write_piece(http::make_chunk_last(), true);
  } else {
    write_piece(beast::buffers_cat(http::make_chunk(data), http::make_chunk_last()), true);
  }
}

template <class Stream>
template <class Buffers>
void Connection<Stream>::write_piece(const Buffers& buffers, bool last) {
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  asio::async_write(stream_, buffers,
                    [self = this->shared_from_this(), last](const error_code& ec, std::size_t) {
                      self->on_piece_written(ec, last);
                    });
}

// After the header or a piece of a metrics response (`last`: nothing follows it).
template <class Stream>
void Connection<Stream>::on_piece_written(const error_code& ec, bool last) {
  if (closed_) return;
  if (ec) {
    close();
  } else if (last) {
    on_response_written(ec, keep_alive_);
  } else {
    write_next_piece();
  }
}

template <class Stream>
void Connection<Stream>::on_response_written(const error_code& ec, bool keep_alive) {
  if (closed_) return;
  release_response();
  if (ec) {
    close();
  } else if (keep_alive) {
    read_request();
  } else {
    close_gracefully();
  }
}

template <class Stream>
void Connection<Stream>::close_gracefully() {
  if constexpr (kTls) {
    // close_notify, then wait (within the idle timeout) for the client's or for it to hang up.
    tcp_layer().expires_after(listener_->limits().idle_timeout);
    stream_.async_shutdown([self = this->shared_from_this()](const error_code&) {
      if (!self->closed_) self->close();
    });
  } else {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    close();
  }
}

}  // namespace

// --- Listener ----------------------------------------------------------------------------------

HttpListener::HttpListener(asio::io_context& io, HttpRoutes routes, HttpServerLimits limits,
                           std::shared_ptr<const WebConfig> web_config)
    : io_(io),
      acceptor_(io),
      accept_retry_(io),
      routes_(std::move(routes)),
      limits_(limits),
      web_config_(std::move(web_config)) {
  if (!routes_.metrics || !routes_.ready) {
    throw std::invalid_argument("HTTP routes need both a metrics and a ready callback");
  }
  if (routes_.telemetry_path.empty() || routes_.telemetry_path.front() != '/') {
    throw std::invalid_argument("telemetry path must start with '/': " + routes_.telemetry_path);
  }
}

error_code HttpListener::start(const tcp::endpoint& endpoint) {
  if (started_ || stopped_) return {};
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  // Lets a restarted exporter bind while connections of the previous one sit in TIME_WAIT; on
  // Linux it does not allow two listeners on one port.
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  started_ = true;
  do_accept();
  return {};
}

void HttpListener::stop() {
  if (stopped_) return;
  stopped_ = true;
  password_checks_ = nullptr;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  // close() does not destroy a connection (its pending handler holds it), so iterating is safe.
  for (ConnectionBase* connection : connections_) connection->close();
}

void HttpListener::do_accept() {
  acceptor_.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void HttpListener::on_accept(const error_code& ec, tcp::socket socket) {
  if (stopped_) return;
  if (ec) {
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec && !self->stopped_) self->do_accept();
    });
    return;
  }
  if (connections_.size() < limits_.max_connections || close_longest_idle()) {
    if (web_config_ && web_config_->tls()) {
      std::make_shared<Connection<TlsStream>>(shared_from_this(), std::move(socket), web_config_)
          ->start();
    } else {
      std::make_shared<Connection<PlainStream>>(shared_from_this(), std::move(socket), nullptr)
          ->start();
    }
  }
  // Otherwise the socket closes as it goes out of scope: the client sees the connection end.
  do_accept();
}

// At the cap: makes room by closing the connection that has waited longest for its next request,
// so that idle keep-alive or silent connections cannot keep a scraper out. False if every
// connection is busy.
bool HttpListener::close_longest_idle() {
  ConnectionBase* longest = nullptr;
  Clock::time_point longest_since;
  for (ConnectionBase* connection : connections_) {
    const auto since = connection->idle_since();
    if (since && (longest == nullptr || *since < longest_since)) {
      longest = connection;
      longest_since = *since;
    }
  }
  if (longest == nullptr) return false;
  longest->close();
  // No longer counted; it goes (and its remove() finds nothing) once its cancelled read ends.
  connections_.erase(longest);
  return true;
}

// --- HttpServer --------------------------------------------------------------------------------

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& listen, HttpRoutes routes,
                       HttpServerLimits limits, std::shared_ptr<const WebConfig> web_config)
    : listener_(std::make_shared<HttpListener>(io, std::move(routes), limits, web_config)),
      endpoint_(listen) {
  // With a file, a reload may bring users even if there are none yet.
  if (web_config) {
    password_checks_ = std::make_unique<PasswordCheckThread>();
    listener_->set_password_checks(&password_checks_->pool);
  }
}

HttpServer::~HttpServer() { stop(); }

error_code HttpServer::start() {
  auto ec = listener_->start(endpoint_);
  if (!ec) local_endpoint_ = listener_->local_endpoint();
  return ec;
}

void HttpServer::stop() { listener_->stop(); }

std::string HttpServer::reload_web_config() {
  const std::shared_ptr<const WebConfig> current = listener_->web_config();
  if (!current) return {};
  WebConfigLoad loaded = load_web_config(current->path());
  if (!loaded.config) return loaded.error;
  if (loaded.config->tls() != current->tls()) {
    return current->path() +
           (current->tls() ? ": the file no longer configures TLS"
                           : ": the file now configures TLS") +
           "; turning TLS on or off needs a restart";
  }
  listener_->set_web_config(std::move(loaded.config));
  return {};
}

std::shared_ptr<const WebConfig> HttpServer::web_config() const { return listener_->web_config(); }

}  // namespace wgevents
