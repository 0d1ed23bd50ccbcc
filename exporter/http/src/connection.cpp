#include "connection.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <openssl/ssl.h>

#include "gzip_encoder.h"
#include "web_config_settings.h"

namespace wgevents {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = HttpConnectionBase::Clock;

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";
// Room for a full header block and a small body, plus the start of a pipelined request.
constexpr std::size_t kReadBufferBytes = 2 * (kHttpMaxRequestHeaderBytes + kHttpMaxRequestBodyBytes);

// Beast 1.74 speaks boost::string_view.
std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

template <class Stream>
class Connection : public HttpConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, HttpTlsStream>;

 public:
  Connection(std::shared_ptr<HttpListener> listener, tcp::socket socket, std::shared_ptr<const WebConfig> tls_config)
      : listener_(std::move(listener)),
        tls_config_(std::move(tls_config)),
        address_key_(address_key_of(socket)),
        stream_(make_stream(std::move(socket), tls_config_.get())),
        buffer_(kReadBufferBytes),
        accepted_at_(Clock::now()) {
    listener_->add(this);
  }
  ~Connection() override { listener_->remove(this); }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() {
    if constexpr (kTls) {
      // A handshake has a deadline of its own, shorter than a keep-alive wait: a client that
      // connects and says nothing, or stalls mid-handshake, holds a slot for seconds at most.
      const auto& limits = listener_->limits();
      tcp_layer().expires_after(std::min(limits.handshake_timeout, limits.idle_timeout));
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](const error_code& ec) {
        if (self->closed_) return;
        if (ec) {
          self->close();
          return;
        }
        self->handshake_done_ = true;
        // A client certificate the server verified: this client is known, and keeps its place.
        SSL* ssl = self->stream_.native_handle();
        self->certified_ = SSL_get0_peer_certificate(ssl) != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
        self->read_request();
      });
    } else {
      read_request();
    }
  }

  // Cancels whatever is pending; the handlers then see operation_aborted. The response state stays
  // until the connection goes away, as a cancelled operation may still refer to it.
  void close() override {
    closed_ = true;
    *abandoned_ = true;
    tcp_layer().close();
  }

  std::optional<net::SlotEviction> evictable(Clock::time_point now) override {
    if (closed_) return std::nullopt;
    if constexpr (kTls) {
      if (!handshake_done_) {
        // Bytes waiting count as a ClientHello: under a burst the loop may not have read it yet.
        error_code ignored;
        const bool spoke = SSL_in_before(stream_.native_handle()) == 0 || tcp_layer().socket().available(ignored) > 0;
        return net::SlotEviction{spoke ? 1 : 0, accepted_at_, true};
      }
    }
    if (closing_) return net::SlotEviction{0, busy_since_, false};  // answered; only the goodbye is left
    if (certified_ || password_passed_) return std::nullopt;
    const auto slow_after = listener_->limits().slow_after;
    if (awaiting_request_) {
      if (!request_begun_) {
        // Bytes waiting count as a request begun: under a burst the loop may not have read it yet.
        error_code ignored;
        if (tcp_layer().socket().available(ignored) > 0) return std::nullopt;
        return net::SlotEviction{served_ ? 2 : 0, awaiting_since_, false};
      }
      // A request that did not arrive in one piece: real clients send theirs whole.
      return net::SlotEviction{3, request_started_, false, true};
    }
    if (checking_password_) return net::SlotEviction{3, busy_since_, false, true};
    if (writing_ && now - busy_since_ >= slow_after) return net::SlotEviction{3, busy_since_, false, true};
    return std::nullopt;
  }

  const std::string& address_key() const override { return address_key_; }

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
  void read_rest_of_request();
  void on_request(const error_code& ec);
  // Asks the handler and carries out its plan; a route callback that throws gets a 500.
  void decide();
  void carry_out(ResponsePlan plan);
  void check_password(ResponsePlan plan);
  void on_password_checked(bool match, const basic_auth::Credentials& credentials, const std::string& hash);
  template <class Fields>
  void add_configured_headers(Fields& fields) const;
  void send_simple(ResponsePlan plan);
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
  const std::string address_key_;  // the client's address (address_key())
  Stream stream_;
  beast::flat_buffer buffer_;  // bounded: a request larger than the limits fails to parse
  std::optional<http::request_parser<http::string_body>> parser_;
  // The request being answered, and its facts (views into it); kept while its password is checked.
  std::optional<http::request<http::string_body>> request_;
  HttpRequestFacts facts_;
  bool closed_ = false;
  // Set by close(); a password check still queued sees it and skips the bcrypt run.
  std::shared_ptr<std::atomic<bool>> abandoned_ = std::make_shared<std::atomic<bool>>(false);

  // What evictable() reports. Waiting for a request since awaiting_since_; its first bytes arrived
  // at request_started_ (request_begun_).
  Clock::time_point accepted_at_;
  bool handshake_done_ = false;  // TLS only
  bool awaiting_request_ = false;
  Clock::time_point awaiting_since_;
  bool request_begun_ = false;
  Clock::time_point request_started_;
  bool served_ = false;         // a request on this connection has been answered
  bool certified_ = false;        // TLS: the client's certificate was verified
  bool password_passed_ = false;  // the last request passed basic authentication
  bool checking_password_ = false;  // since busy_since_
  bool writing_ = false;            // a response piece is on its way, since busy_since_
  bool closing_ = false;            // answered, saying goodbye (TLS close_notify), since busy_since_
  Clock::time_point busy_since_;

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

// Waits for a request's first bytes (between requests: up to the idle timeout; on a new
// connection: up to the request timeout), then gives the whole request the request timeout from
// there, however slowly it trickles in.
template <class Stream>
void Connection<Stream>::read_request() {
  version_ = 11;
  request_.reset();
  facts_ = {};
  parser_.emplace();
  parser_->header_limit(kHttpMaxRequestHeaderBytes);
  parser_->body_limit(kHttpMaxRequestBodyBytes);
  writing_ = false;
  awaiting_request_ = true;
  awaiting_since_ = Clock::now();
  request_begun_ = false;
  if (buffer_.size() != 0) {
    // A pipelined request is already here.
    read_rest_of_request();
    return;
  }
  const auto& limits = listener_->limits();
  tcp_layer().expires_after(served_ ? limits.idle_timeout : std::min(limits.request_timeout, limits.idle_timeout));
  stream_.async_read_some(buffer_.prepare(buffer_.max_size() - buffer_.size()),
                          [self = this->shared_from_this()](const error_code& ec, std::size_t bytes) {
                            if (self->closed_) return;
                            if (ec) {
                              self->on_request(ec == asio::error::eof ? error_code(http::error::end_of_stream) : ec);
                              return;
                            }
                            self->buffer_.commit(bytes);
                            self->read_rest_of_request();
                          });
}

template <class Stream>
void Connection<Stream>::read_rest_of_request() {
  request_begun_ = true;
  request_started_ = Clock::now();
  const auto& limits = listener_->limits();
  tcp_layer().expires_after(std::min(limits.request_timeout, limits.idle_timeout));
  http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](const error_code& ec, std::size_t) {
    self->on_request(ec);
  });
}

template <class Stream>
void Connection<Stream>::on_request(const error_code& ec) {
  if (closed_) return;
  awaiting_request_ = false;
  request_begun_ = false;
  if (ec) {
    // A malformed or oversized request gets an answer before the connection closes; a client
    // that went away (for TLS, also without close_notify), timed out, or was cancelled does not.
    static const auto& http_category = http::make_error_code(http::error::bad_target).category();
    if (ec == http::error::end_of_stream) {
      close_gracefully();
    } else if (ec == http::error::header_limit) {
      send_simple(HttpRequestHandler::unreadable(UnreadableRequest::header_too_large));
    } else if (ec == http::error::body_limit) {
      send_simple(HttpRequestHandler::unreadable(UnreadableRequest::body_too_large));
    } else if (ec.category() == http_category && ec != http::error::partial_message) {
      send_simple(HttpRequestHandler::unreadable(UnreadableRequest::malformed));
    } else {
      close();
    }
    return;
  }
  request_.emplace(parser_->release());
  parser_.reset();
  served_ = true;
  busy_since_ = Clock::now();
  version_ = request_->version() == 10 ? 10 : 11;
  const auto& request = *request_;
  facts_.version = request.version();
  facts_.method = to_std(request.method_string());
  facts_.target = to_std(request.target());
  facts_.authorization = to_std(request[http::field::authorization]);
  facts_.accept_encoding = to_std(request[http::field::accept_encoding]);
  facts_.host_fields = request.count(http::field::host);
  facts_.transfer_encoding_fields = request.count(http::field::transfer_encoding);
  facts_.transfer_encoding = to_std(request[http::field::transfer_encoding]);
  facts_.keep_alive = request.keep_alive();
  decide();
}

template <class Stream>
void Connection<Stream>::decide() {
  try {
    carry_out(listener_->handler().handle(facts_, listener_->web_config().get(), listener_->verified_credentials(),
                                          listener_->password_checks() != nullptr));
  } catch (const std::exception&) {
    // A route callback failed (or memory ran out); the client learns it, the server carries on.
    release_response();
    send_simple(HttpRequestHandler::internal_error(facts_));
  }
}

template <class Stream>
void Connection<Stream>::carry_out(ResponsePlan plan) {
  // Whether this request's password passed; a client certificate counts for the whole connection.
  if (plan.kind != ResponsePlan::Kind::check_password) password_passed_ = plan.authenticated;
  switch (plan.kind) {
    case ResponsePlan::Kind::simple: send_simple(std::move(plan)); return;
    case ResponsePlan::Kind::metrics: send_metrics(plan.head, plan.gzip, plan.keep_alive); return;
    case ResponsePlan::Kind::check_password: check_password(std::move(plan)); return;
  }
}

// On the password thread: bcrypt, padded to the highest cost of the file (or a decoy of that cost
// for an unknown user), then back to the io_context with the answer. A connection closed while
// its check waited (evicted, timed out, the server stopping) costs no bcrypt run.
template <class Stream>
void Connection<Stream>::check_password(ResponsePlan plan) {
  PasswordCheckThread* checks = listener_->password_checks();
  const bool queued = checks != nullptr &&
                      checks->post([self = this->shared_from_this(), abandoned = abandoned_,
                                    work = asio::make_work_guard(listener_->io()),
                                    credentials = std::move(plan.credentials), hash = std::move(plan.password_hash),
                                    decoy_cost = plan.decoy_cost]() mutable {
                        const bool match =
                            !*abandoned && basic_auth::check_password(credentials.password, hash, decoy_cost);
                        asio::post(work.get_executor(),
                                   [self = std::move(self), match, credentials = std::move(credentials),
                                    hash = std::move(hash)] { self->on_password_checked(match, credentials, hash); });
                        work.reset();
                      });
  if (!queued) {
    // Too many checks waiting: a flood. This client may try again on a new connection.
    send_simple(HttpRequestHandler::overloaded(facts_));
    return;
  }
  checking_password_ = true;
  busy_since_ = Clock::now();
}

template <class Stream>
void Connection<Stream>::on_password_checked(bool match, const basic_auth::Credentials& credentials,
                                             const std::string& hash) {
  if (closed_) return;
  checking_password_ = false;
  if (match) listener_->verified_credentials().insert(credentials, hash);
  try {
    carry_out(listener_->handler().after_password_check(facts_, match));
  } catch (const std::exception&) {
    release_response();
    send_simple(HttpRequestHandler::internal_error(facts_));
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
void Connection<Stream>::send_simple(ResponsePlan plan) {
  auto& response = simple_response_.emplace(static_cast<http::status>(plan.status), version_);
  response.set(http::field::content_type, beast::string_view(plan.content_type.data(), plan.content_type.size()));
  if (plan.allow_header) response.set(http::field::allow, "GET, HEAD");
  if (plan.authenticate_header) response.set(http::field::www_authenticate, "Basic");
  add_configured_headers(response);
  response.content_length(plan.body.size());
  if (!plan.head) response.body() = std::move(plan.body);
  const bool keep_alive = plan.keep_alive;
  response.keep_alive(keep_alive);
  writing_ = true;
  busy_since_ = Clock::now();
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_write(stream_, response, [self = this->shared_from_this(), keep_alive](const error_code& ec, std::size_t) {
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
  writing_ = true;
  busy_since_ = Clock::now();
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_write_header(stream_, serializer, [self = this->shared_from_this(), head](const error_code& ec, std::size_t) {
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
  // A piece the client does not take within slow_after makes it slow (evictable()).
  writing_ = true;
  busy_since_ = Clock::now();
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  asio::async_write(stream_, buffers, [self = this->shared_from_this(), last](const error_code& ec, std::size_t) {
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
  writing_ = false;
  closing_ = true;
  busy_since_ = Clock::now();
  if constexpr (kTls) {
    // close_notify, then wait (within the request timeout) for the client's or for it to hang up.
    tcp_layer().expires_after(std::min(listener_->limits().request_timeout, listener_->limits().idle_timeout));
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

void start_http_connection(std::shared_ptr<HttpListener> listener, tcp::socket socket,
                           std::shared_ptr<const WebConfig> tls_config) {
  if (tls_config) {
    std::make_shared<Connection<HttpTlsStream>>(std::move(listener), std::move(socket), std::move(tls_config))->start();
  } else {
    std::make_shared<Connection<HttpPlainStream>>(std::move(listener), std::move(socket), nullptr)->start();
  }
}

}  // namespace wgevents
